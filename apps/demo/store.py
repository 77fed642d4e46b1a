"""The demo CRM+ERP's records in the app database, behind ``connectors.demo.store.DemoStore``."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max, Q

from connectors.demo.data import generate
from connectors.demo.store import _PREFIX, ENTITIES, OPERATORS, Page, WriteResult, decode_cursor, encode_cursor

from .models import DemoRecord, DemoWrite


def _conditions(filters: Mapping[str, Any]) -> Q:
    """The memory store's filter language as JSONField lookups. A missing key and an
    explicit JSON null both count as null, as they do for ``MemoryDemoStore``."""
    condition = Q()
    for name, spec in filters.items():
        if not isinstance(spec, Mapping):
            condition &= Q(**{f"data__{name}": spec})
            continue
        for op, operand in spec.items():
            if op not in OPERATORS:
                raise ValueError(f"unknown filter operator {op!r}")
            if op == "isnull":
                null = Q(**{f"data__{name}": None}) | Q(**{f"data__{name}__isnull": True})
                condition &= null if operand else ~null
            else:
                condition &= Q(**{f"data__{name}__{op}": operand})
    return condition


class DjangoDemoStore:
    def __init__(self, organization_id: int | str):
        self.organization_id = int(organization_id)

    def _records(self, entity: str):
        if entity not in ENTITIES:
            raise KeyError(f"unknown demo entity {entity!r}")
        return DemoRecord.objects.filter(organization_id=self.organization_id, entity=entity)

    def list(self, entity, *, filters=None, order_by="id", limit=100, cursor=None) -> Page:
        rows = self._records(entity).filter(_conditions(filters or {}))
        field = order_by.lstrip("-")
        descending = order_by.startswith("-")
        if field == "id":
            ordering = ["-number" if descending else "number"]
        else:
            key = f"data__{field}"
            ordering = [f"-{key}" if descending else key, "-number" if descending else "number"]
        start = decode_cursor(cursor)
        total = rows.count()
        chunk = [r.data for r in rows.order_by(*ordering)[start : start + limit]]
        more = start + limit < total
        return Page(chunk, encode_cursor(start + limit) if more else None, total)

    def seen(self, key: str) -> bool:
        """Whether a write with this idempotency key was already performed."""
        return DemoWrite.objects.filter(organization_id=self.organization_id, key=key).exists()

    def get(self, entity, id):
        row = self._records(entity).filter(record_id=id).first()
        return row.data if row else None

    @transaction.atomic
    def insert(self, entity, record, *, idempotency_key=None) -> WriteResult:
        records = self._records(entity)
        if idempotency_key is not None:
            done = DemoWrite.objects.filter(organization_id=self.organization_id, key=idempotency_key).first()
            if done is not None:
                return WriteResult(self.get(done.entity, done.record_id), performed=False)
        number = (records.select_for_update().aggregate(m=Max("number"))["m"] or 0) + 1
        new = {**copy.deepcopy(dict(record)), "id": f"{_PREFIX[entity]}-{number}"}
        DemoRecord.objects.create(organization_id=self.organization_id, entity=entity, record_id=new["id"],
                                  number=number, data=new)
        if idempotency_key is not None:
            DemoWrite.objects.create(organization_id=self.organization_id, key=idempotency_key, entity=entity,
                                     record_id=new["id"])
        return WriteResult(new)

    @transaction.atomic
    def update(self, entity, id, changes, *, idempotency_key=None) -> WriteResult:
        if idempotency_key is not None:
            done = DemoWrite.objects.filter(organization_id=self.organization_id, key=idempotency_key).first()
            if done is not None:
                return WriteResult(self.get(done.entity, done.record_id), performed=False)
        row = self._records(entity).select_for_update().filter(record_id=id).first()
        if row is None:
            raise KeyError(id)
        row.data = {**row.data, **copy.deepcopy(dict(changes))}
        row.save(update_fields=["data"])
        if idempotency_key is not None:
            DemoWrite.objects.create(organization_id=self.organization_id, key=idempotency_key, entity=entity,
                                     record_id=id)
        return WriteResult(row.data)


@transaction.atomic
def demo_seed(*, organization_id: int, seed: int = 7) -> int:
    """Fill an organization's demo CRM with the standard sample data (idempotent)."""
    if DemoRecord.objects.filter(organization_id=organization_id).exists():
        return 0
    rows = []
    for entity, records in generate(seed=seed).items():
        for record in records:
            number = int(record["id"].rpartition("-")[2])
            rows.append(DemoRecord(organization_id=organization_id, entity=entity, record_id=record["id"],
                                   number=number, data=record))
    DemoRecord.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
