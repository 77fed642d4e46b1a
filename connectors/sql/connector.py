"""Read-only, parameterised SELECTs against PostgreSQL (e.g. an ERP's reporting replica).

Every query runs in its own ``READ ONLY`` transaction with a ``statement_timeout``, through a
server-side cursor, and stops after ``max_rows`` rows, so neither the database nor this process
is asked for more than the run can use. The host is checked by the network policy and the
connection pinned to the checked address (``hostaddr``), so a user-typed host name cannot lead
to the app's own database or an internal service.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import psycopg
from psycopg import errors, sql as pgsql

from ..base import Connector, ConnectorError, Operation
from ..netpolicy import default_policy
from ..registry import register
from .guard import check_select

DEFAULT_MAX_ROWS = 1000
MAX_ROWS_CEILING = 50_000
DEFAULT_TIMEOUT_MS = 15_000
STREAM_BATCH = 2000

_QUERY_ARGS = {
    "type": "object",
    "properties": {
        "sql": {"type": "string", "minLength": 1,
                "description": "One SELECT (or WITH ... SELECT). Use %(name)s placeholders for values."},
        "params": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null", "array"]},
                   "description": "Values for the %(name)s placeholders; never paste values into the SQL."},
        "max_rows": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS_CEILING},
    },
    "required": ["sql"],
    "additionalProperties": False,
}


def jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value) if value == value.to_integral_value() or abs(value) < 10**15 else str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


@register
class SqlConnector(Connector):
    """Settings: ``host``, ``port`` (5432), ``database``, ``user``, ``sslmode`` (``prefer``),
    ``max_rows`` (1000), ``statement_timeout_ms`` (15000). Secrets: ``password``."""

    type = "sql"
    operations = (
        Operation(
            name="sql.query",
            description="Run one read-only SELECT on the connected PostgreSQL database with %(name)s "
                        "parameters. Returns columns and rows (as objects), and truncated=true if "
                        "more rows existed than max_rows.",
            kind="read", args_schema=_QUERY_ARGS,
            result_schema={"type": "object", "properties": {
                "columns": {"type": "array", "items": {"type": "string"}},
                "results": {"type": "array", "items": {"type": "object"}},
                "row_count": {"type": "integer"}, "truncated": {"type": "boolean"}},
                "required": ["columns", "results", "truncated"]},
        ),
    )

    def __init__(self, *, settings: Mapping[str, Any], secrets: Mapping[str, str], ledger: Any = None):
        super().__init__(settings=settings, secrets=secrets, ledger=ledger)
        self.max_rows = min(int(self.settings.get("max_rows", DEFAULT_MAX_ROWS)), MAX_ROWS_CEILING)
        self.timeout_ms = int(self.settings.get("statement_timeout_ms", DEFAULT_TIMEOUT_MS))

    def _connect(self) -> psycopg.Connection:
        host, port = self.settings["host"], int(self.settings.get("port", 5432))
        _, address = default_policy().resolve(host, port)[0]
        try:
            return psycopg.connect(
                host=host, hostaddr=str(address), port=port, dbname=self.settings["database"],
                user=self.settings["user"], password=self.secrets.get("password"),
                sslmode=self.settings.get("sslmode", "prefer"), connect_timeout=10,
                application_name="farside-connector",
            )
        except psycopg.OperationalError as exc:
            raise ConnectorError(self.redactor.redact(f"cannot connect to the database: {exc}"),
                                 retryable=True) from None

    def _rows(self, args: Mapping[str, Any], limit: int) -> Iterator[tuple[list[str], list[tuple]]]:
        """Yield ``(columns, batch)`` until ``limit`` rows (plus one, to detect truncation)."""
        query = check_select(args["sql"])
        with self._connect() as conn:
            try:
                with conn.transaction():
                    conn.execute("SET TRANSACTION READ ONLY")
                    conn.execute(pgsql.SQL("SET LOCAL statement_timeout = {}").format(pgsql.Literal(self.timeout_ms)))
                    with conn.cursor(name="farside_query") as cursor:
                        cursor.execute(query, args.get("params") or None)
                        columns = [c.name for c in cursor.description or ()]
                        remaining = limit + 1
                        while remaining > 0:
                            batch = cursor.fetchmany(min(STREAM_BATCH, remaining))
                            if not batch:
                                break
                            remaining -= len(batch)
                            yield columns, batch
            except errors.QueryCanceled:
                raise ConnectorError(f"the query ran longer than {self.timeout_ms} ms and was cancelled; "
                                     "narrow it or aggregate in SQL", retryable=False) from None
            except errors.ReadOnlySqlTransaction as exc:
                raise ConnectorError(f"the query tried to write, which is not allowed: {exc}", retryable=False) from None
            except (errors.SyntaxError, errors.UndefinedTable, errors.UndefinedColumn, errors.UndefinedFunction,
                    errors.InsufficientPrivilege, errors.DataError, psycopg.ProgrammingError) as exc:
                raise ConnectorError(self.redactor.redact(f"the database refused the query: {exc}"),
                                     retryable=False) from None
            except psycopg.OperationalError as exc:
                raise ConnectorError(self.redactor.redact(f"the database connection failed: {exc}"),
                                     retryable=True) from None

    def _check(self) -> None:
        for _ in self._rows({"sql": "SELECT 1"}, 1):
            pass

    def _run_query(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = min(args.get("max_rows", self.max_rows), self.max_rows)
        columns: list[str] = []
        rows: list[dict[str, Any]] = []
        for columns, batch in self._rows(args, limit):
            rows.extend({c: jsonable(v) for c, v in zip(columns, row)} for row in batch)
        truncated = len(rows) > limit
        rows = rows[:limit]
        return {"columns": columns, "results": rows, "row_count": len(rows), "truncated": truncated}

    def iterate(self, name: str, args: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Stream rows in batches from the server-side cursor, up to ``max_rows`` of the settings."""
        emitted = 0
        for columns, batch in self._rows(args, self.max_rows):
            for row in batch:
                if emitted >= self.max_rows:
                    return
                emitted += 1
                yield {c: jsonable(v) for c, v in zip(columns, row)}
