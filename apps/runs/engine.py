"""Advancing a run by one bounded slice (DESIGN.md §2).

``run_advance`` claims the run with a conditional UPDATE (one lease holder at a time),
builds the graph from the pinned spec, runs at most ``RUN_SLICE_STEPS`` super-steps or
``RUN_SLICE_SECONDS`` against the checkpointer, then records the outcome and says
whether another slice is needed. Every write after the claim is guarded by the lease,
so a worker that lost its lease (it stalled, the sweeper handed the run to another)
cannot overwrite the newer owner's work.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from langgraph.errors import GraphDrained
from langgraph.runtime import RunControl
from langgraph.types import Command

import workflows
from workflows.context import RunContext

from apps.common.db import fetchone_prepared

from .checkpoints import checkpointer
from .models import Approval, Run, RunStatus
from .ports import DbArtifactStore, DbEventSink, DbWriteLedger
from .runtime import (compiled_graph, connector_provider, loaded_spec, model_client,
                      organization_locale, version_of)
from .signals import announce_finished

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SliceOutcome:
    """What happened in one call of ``run_advance``; ``again`` asks for another slice."""

    status: str
    again: bool = False
    retry_in: float = 0.0
    steps: int = 0


SKIPPED = SliceOutcome(status="skipped")


_CLAIM_SQL = """
UPDATE {table} SET lease_owner = %s, lease_expires_at = %s, status = 'running',
       started_at = COALESCE(started_at, %s), slices = slices + 1,
       attempts = CASE WHEN lease_owner <> '' THEN attempts + 1 ELSE attempts END
 WHERE id = %s AND status IN ('queued', 'running') AND (lease_owner = '' OR lease_expires_at < %s)
RETURNING {columns}
"""


def _claim(run_id: str, worker: str) -> Run | None:
    """Take the run's lease if nobody holds a live one; one round trip (UPDATE ... RETURNING).

    Taking over a lease that expired means the previous holder died mid-slice, which
    counts as an attempt.
    """
    db = connections[DEFAULT_DB_ALIAS]
    now = timezone.now()
    try:
        pk = Run._meta.pk.get_db_prep_value(uuid.UUID(str(run_id)), db)
    except ValueError:
        return None
    params = [worker, db.ops.adapt_datetimefield_value(now + timedelta(seconds=settings.RUN_LEASE_SECONDS)),
              db.ops.adapt_datetimefield_value(now), pk, db.ops.adapt_datetimefield_value(now)]
    sql, reader = _claim_statement(db.vendor)
    if db.vendor == "postgresql":
        # Safe to resend on a dead connection: the UPDATE is conditional.
        row = fetchone_prepared(db, sql, params)
    else:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
    if row is None:
        return None
    run = reader(row)
    run.version = version_of(run.version_id)
    return run


@lru_cache(maxsize=None)
def _claim_statement(vendor: str):
    """The claim's SQL and a reader turning its row into a Run the way the ORM would
    (Django's converters per column), without a RawQuerySet's per-call setup: this is on
    the path of every slice."""
    fields = Run._meta.concrete_fields
    table = Run._meta.db_table
    columns = [field.get_col(table) for field in fields]
    converters = [(col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
                  for col in columns]
    attnames = [field.attname for field in fields]
    sql = _CLAIM_SQL.format(table=connection.ops.quote_name(table),
                            columns=", ".join(connection.ops.quote_name(f.column) for f in fields))

    def read(row) -> Run:
        values = []
        for value, (col, convert) in zip(row, converters):
            for converter in convert:
                value = converter(value, col, connection)
            values.append(value)
        return Run.from_db(connection.alias, attnames, values)

    return sql, read


def _guarded(run: Run, worker: str):
    return Run.objects.filter(pk=run.pk, lease_owner=worker)


def _finish(run: Run, worker: str, status: str, **fields: Any) -> bool:
    now = timezone.now()
    return bool(_guarded(run, worker).update(status=status, finished_at=now, lease_owner="",
                                             lease_expires_at=now, **fields))


def _release(run: Run, worker: str, **fields: Any) -> bool:
    return bool(_guarded(run, worker).update(lease_owner="", lease_expires_at=timezone.now(), **fields))


class _Keeper:
    """Looks after one slice from the process's keeper thread: flushes its events a few
    times a second, keeps its lease alive during long model calls, and turns a cancel
    request into a drain at the next super-step boundary."""

    def __init__(self, run: Run, worker: str, control: RunControl, events: DbEventSink):
        self._run, self._worker, self._control, self._events = run, worker, control, events
        self.cancelled = False
        self.lost = False
        self.next_renewal = time.monotonic() + _renew_every()
        self.lock = threading.Lock()  # held while the keeper thread services this slice

    def __enter__(self) -> _Keeper:
        _keepers.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _keepers.remove(self)

    def service(self, now: float) -> None:
        self._events.flush()
        if now >= self.next_renewal and not self.lost and not self.cancelled:
            self.next_renewal = now + _renew_every()
            self._renew()

    def _renew(self) -> None:
        expires = timezone.now() + timedelta(seconds=settings.RUN_LEASE_SECONDS)
        if not _guarded(self._run, self._worker).update(lease_expires_at=expires):
            self.lost = True
            self._control.request_drain("lease lost")
        elif Run.objects.filter(pk=self._run.pk, cancel_requested=True).exists():
            self.cancelled = True
            self._control.request_drain("cancelled")


def _renew_every() -> float:
    return max(0.2, min(settings.RUN_LEASE_SECONDS / 4, 5.0))


class _KeeperThread:
    """One background thread per process serving every slice in progress, so a short
    slice costs no thread start and join. It keeps its database connection while slices
    run and closes it when none does."""

    INTERVAL = 0.2

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slices: set[_Keeper] = set()
        self._pid: int | None = None

    def add(self, keeper: _Keeper) -> None:
        with self._lock:
            self._slices.add(keeper)
            if self._pid != os.getpid():  # first slice in this process (or in a forked child)
                self._pid = os.getpid()
                threading.Thread(target=self._loop, name="farside-keeper", daemon=True).start()

    def remove(self, keeper: _Keeper) -> None:
        with self._lock:
            self._slices.discard(keeper)
        with keeper.lock:  # wait out a service in progress; none starts after this
            pass

    def _loop(self) -> None:
        while True:
            time.sleep(self.INTERVAL)
            with self._lock:
                slices = list(self._slices)
            if not slices:
                connections.close_all()  # idle: hold no database connection
                continue
            now = time.monotonic()
            for keeper in slices:
                with keeper.lock:
                    with self._lock:
                        if keeper not in self._slices:
                            continue
                    try:
                        keeper.service(now)
                    except Exception:  # noqa: BLE001 - the next round tries again; the slice goes on
                        log.warning("keeping a slice alive failed", exc_info=True)
                        connections.close_all()


_keepers = _KeeperThread()


def run_advance(*, run_id: str, worker: str) -> SliceOutcome:
    run = _claim(run_id, worker)
    if run is None:
        return SKIPPED
    events = DbEventSink(run)
    try:
        outcome = _advance(run, worker, events)
    finally:
        events.close()
    return outcome


def _advance(run: Run, worker: str, events: DbEventSink) -> SliceOutcome:
    if run.slices == 1:
        events.emit("run.started", {"attempt": run.attempts, "version": run.version.number,
                                    "trigger": run.trigger})
    if run.cancel_requested:
        return _end(run, worker, events, RunStatus.CANCELLED)
    if run.attempts > settings.RUN_MAX_ATTEMPTS:
        return _end(run, worker, events, RunStatus.FAILED, error_code="attempts_exhausted",
                    error=f"The run was interrupted {run.attempts} times (worker crashes or restarts) and was "
                          f"stopped after the limit of {settings.RUN_MAX_ATTEMPTS}. Its steps so far are saved; "
                          "start it again once the workers are stable.")
    if run.attempts:
        events.emit("run.resumed", {"attempt": run.attempts, "slice": run.slices})

    control = RunControl()
    steps = 0
    try:
        spec = loaded_spec(run.version.checksum, run.version.spec)
        graph = compiled_graph(run.version.checksum, run.version.spec, checkpointer())
        tz, language = organization_locale(run.organization_id)
        config = {"configurable": {"thread_id": str(run.pk)}, "recursion_limit": 100_000}
        context = RunContext(
            run_id=str(run.pk), organization_id=str(run.organization_id), model=model_client(),
            connectors=connector_provider(run), events=events, artifacts=DbArtifactStore(run),
            ledger=DbWriteLedger(run), timezone=tz, language=language,
            is_cancelled=lambda: control.drain_requested,
            # Tool calls on the agent's own threads open their own connections; close them
            # there, or every parallel call would leave one behind.
            release_thread=lambda: connection.close(),
        )
        graph_input = _graph_input(graph, config, run, spec)
        deadline = time.monotonic() + settings.RUN_SLICE_SECONDS
        values: dict[str, Any] = {}
        interrupts: list[Any] = []
        drained = False
        with _Keeper(run, worker, control, events) as keeper:
            try:
                for mode, chunk in graph.stream(graph_input, config, context=context,
                                                stream_mode=["updates", "values"],
                                                durability=_durability(spec), control=control):
                    if mode == "values":
                        values = chunk
                    elif "__interrupt__" in chunk:
                        interrupts.extend(chunk["__interrupt__"])
                    else:
                        steps += 1
                        if steps >= settings.RUN_SLICE_STEPS or time.monotonic() >= deadline:
                            control.request_drain("slice")
            except GraphDrained:
                drained = True
        if keeper.lost:
            return SliceOutcome(status="lease_lost", steps=steps)
        if keeper.cancelled:
            return _end(run, worker, events, RunStatus.CANCELLED, steps=steps)
        if interrupts:
            _wait_for_approval(run, worker, interrupts)
            events.emit("run.waiting_approval", {"approvals": len(interrupts)})
            return SliceOutcome(status=RunStatus.WAITING_APPROVAL, steps=steps)
        if drained:
            _release(run, worker, resume_value=None)
            return SliceOutcome(status=RunStatus.RUNNING, again=True, steps=steps)
        if not values:  # nothing ran in this slice (resumed at the very end): read the saved state
            values = graph.get_state(config).values
        outputs = workflows.final_outputs(spec, values, context)
    except Exception as exc:  # noqa: BLE001 - every failure of user work ends in a readable state
        return _on_error(run, worker, events, exc, steps)
    return _end(run, worker, events, RunStatus.SUCCEEDED, steps=steps, outputs=outputs, resume_value=None)


def _end(run: Run, worker: str, events: DbEventSink, status: str, *, steps: int = 0, **fields: Any) -> SliceOutcome:
    """Finish the run and write its ``run.finished`` event in one transaction, so nobody
    sees a finished run without the event or the event without the finished run."""
    with transaction.atomic():
        if _finish(run, worker, status, **fields):
            payload = {"status": status}
            if fields.get("error"):
                payload["error"] = fields["error"]
            events.emit("run.finished", payload)
            events.flush()
            transaction.on_commit(lambda: announce_finished(run, status))
    return SliceOutcome(status=status, steps=steps)


def _durability(spec) -> str:
    """Checkpoint after every step ("sync"), or once when the slice ends ("exit").

    Steps that call a model or touch an outside system are saved as soon as they finish,
    so a crash never repeats them. A graph made only of deterministic steps is saved at
    the end of each slice (a drain, an interrupt, an error or the finish all save): after
    a crash its steps since the last save run again and reach the same state, for a
    fraction of the checkpoint writes.
    """
    return "exit" if spec.replayable else "sync"


def _graph_input(graph, config: dict, run: Run, spec) -> Any:
    if run.slices == 1 and run.attempts == 0 and not run.resume_value:
        return workflows.initial_state(spec, run.inputs)  # first slice ever: no checkpoint yet
    state = graph.get_state(config)
    if not state.values and not state.next:
        return workflows.initial_state(spec, run.inputs)
    pending = {i.id for i in state.interrupts}
    if run.resume_value and pending:
        # Only answer interrupts that are still pending; a crash after the resume step
        # was checkpointed must not feed the same decision to a later interrupt.
        answers = {k: v for k, v in run.resume_value.items() if k in pending}
        if answers:
            return Command(resume=answers)
    return None


def _wait_for_approval(run: Run, worker: str, interrupts) -> None:
    with transaction.atomic():
        for interrupt in interrupts:
            payload = interrupt.value if isinstance(interrupt.value, dict) else {"value": interrupt.value}
            Approval.objects.get_or_create(
                run=run, interrupt_id=interrupt.id,
                defaults={
                    "organization_id": run.organization_id,
                    "node_id": str(payload.get("node_id") or "")[:120],
                    "title": str(payload.get("title") or "Approval needed")[:300],
                    "tool": str(payload.get("tool") or "")[:120],
                    "requested": payload,
                    "required_approvers": max(1, int(payload.get("required_approvers") or 1)),
                },
            )
        _release(run, worker, status=RunStatus.WAITING_APPROVAL, resume_value=None)


def _on_error(run: Run, worker: str, events: DbEventSink, exc: Exception, steps: int) -> SliceOutcome:
    retryable = bool(getattr(exc, "retryable", False))
    if retryable and run.attempts < settings.RUN_MAX_ATTEMPTS:
        log.warning("run %s: transient failure, will retry: %s", run.pk, exc)
        events.emit("run.retrying", {"error": _readable(exc), "attempt": run.attempts + 1})
        _release(run, worker, attempts=F("attempts") + 1)
        return SliceOutcome(status=RunStatus.RUNNING, again=True, retry_in=min(60.0, 2.0 ** run.attempts),
                            steps=steps)
    log.exception("run %s failed", run.pk)
    return _end(run, worker, events, RunStatus.FAILED, steps=steps, error_code=type(exc).__name__[:64],
                error=_readable(exc))


def _readable(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:4000]
