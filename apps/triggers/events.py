"""From an accepted webhook delivery to a run, in a worker, after the delivery committed.

Keeping run creation out of the request keeps the sender's wait to one durable INSERT.
A delivery whose nudge was lost is picked up by the triggers sweep; the run's
idempotency key (endpoint + event id) makes a second attempt return the same run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from apps.accounts.actors import system_actor
from apps.common.errors import InvalidInput, NotFound
from apps.runs.models import Run, TriggerKind
from apps.runs.services import run_create

from .models import DeliveryOutcome, WebhookDelivery

log = logging.getLogger(__name__)

# A delivery still without a run this long after it arrived lost its nudge.
STALE_AFTER = timedelta(seconds=30)


class _Nudger:
    """Tells the workers "deliveries are waiting" at most once per ``interval`` per web
    process: a burst of deliveries costs one Celery message, not one each. A nudge that
    is lost (broker down, process killed) is made up for by the triggers sweep."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def nudge(self) -> None:
        with self._lock:
            # A thread does not survive fork: start one in each (gunicorn) worker process.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._loop, name="webhook-nudger", daemon=True)
                self._thread.start()
        self._event.set()

    def _loop(self) -> None:
        from .tasks import start_pending_deliveries

        while True:
            self._event.wait()
            time.sleep(self.interval)
            self._event.clear()
            try:
                start_pending_deliveries.apply_async()
            except Exception:  # noqa: BLE001 - rows are durable; the sweep starts them later
                log.warning("could not nudge the workers about webhook deliveries", exc_info=True)


_nudger = _Nudger()


def enqueue_delivery(delivery_id: int) -> None:
    """Called once the delivery committed."""
    if settings.RUN_EXECUTION == "celery":
        _nudger.nudge()
    else:
        delivery_start_run(delivery_id=delivery_id)


def delivery_start_run(*, delivery_id: int) -> Run | None:
    """Start the run of an accepted delivery once. Inputs the workflow refuses are recorded
    on the delivery (``inputs_rejected``) instead of failing silently."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True)
                    .select_related("endpoint", "endpoint__organization")
                    .filter(pk=delivery_id, outcome=DeliveryOutcome.ACCEPTED, run__isnull=True, error_code="")
                    .first())
        if delivery is None:
            return None
        endpoint = delivery.endpoint
        key = "webhook:" + hashlib.sha256(f"{endpoint.pk}:{delivery.event_id}".encode()).hexdigest()
        try:
            with transaction.atomic():
                run = run_create(actor=system_actor(endpoint.organization, label=f"webhook:{endpoint.source}"),
                                 workflow_id=endpoint.workflow_id, inputs=delivery.inputs or {},
                                 trigger=TriggerKind.WEBHOOK, trigger_ref=f"webhook:{endpoint.pk}:{delivery.pk}",
                                 idempotency_key=key)
        except (InvalidInput, NotFound) as exc:
            delivery.error_code, delivery.error = "inputs_rejected", str(exc)[:500]
            delivery.save(update_fields=["error_code", "error"])
            log.info("webhook delivery %s: the workflow refused its inputs: %s", delivery.pk, exc)
            return None
        delivery.run = run
        delivery.save(update_fields=["run"])
        return run


def deliveries_start_pending(*, older_than: datetime | None = None, limit: int = 1000) -> int:
    """Start runs for accepted deliveries that have none yet, oldest first."""
    pending = WebhookDelivery.objects.filter(outcome=DeliveryOutcome.ACCEPTED, run__isnull=True, error_code="")
    if older_than is not None:
        pending = pending.filter(received_at__lt=older_than)
    started = 0
    for delivery_id in list(pending.order_by("received_at").values_list("pk", flat=True)[:limit]):
        if delivery_start_run(delivery_id=delivery_id) is not None:
            started += 1
    return started


def deliveries_sweep(*, now: datetime) -> int:
    """Start runs for accepted deliveries whose nudge was lost."""
    return deliveries_start_pending(older_than=now - STALE_AFTER)
