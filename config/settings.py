"""Settings, read from the environment once and strictly.

With no ``DATABASE_URL`` and no ``REDIS_URL`` Farside runs on its embedded defaults:
SQLite for data and checkpoints, runs executed in-process. Every secret can also be
given as ``NAME_FILE`` pointing at a file that holds it.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FARSIDE_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.smart_cast = False  # a typo'd boolean must fail, not silently become a string


def secret(name: str, default: str | None = None) -> str | None:
    """Read ``name`` from the environment, or the file named by ``name_FILE``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def _float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def _networks(name: str) -> list[str]:
    """A comma-separated list of IP addresses or CIDR networks."""
    import ipaddress

    out = []
    for item in env.list(name, default=[]):
        if not item.strip():
            continue
        try:
            out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network") from None
    return out


DEBUG = _bool("DEBUG", default=False)
EMBEDDED = not os.environ.get("DATABASE_URL") and not os.environ.get("REDIS_URL")

SECRET_KEY = secret("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or EMBEDDED):
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required unless DEBUG=true")
    SECRET_KEY = "farside-insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "apps.accounts",
    "apps.automations",
    "apps.runs",
    "apps.demo",
    "apps.triggers",
    "apps.api",
    "apps.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django's own queries are never prepared (client-side binding); this lets psycopg prepare
    # the few hot statements run on server-side-binding cursors (apps/common/db.py: webhook
    # intake, the run engine's claim and event insert).
    # Off behind a pooler without prepared-statement support (PgBouncer < 1.21, transaction mode).
    if _bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "farside.sqlite3",
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("FARSIDE_MEDIA_ROOT", VAR_DIR / "media"))
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Secrets of connections are encrypted with Fernet; the first key encrypts, all decrypt,
# so a key can be rotated by prepending a new one and re-encrypting.
FARSIDE_ENCRYPTION_KEYS = [k for k in (secret("FARSIDE_ENCRYPTION_KEYS") or "").split(",") if k.strip()]
if not FARSIDE_ENCRYPTION_KEYS:
    if not (DEBUG or EMBEDDED):
        raise ImproperlyConfigured("FARSIDE_ENCRYPTION_KEYS (or _FILE) is required unless DEBUG=true")
    # Derived from SECRET_KEY so the embedded demo works; production must set real keys.
    import base64
    import hashlib

    FARSIDE_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]

# Inference: one or more OpenAI-compatible servers (vLLM replicas), comma separated.
INFERENCE_BASE_URLS = env.list("INFERENCE_BASE_URLS", default=[])
INFERENCE_MODEL = os.environ.get("INFERENCE_MODEL", "moonshotai/Kimi-K2-Thinking")
INFERENCE_API_KEY = secret("INFERENCE_API_KEY")

# Run execution. A slice is a bounded piece of a run: at most this many super-steps
# or seconds, after which the run is checkpointed, released and re-enqueued.
RUN_SLICE_STEPS = _int("RUN_SLICE_STEPS", 25, minimum=1)
RUN_SLICE_SECONDS = _float("RUN_SLICE_SECONDS", 20.0, minimum=0.1)
RUN_LEASE_SECONDS = _float("RUN_LEASE_SECONDS", 120.0, minimum=1.0)
RUN_MAX_ATTEMPTS = _int("RUN_MAX_ATTEMPTS", 5, minimum=1)
RUN_SWEEP_SECONDS = _float("RUN_SWEEP_SECONDS", 30.0, minimum=0.5)
RUN_EXECUTION = os.environ.get("RUN_EXECUTION", "inprocess" if not os.environ.get("REDIS_URL") else "celery")
if RUN_EXECUTION not in {"celery", "inprocess"}:
    raise ImproperlyConfigured(f"RUN_EXECUTION={RUN_EXECUTION!r} must be 'celery' or 'inprocess'")

REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A slice stops at a super-step boundary, but one step (a long K2 Thinking turn, a big
# CRM pull) cannot be cut; this bounds it. The lease is renewed meanwhile.
RUN_STEP_TIMEOUT_SECONDS = _int("RUN_STEP_TIMEOUT_SECONDS", 1800, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = int(RUN_SLICE_SECONDS + RUN_STEP_TIMEOUT_SECONDS)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# Far above the hard limit, so Redis never redelivers a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": max(3600, CELERY_TASK_TIME_LIMIT * 2)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("FARSIDE_QUEUE", "farside")
# Celery's Django fixup closes every database connection before and after each task
# unless told to reuse them, which costs a new PostgreSQL connection per slice (a large
# share of a short run's CPU). Workers reuse them and check them per task the way Django
# does per request (CONN_MAX_AGE, CONN_HEALTH_CHECKS; see config/celery.py).
CELERY_DB_REUSE_MAX = 1000

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Farside API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "Start and follow workflow runs, decide approvals, manage workflows, connections, "
                   "schedules and webhook endpoints. Authenticate with `Authorization: Bearer <token>`.",
    # Swagger UI and Redoc are served from the vendored sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "TAGS": [
        {"name": "workflows", "description": "Workflow specs and their immutable versions; YAML export and import."},
        {"name": "runs", "description": "Start runs (with an Idempotency-Key), follow their events, cancel, "
                                        "download artifacts."},
        {"name": "approvals", "description": "Writes waiting for a person: approve, reject or edit the arguments."},
        {"name": "connections", "description": "Accounts on CRM/ERP systems; secrets are write-only."},
        {"name": "schedules", "description": "Cron schedules with overlap and catch-up policies."},
        {"name": "webhooks", "description": "Endpoints CRMs call to start runs, and notifications sent when runs "
                                            "finish."},
        {"name": "tokens", "description": "API tokens: one organization, one role, shown once."},
        {"name": "usage", "description": "Runs and model usage over a period."},
    ],
    "ENUM_NAME_OVERRIDES": {
        "DeliveryOutcomeEnum": "apps.triggers.models.DeliveryOutcome",
        "TickOutcomeEnum": "apps.triggers.models.TickOutcome",
    },
}
# Requests per minute per API token (a fixed one-minute window shared by all web processes).
API_RATE_LIMIT_PER_MINUTE = _int("API_RATE_LIMIT_PER_MINUTE", 600, minimum=1)
# The largest webhook body accepted; larger deliveries are refused with 413 and recorded.
WEBHOOK_MAX_BODY_BYTES = _int("WEBHOOK_MAX_BODY_BYTES", 1_000_000, minimum=1024)
# Raw webhook bodies and headers are kept this long for debugging, then blanked (rejected
# deliveries are deleted); the delivery's outcome and event ids stay for dedupe.
WEBHOOK_RETENTION_DAYS = _int("WEBHOOK_RETENTION_DAYS", 30, minimum=1)
# Reverse proxies (addresses or CIDRs) whose X-Forwarded-For is believed; empty trusts nobody,
# and the client address is REMOTE_ADDR.
TRUSTED_PROXIES = _networks("TRUSTED_PROXIES")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {name: {"level": "WARNING"} for name in ("httpx", "httpcore", "fontTools", "matplotlib", "PIL")},
}

CELERY_BEAT_SCHEDULE = {
    "sweep-runs": {"task": "runs.sweep", "schedule": RUN_SWEEP_SECONDS},
    # Starts queued schedule ticks whose previous run finished and sends due notify webhooks.
    "sweep-triggers": {"task": "triggers.sweep", "schedule": _float("TRIGGERS_SWEEP_SECONDS", 5.0, minimum=0.5)},
    "prune-webhook-deliveries": {"task": "triggers.prune_deliveries", "schedule": 3600.0},
}
