"""Settings for bench/webhooks_intake.py's gunicorn: the real ones plus a bare 202 view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.webhooks_urls"
