"""A throwaway PostgreSQL database for checkpoint measurements (tests and benches)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import psycopg

def _admin_dsn() -> str:
    """Where to create the scratch database: WORKFLOWS_PG_DSN, else the server of DATABASE_URL
    (what scripts/test exports when the cluster wants a password), else local trust auth."""
    if os.environ.get("WORKFLOWS_PG_DSN"):
        return os.environ["WORKFLOWS_PG_DSN"]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql://" + url.split("://", 1)[1].rsplit("/", 1)[0] + "/postgres"
    return "postgresql://postgres@127.0.0.1:5432/postgres"


ADMIN_DSN = _admin_dsn()


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """Create ``wf_test_<pid>``, yield its DSN, drop it afterwards."""
    name = f"wf_test_{os.getpid()}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def checkpoint_bytes(conn: psycopg.Connection, thread_id: str) -> int:
    """Bytes a thread holds in LangGraph's checkpoint tables (rows' stored payloads)."""
    total = 0
    for table, column in (("checkpoints", "checkpoint"), ("checkpoint_blobs", "blob"),
                          ("checkpoint_writes", "blob")):
        row = conn.execute(f"SELECT coalesce(sum(pg_column_size({column})), 0) AS n FROM {table} "
                           "WHERE thread_id = %s", (thread_id,)).fetchone()
        total += int(row["n"] if isinstance(row, dict) else row[0])
    return total
