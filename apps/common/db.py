"""Prepared statements for the few hot statements written in SQL (webhook intake, the
run engine's claim and event insert).

Django's psycopg cursors bind parameters on the client and never prepare, so PostgreSQL
parses and plans every statement again and Python quotes every parameter into the text.
``fetchone_prepared`` runs a statement on a server-side-binding cursor instead, which
psycopg prepares once per connection (DATABASES' ``prepare_threshold``; off with
``DATABASE_PREPARED_STATEMENTS=false`` behind a pooler that cannot keep them). Django's
query log (``connection.queries``) does not see these statements.
"""

from __future__ import annotations

import logging
import threading

import psycopg
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger(__name__)

_cursors = threading.local()


def fetchone_prepared(db: BaseDatabaseWrapper, sql: str, params: list, *, fetch: bool = True) -> tuple | None:
    """Run ``sql`` prepared; return its first row (None when ``fetch`` is false or no row).

    Django checks a reused connection with a ``SELECT 1`` round trip before a request's
    (or task's) first statement (CONN_HEALTH_CHECKS). Here the statement is its own check:
    if it fails on a connection that was due a check and turns out dead (the server
    restarted, an idle connection was dropped), it is sent once more on a new connection.
    Only use it for statements that are safe to send twice in that case (their effect is
    guarded, like a conditional UPDATE or an INSERT under a unique constraint), and outside
    a transaction for the resend to happen at all.

    ``db`` is the connection itself (``connections[alias]``), not the
    ``django.db.connection`` proxy, whose every attribute costs a context-local lookup.
    """
    return _run(db, sql, params, "one" if fetch else None)


def fetchall_prepared(db: BaseDatabaseWrapper, sql: str, params: list) -> list[tuple]:
    """``fetchone_prepared`` for a statement whose every row is wanted."""
    return _run(db, sql, params, "all")


def _run(db: BaseDatabaseWrapper, sql: str, params: list, fetch: str | None):
    due_check = (db.connection is not None and db.health_check_enabled and not db.health_check_done
                 and not db.in_atomic_block)
    db.health_check_done = True
    db.ensure_connection()
    db.validate_thread_sharing()
    db.validate_no_broken_transaction()
    try:
        return _execute(db, sql, params, fetch)
    except OperationalError:
        if not (due_check and db.connection.broken):
            raise
        log.info("the database connection was dead; sending the statement again on a new one")
        db.close()
        db.ensure_connection()
        return _execute(db, sql, params, fetch)


def _execute(db: BaseDatabaseWrapper, sql: str, params: list, fetch: str | None):
    # One cursor per connection (Django's connections are per thread): a cursor keeps the
    # parameter dumpers it looked up, which otherwise cost a fifth of the statement's CPU.
    raw = db.connection
    cursor = getattr(_cursors, "cursor", None)
    if cursor is None or cursor.connection is not raw or cursor.closed:
        cursor = _cursors.cursor = psycopg.Cursor(raw)
    with db.wrap_database_errors:
        cursor.execute(sql, params, prepare=True)
        if fetch == "one":
            return cursor.fetchone()
        return cursor.fetchall() if fetch == "all" else None
