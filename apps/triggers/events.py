"""From accepted webhook events to runs, in a worker, after the delivery committed.

Keeping run creation out of the request keeps the sender's wait to one durable write.
Events whose nudge was lost are picked up by the triggers sweep; each run's idempotency
key (endpoint + event id) makes a second attempt return the same run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, transaction

from apps.accounts.actors import system_actor
from apps.common.errors import InvalidInput, NotFound
from apps.runs.models import Run, TriggerKind
from apps.runs.services import run_create

from .models import WebhookEvent

log = logging.getLogger(__name__)

# An event still without a run this long after it arrived lost its nudge.
STALE_AFTER = timedelta(seconds=30)


class _Nudger:
    """Tells the workers "events are waiting" at most once per ``interval`` per web
    process: a burst of deliveries costs one Celery message, not one each (one task
    starts the runs of every event waiting, and a message costs the web process about as
    much CPU as a delivery). The first nudge after a quiet spell goes at once. A nudge that
    is lost (broker down, process killed) is made up for by the triggers sweep."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def nudge(self) -> None:
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            with self._lock:
                # A thread does not survive fork: start one in each (gunicorn) worker process.
                if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                    self._pid = os.getpid()
                    self._thread = threading.Thread(target=self._loop, name="webhook-nudger", daemon=True)
                    self._thread.start()
        if not self._event.is_set():  # set already while the nudger sleeps out its interval
            self._event.set()

    def _loop(self) -> None:
        from .tasks import start_pending_events

        sent_at = -self.interval
        while True:
            self._event.wait()
            time.sleep(max(0.0, sent_at + self.interval - time.monotonic()))
            self._event.clear()
            sent_at = time.monotonic()
            try:
                start_pending_events.apply_async()
            except Exception:  # noqa: BLE001 - rows are durable; the sweep starts them later
                log.warning("could not nudge the workers about webhook events", exc_info=True)
            finally:
                # Only an eagerly run task (tests) touches the database from this thread.
                connections.close_all()


_nudger = _Nudger()


def nudge_workers() -> None:
    """Called once a delivery with new events committed."""
    if settings.RUN_EXECUTION == "celery":
        _nudger.nudge()
    else:
        events_start_pending()


def event_start_run(*, event_pk: int) -> Run | None:
    """Start the run of an accepted event once. Inputs the workflow refuses are recorded
    on the event (``inputs_rejected``) instead of failing silently."""
    with transaction.atomic():
        event = (WebhookEvent.objects.select_for_update(skip_locked=True, of=("self",))
                 .select_related("endpoint", "endpoint__organization")
                 .filter(pk=event_pk, run__isnull=True, error_code="").first())
        if event is None:
            return None
        endpoint = event.endpoint
        key = "webhook:" + hashlib.sha256(f"{endpoint.pk}:{event.event_id}".encode()).hexdigest()
        try:
            with transaction.atomic():
                run = run_create(actor=system_actor(endpoint.organization, label=f"webhook:{endpoint.source}"),
                                 workflow_id=endpoint.workflow_id, inputs=event.inputs or {},
                                 trigger=TriggerKind.WEBHOOK,
                                 trigger_ref=f"webhook:{endpoint.pk}:{event.delivery_id}:{event.event_id}",
                                 idempotency_key=key)
        except (InvalidInput, NotFound) as exc:
            event.error_code, event.error = "inputs_rejected", str(exc)[:500]
            event.save(update_fields=["error_code", "error"])
            log.info("webhook event %s: the workflow refused its inputs: %s", event.pk, exc)
            return None
        event.run = run
        event.save(update_fields=["run"])
        return run


def events_start_pending(*, older_than: datetime | None = None, limit: int = 1000) -> int:
    """Start runs for accepted events that have none yet, oldest first."""
    pending = WebhookEvent.objects.filter(run__isnull=True, error_code="")
    if older_than is not None:
        pending = pending.filter(created_at__lt=older_than)
    started = 0
    for event_pk in list(pending.order_by("created_at", "id").values_list("pk", flat=True)[:limit]):
        if event_start_run(event_pk=event_pk) is not None:
            started += 1
    return started


def events_sweep(*, now: datetime) -> int:
    """Start runs for accepted events whose nudge was lost."""
    return events_start_pending(older_than=now - STALE_AFTER)
