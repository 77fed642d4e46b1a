"""A first, cheap refusal of SQL that is not a single read-only query.

The real guarantee is the read-only transaction the connector opens (and, on the operator's
side, a database role that can only read); this check exists so the model gets a clear,
early "only SELECT" answer instead of a database error, and so several statements cannot be
smuggled through one call.
"""

from __future__ import annotations

import re

from ..base import ConnectorError

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRINGS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$(\w*)\$.*?\$\1\$", re.S)
# Keywords that change data or state; in a query they can only appear in data-modifying CTEs,
# SELECT ... INTO or locking clauses, all of which we refuse.
_FORBIDDEN = re.compile(
    r"\b(insert|update|delete|merge|truncate|drop|alter|create|grant|revoke|copy|call|do|vacuum|"
    r"analyze|cluster|reindex|refresh|lock|listen|notify|set|reset|begin|commit|rollback|into|"
    r"for\s+(?:update|share|no\s+key\s+update|key\s+share))\b",
    re.I,
)


def check_select(sql: str) -> str:
    """Return the statement without a trailing semicolon, or raise ConnectorError."""
    bare = _STRINGS.sub("''", _COMMENTS.sub(" ", sql)).strip()
    if bare.endswith(";"):
        bare = bare[:-1].rstrip()
        sql = sql.rstrip().rstrip(";").rstrip()
    if not bare:
        raise ConnectorError("the query is empty", retryable=False)
    if ";" in bare:
        raise ConnectorError("only one statement per call is allowed", retryable=False)
    first = bare.split(None, 1)[0].lower()
    if first not in ("select", "with", "values", "table"):
        raise ConnectorError(f"only SELECT queries are allowed, not {first.upper()}", retryable=False)
    found = _FORBIDDEN.search(bare)
    if found:
        raise ConnectorError(f"only read-only SELECT queries are allowed; found {found.group(0).upper()!r}",
                             retryable=False)
    return sql
