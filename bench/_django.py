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


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pids_matching(needle: str) -> list[int]:
    """PIDs whose command line contains ``needle`` (e.g. a PostgreSQL backend serving one database)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if needle.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


class CpuMeter:
    """CPU seconds spent by named groups of processes between ``start`` and ``stop``.

    Groups are callables returning PIDs, re-evaluated at both ends so processes that
    appear in between (new database connections) are counted from zero.
    """

    def __init__(self, groups: dict[str, object]):
        self._groups = groups
        self._before: dict[str, dict[int, float]] = {}
        self.spent: dict[str, float] = {}

    def start(self) -> None:
        self._before = {name: {pid: process_cpu_seconds(pid) for pid in pids()} for name, pids in self._groups.items()}

    def stop(self) -> dict[str, float]:
        for name, pids in self._groups.items():
            before = self._before[name]
            self.spent[name] = sum(process_cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids())
        return self.spent
