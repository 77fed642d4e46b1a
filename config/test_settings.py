"""Settings for the test suite: real PostgreSQL and Redis, short leases so crash
recovery is quick to observe. Worker processes started by the tests use these too."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/farside")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "farside-test-secret-key")
os.environ.setdefault("FARSIDE_ENCRYPTION_KEYS", "ZmFyc2lkZS10ZXN0LWtleS0wMDAwMDAwMDAwMDAwMDA=")
os.environ.setdefault("FARSIDE_QUEUE", f"farside-test-{os.getpid()}")
os.environ.setdefault("RUN_LEASE_SECONDS", "3")
os.environ.setdefault("RUN_SWEEP_SECONDS", "1")
os.environ.setdefault("INFERENCE_MODEL", "kimi-k2-thinking")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user creation in tests
