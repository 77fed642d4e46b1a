"""The LangGraph checkpointer of this process: PostgreSQL in production, SQLite embedded.

Opened lazily per process (Celery forks its pool children, and a psycopg pool must not
cross a fork), keyed by PID so a child never reuses its parent's sockets.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from django.conf import settings
from langgraph.checkpoint.base import BaseCheckpointSaver

_lock = threading.Lock()
_state: dict[str, object] = {"pid": None, "saver": None}


def postgres_conninfo() -> str:
    db = settings.DATABASES["default"]
    parts = {"dbname": db.get("NAME"), "user": db.get("USER"), "password": db.get("PASSWORD"),
             "host": db.get("HOST"), "port": db.get("PORT")}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _open() -> BaseCheckpointSaver:
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        pool = ConnectionPool(postgres_conninfo(), min_size=1, max_size=10, open=True,
                              kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
        # Tables are created by ``migrate`` (see apps.runs.apps), not here, so that
        # several workers starting at once never race to create them.
        return PostgresSaver(pool)
    else:
        from langgraph.checkpoint.sqlite import SqliteSaver

        path = settings.VAR_DIR / "checkpoints.sqlite3"
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        saver = SqliteSaver(conn)
    saver.setup()
    return saver


def checkpointer() -> BaseCheckpointSaver:
    with _lock:
        if _state["pid"] != os.getpid():
            _state["saver"] = _open()
            _state["pid"] = os.getpid()
        return _state["saver"]  # type: ignore[return-value]


def close_checkpointer() -> None:
    """Close this process's checkpoint connections (tests, before dropping the database)."""
    with _lock:
        saver = _state["saver"]
        _state["saver"], _state["pid"] = None, None
    pool = getattr(saver, "conn", None)
    if pool is not None and hasattr(pool, "close"):
        pool.close()
