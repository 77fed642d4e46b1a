"""Boot Django for a benchmark against a fresh PostgreSQL database of its own."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def boot(dbname: str = "farside_bench", **env: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{dbname}",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "SECRET_KEY": "bench",
        "FARSIDE_ENCRYPTION_KEYS": "ZmFyc2lkZS10ZXN0LWtleS0wMDAwMDAwMDAwMDAwMDA=",
        "LOG_LEVEL": "WARNING",
        **env,
    })
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def org_actor(name: str = "Bench"):
    from apps.accounts.actors import actor_for_user
    from apps.accounts.services import organization_create, user_create

    user = user_create(username=f"bench-{name}", password="bench-password-1")
    org = organization_create(name=name, owner=user)
    return actor_for_user(user=user, organization_id=org.pk)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000
