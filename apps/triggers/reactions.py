"""Reacting to a finished run at once: its notify hooks and the schedule ticks queued behind it.

The run engine sends ``run_finished`` on its hot path (hundreds of runs a second), and
most workflows have neither notify hooks nor a schedule that queues. So the receiver
decides from a per-process set of "workflow ids somebody follows", read with one query
at most every ``FOLLOWED_TTL`` seconds, and only for a followed workflow sends one task.
A workflow that gained a hook or a queueing schedule moments ago may be missed until the
set is read again; the triggers sweep still finds such runs, so staleness delays a
notification by a few seconds and never loses it.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import connections

from apps.runs.models import Run

from .models import NotifyHook, OverlapPolicy, Schedule

log = logging.getLogger(__name__)

FOLLOWED_TTL = 3.0


class FollowedWorkflows:
    """Ids of workflows with an enabled notify hook or an enabled schedule whose overlap
    policy is "queue", read again when older than ``ttl`` seconds. Thread-safe."""

    def __init__(self, ttl: float = FOLLOWED_TTL):
        self.ttl = ttl
        self._ids: frozenset[int] = frozenset()
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def __contains__(self, workflow_id: int) -> bool:
        read_at = self._read_at
        if read_at is None or time.monotonic() - read_at >= self.ttl:
            with self._lock:
                if self._read_at == read_at:  # else another thread read it meanwhile
                    self._ids, self._read_at = self._read(), time.monotonic()
        return workflow_id in self._ids

    def forget(self) -> None:
        """Read again on next use (after a change made in this process)."""
        self._read_at = None

    @staticmethod
    def _read() -> frozenset[int]:
        hooked = NotifyHook.objects.filter(enabled=True).order_by().values_list("workflow_id")
        queued = (Schedule.objects.filter(enabled=True, overlap_policy=OverlapPolicy.QUEUE).order_by()
                  .values_list("workflow_id"))
        return frozenset(workflow_id for (workflow_id,) in hooked.union(queued))


followed = FollowedWorkflows()


def on_run_finished(sender, run, status: str, **kwargs) -> None:
    """``run_finished`` receiver: nothing but a set lookup unless the workflow is followed."""
    if run.workflow_id not in followed:
        return
    run_id = str(run.pk)
    if settings.RUN_EXECUTION != "celery":
        # The embedded mode has no worker; a short thread keeps HTTP sends out of the
        # caller (the engine's thread, or a request that cancelled the run).
        threading.Thread(target=_react_here, args=(run_id,), name="farside-run-finished", daemon=True).start()
        return
    from .tasks import run_finished

    try:
        run_finished.apply_async(args=[run_id])
    except Exception:  # noqa: BLE001 - the run is durable; the triggers sweep reacts later
        log.warning("could not enqueue the reaction to run %s; the sweep will catch up", run_id, exc_info=True)


def _react_here(run_id: str) -> None:
    from django.utils import timezone

    try:
        run_finished_react(run_id=run_id, now=timezone.now(), send_here=True)
    except Exception:  # noqa: BLE001 - a thread has nobody to raise to; the sweep catches up
        log.exception("reacting to run %s failed", run_id)
    finally:
        connections.close_all()


def run_finished_react(*, run_id: str, now: datetime, send_here: bool = False) -> list[int]:
    """Start the schedule tick queued behind this run, if any, then create the run's
    notifications. Returns the ids of the deliveries now due, sent here when ``send_here``
    (else the caller sends them). Safe to repeat and to race the sweep: deliveries are
    unique per (hook, run) and claimed before sending, queued ticks are started under lock."""
    from .notify import notify_discover, notify_due, notify_send
    from .schedules import schedules_drain

    workflow_id = Run.objects.filter(pk=run_id).values_list("workflow_id", flat=True).first()
    if workflow_id is None:
        return []
    schedules_drain(now=now, workflow_id=workflow_id)
    notify_discover(now=now, run_id=run_id)
    due = notify_due(now=now, run_id=run_id)
    if send_here:
        for delivery_id in due:
            notify_send(delivery_id=delivery_id, now=now)
    return due
