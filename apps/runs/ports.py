"""Database-backed implementations of the ports a running graph uses (workflows.context)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import F, Max
from django.utils import timezone

from workflows.context import ArtifactRef

from apps.common.db import fetchone_prepared

from .models import Artifact, ConnectorWrite, Run, RunEvent, WriteRecord

log = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    """Payloads come from model and connector output; make them safe for a JSON column."""
    return json.loads(json.dumps(value, default=str))


_INSERT_EVENTS_SQL = (
    f"INSERT INTO {RunEvent._meta.db_table} (organization_id, run_id, seq, kind, node_id, payload, created_at) "
    "SELECT %s, %s, e.seq, e.kind, e.node_id, e.payload, %s "
    "FROM unnest(%s::integer[], %s::varchar[], %s::varchar[], %s::jsonb[]) AS e(seq, kind, node_id, payload)"
)


class DbEventSink:
    """Appends RunEvents in order. ``emit`` is cheap and thread-safe: events are numbered
    at once and written in batches by ``flush`` (called a few times a second by the
    process's keeper thread and once at the end), so a node running many tool calls in
    parallel threads never waits on the database, and viewers see events within a
    fraction of a second. Flushes are serialised, so events commit in ``seq`` order and a
    reader polling for ``seq > last`` never skips one."""

    def __init__(self, run: Run):
        self._run_id = run.pk
        self._org_id = run.organization_id
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._buffer: list[tuple[int, str, str, str]] = []  # (seq, kind, node id, payload as JSON text)
        fresh = run.slices == 1 and run.attempts == 0
        self._seq = 0 if fresh else RunEvent.objects.filter(run_id=run.pk).aggregate(m=Max("seq"))["m"] or 0

    def emit(self, kind: str, payload: Mapping[str, Any], *, node_id: str | None = None) -> None:
        # Payloads come from model and connector output: serialised here, with anything
        # JSON cannot hold written as its string.
        text = json.dumps(payload, default=str)
        with self._lock:
            self._seq += 1
            self._buffer.append((self._seq, kind[:48], (node_id or "")[:120], text))

    def flush(self) -> None:
        with self._flush_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            if not batch:
                return
            # Inside the engine's finishing transaction a savepoint would only add two round trips.
            with transaction.atomic(savepoint=False):
                self._insert(batch)
                self._record_totals(batch)

    def _insert(self, batch: list[tuple[int, str, str, str]]) -> None:
        now = timezone.now()
        db = connections[DEFAULT_DB_ALIAS]
        if db.vendor != "postgresql":  # the embedded SQLite mode
            RunEvent.objects.bulk_create([
                RunEvent(organization_id=self._org_id, run_id=self._run_id, seq=seq, kind=kind, node_id=node_id,
                         payload=json.loads(text), created_at=now) for seq, kind, node_id, text in batch])
            return
        # One statement with one array per column: a slice's events cost a fraction of the
        # CPU bulk_create spends building model instances for the same INSERT.
        fetchone_prepared(db, _INSERT_EVENTS_SQL, [
            self._org_id, self._run_id, now, [b[0] for b in batch], [b[1] for b in batch],
            [b[2] for b in batch], [b[3] for b in batch]], fetch=False)

    def _record_totals(self, batch: list[tuple[int, str, str, str]]) -> None:
        totals = {"model_calls": 0, "tool_calls": 0, "prompt_tokens": 0, "cached_tokens": 0,
                  "completion_tokens": 0, "model_seconds": 0.0}
        for _seq, kind, _node_id, text in batch:
            if kind == "model.call":
                payload = json.loads(text)
                usage = payload.get("usage") or {}
                totals["model_calls"] += 1
                totals["prompt_tokens"] += int(usage.get("prompt_tokens") or 0)
                totals["cached_tokens"] += int(usage.get("cached_tokens") or 0)
                totals["completion_tokens"] += int(usage.get("completion_tokens") or 0)
                totals["model_seconds"] += float(payload.get("duration_s") or 0.0)
            elif kind == "tool.call":
                totals["tool_calls"] += 1
        changed = {k: F(k) + v for k, v in totals.items() if v}
        if changed:
            Run.objects.filter(pk=self._run_id).update(**changed)

    def close(self) -> None:
        self.flush()


class DbArtifactStore:
    def __init__(self, run: Run):
        self._run = run

    def put(self, *, name: str, content: bytes, media_type: str, node_id: str | None = None) -> ArtifactRef:
        """Store an artifact of the run, once: a step run again after a crash (or a
        deterministic graph replayed from its last save) gets back the artifact it stored
        the first time instead of a duplicate."""
        name = name[:255]
        same = Artifact.objects.filter(run=self._run, node_id=node_id or "", name=name, media_type=media_type,
                                       size=len(content))
        for pk, stored in same.values_list("pk", "content"):
            if bytes(stored) == content:
                return ArtifactRef(id=str(pk), name=name, media_type=media_type, size=len(content))
        artifact = Artifact.objects.create(organization_id=self._run.organization_id, run=self._run,
                                           node_id=node_id or "", name=name, media_type=media_type,
                                           size=len(content), content=content)
        return ArtifactRef(id=str(artifact.pk), name=artifact.name, media_type=media_type, size=len(content))

    def get(self, artifact_id: str) -> bytes:
        # Scoped to the run's organization: a spec cannot read another tenant's artifact by id.
        artifact = Artifact.objects.filter(organization_id=self._run.organization_id, pk=artifact_id).first()
        if artifact is None:
            raise KeyError(f"artifact {artifact_id} not found")
        return bytes(artifact.content)


class DbWriteLedger:
    def __init__(self, run: Run):
        self._run = run

    def get(self, key: str) -> Any | None:
        record = WriteRecord.objects.filter(organization_id=self._run.organization_id, key=key).first()
        return None if record is None else record.result

    def record(self, key: str, result: Any) -> None:
        try:
            with transaction.atomic():
                WriteRecord.objects.create(organization_id=self._run.organization_id, run=self._run, key=key,
                                           result=_jsonable(result))
        except IntegrityError:
            log.info("write %s was already recorded", key)


class DbConnectorLedger:
    """``connectors.ledger.WriteLedger`` on the database, shared by every worker process."""

    def __init__(self, organization_id: int):
        self._org_id = organization_id

    def reserve(self, key: str) -> dict[str, Any] | None:
        try:
            with transaction.atomic():
                ConnectorWrite.objects.create(organization_id=self._org_id, key=key, state="pending")
            return None
        except IntegrityError:
            entry = ConnectorWrite.objects.get(organization_id=self._org_id, key=key)
            return {"state": entry.state, "result": entry.result} if entry.state == "done" else {"state": entry.state}

    def complete(self, key: str, result: dict[str, Any]) -> None:
        ConnectorWrite.objects.filter(organization_id=self._org_id, key=key).update(
            state="done", result=_jsonable(result))

    def release(self, key: str) -> None:
        ConnectorWrite.objects.filter(organization_id=self._org_id, key=key, state="pending").delete()
