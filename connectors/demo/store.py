"""Where the demo CRM+ERP keeps its records.

The demo's data lives in the app's database, which this package may not import, so the demo
connector talks to a :class:`DemoStore`. :class:`MemoryDemoStore` serves tests and notebooks;
the app provides a Django-backed store with the same behaviour.

Records are plain JSON objects with a string ``id``; dates are ISO strings (``YYYY-MM-DD``) and
timestamps ISO UTC strings (``YYYY-MM-DDTHH:MM:SSZ``), so string comparison orders them.

Filters map a field name to either a value (equality) or a dict of operators:
``{"in": [...]}``, ``{"gte": x}``, ``{"gt": x}``, ``{"lte": x}``, ``{"lt": x}``,
``{"icontains": "text"}`` (case-insensitive substring), ``{"isnull": bool}``. Several operators
on one field and several fields all must hold. A Django store maps them one to one onto
``data__<field>__<op>`` lookups of a JSONField (mind ``isnull``: a JSON ``null`` counts as null,
where Django's key lookup only tests that the key is missing). ``connectors.demo.conformance``
checks a store against all of this.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

ENTITIES = ("owners", "accounts", "contacts", "deals", "orders", "invoices", "activities")
OPERATORS = frozenset({"in", "gte", "gt", "lte", "lt", "icontains", "isnull"})


@dataclass
class Page:
    records: list[dict[str, Any]]
    next_cursor: str | None = None
    total: int | None = None


@dataclass
class WriteResult:
    record: dict[str, Any]
    # False when the idempotency key had been seen: the earlier result is returned unchanged.
    performed: bool = True


class DemoStore(Protocol):
    def list(
        self,
        entity: str,
        *,
        filters: Mapping[str, Any] | None = None,
        order_by: str = "id",
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page:
        """A page of records matching ``filters`` ordered by ``order_by`` (``-field`` descending,
        ties broken by ``id``); ``cursor`` is the opaque ``next_cursor`` of the previous page."""
        ...

    def get(self, entity: str, id: str) -> dict[str, Any] | None: ...

    def insert(self, entity: str, record: Mapping[str, Any], *, idempotency_key: str | None = None) -> WriteResult:
        """Store a new record (the store assigns ``id``). With a key seen before, store nothing
        and return the record that key created."""
        ...

    def update(
        self, entity: str, id: str, changes: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> WriteResult:
        """Apply ``changes``; with a key seen before, apply nothing and return the record as it is.
        Raises KeyError for an unknown id."""
        ...

    def seen(self, idempotency_key: str) -> bool:
        """Whether a write with this key was already performed."""
        ...


def matches(record: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    for name, condition in filters.items():
        value = record.get(name)
        if not isinstance(condition, Mapping):
            if value != condition:
                return False
            continue
        for op, operand in condition.items():
            if op not in OPERATORS:
                raise ValueError(f"unknown filter operator {op!r}")
            if op == "isnull":
                if (value is None) != bool(operand):
                    return False
                continue
            if value is None:
                return False
            if op == "in" and value not in operand:
                return False
            if op == "gte" and not value >= operand:
                return False
            if op == "gt" and not value > operand:
                return False
            if op == "lte" and not value <= operand:
                return False
            if op == "lt" and not value < operand:
                return False
            if op == "icontains" and str(operand).lower() not in str(value).lower():
                return False
    return True


def _sort_key(field_name: str):
    def key(record: Mapping[str, Any]) -> tuple:
        value = record.get(field_name)
        # None sorts first ascending; the id tie-breaker keeps pages stable.
        return (value is not None, value if value is not None else 0, _id_key(record["id"]))

    return key


def _id_key(id_: str) -> tuple:
    prefix, _, number = id_.rpartition("-")
    return (prefix, int(number)) if number.isdigit() else (id_, 0)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("invalid cursor") from exc


@dataclass
class MemoryDemoStore:
    """An in-process store; ``MemoryDemoStore.seeded()`` fills it with the standard sample data."""

    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {e: {} for e in ENTITIES})
    writes: dict[str, tuple[str, str]] = field(default_factory=dict)
    _ids: dict[str, itertools.count] = field(default_factory=dict)
    # Parallel tool calls share a store: the key check and the insert must not interleave.
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def seeded(cls, **kwargs: Any) -> MemoryDemoStore:
        from .data import generate

        store = cls()
        for entity, records in generate(**kwargs).items():
            table = store.tables[entity]
            for record in records:
                table[record["id"]] = record
        return store

    def list(self, entity, *, filters=None, order_by="id", limit=100, cursor=None):
        with self._lock:
            rows = [r for r in self._table(entity).values() if matches(r, filters or {})]
        descending = order_by.startswith("-")
        rows.sort(key=_sort_key(order_by.lstrip("-")), reverse=descending)
        start = decode_cursor(cursor)
        chunk = rows[start : start + limit]
        more = start + limit < len(rows)
        return Page([copy.deepcopy(r) for r in chunk], encode_cursor(start + limit) if more else None, len(rows))

    def get(self, entity, id):
        record = self._table(entity).get(id)
        return copy.deepcopy(record) if record is not None else None

    def insert(self, entity, record, *, idempotency_key=None):
        with self._lock:
            return self._insert(entity, record, idempotency_key)

    def _insert(self, entity, record, idempotency_key):
        table = self._table(entity)
        if idempotency_key is not None and idempotency_key in self.writes:
            return WriteResult(copy.deepcopy(table[self.writes[idempotency_key][1]]), performed=False)
        prefix = _PREFIX[entity]
        counter = self._ids.setdefault(entity, itertools.count(1 + max((_id_key(i)[1] for i in table), default=0)))
        new = {**copy.deepcopy(dict(record)), "id": f"{prefix}-{next(counter)}"}
        table[new["id"]] = new
        if idempotency_key is not None:
            self.writes[idempotency_key] = (entity, new["id"])
        return WriteResult(copy.deepcopy(new))

    def update(self, entity, id, changes, *, idempotency_key=None):
        with self._lock:
            return self._update(entity, id, changes, idempotency_key)

    def _update(self, entity, id, changes, idempotency_key):
        table = self._table(entity)
        if idempotency_key is not None and idempotency_key in self.writes:
            return WriteResult(copy.deepcopy(table[self.writes[idempotency_key][1]]), performed=False)
        if id not in table:
            raise KeyError(id)
        table[id].update(copy.deepcopy(dict(changes)))
        if idempotency_key is not None:
            self.writes[idempotency_key] = (entity, id)
        return WriteResult(copy.deepcopy(table[id]))

    def seen(self, idempotency_key):
        return idempotency_key in self.writes

    def _table(self, entity: str) -> dict[str, dict[str, Any]]:
        if entity not in self.tables:
            raise KeyError(f"unknown demo entity {entity!r}")
        return self.tables[entity]


_PREFIX = {
    "owners": "own",
    "accounts": "acc",
    "contacts": "con",
    "deals": "deal",
    "orders": "ord",
    "invoices": "inv",
    "activities": "act",
}
