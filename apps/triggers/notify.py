"""Outbound "run finished" notifications, signed with Standard Webhooks.

A finished run of a hooked workflow is noticed at once through the engine's
``run_finished`` signal (reactions.py), and by polling (``notify_sweep`` every few seconds
from beat) as the safety net for a lost message. Either way a NotifyDelivery row per
(hook, run) is created under a unique constraint, then claimed with a conditional UPDATE
and sent through the connectors' one HTTP wrapper, which refuses private and loopback
addresses (SSRF). Failures are retried with exponential backoff up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets as pysecrets
import uuid
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from apps.automations.crypto import decrypt_secrets
from apps.runs.models import FINISHED, Run

from .models import NotifyDelivery, NotifyHook, NotifyStatus
from .schemes.standard import standard_sign

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)
CLAIM_FOR = timedelta(minutes=2)
SEND_TIMEOUT = 10.0


def new_secret() -> str:
    return "whsec_" + base64.b64encode(pysecrets.token_bytes(24)).decode()


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


def notify_discover(*, now: datetime, run_id=None, limit: int = 500) -> int:
    """Create a pending delivery for every finished run of a hooked workflow not yet
    notified (only ``run_id``'s when given), in one query for every hook."""
    hook = "workflow__notify_hooks__"
    # One filter() call, so the hook conditions and the annotations share one join.
    pairs = (Run.objects.filter(status__in=FINISHED, **{f"{hook}enabled": True},
                                finished_at__gte=F(f"{hook}created_at"))
             .annotate(hook_id=F(f"{hook}id"))
             .filter(~Exists(NotifyDelivery.objects.filter(hook_id=OuterRef("hook_id"), run_id=OuterRef("pk")))))
    if run_id is not None:
        pairs = pairs.filter(pk=run_id)
    rows = [NotifyDelivery(organization_id=organization_id, hook_id=hook_id, run_id=pk,
                           message_id=f"msg_{uuid.uuid4().hex}", next_attempt_at=now)
            for pk, organization_id, hook_id in pairs.order_by().values_list("pk", "organization_id", "hook_id")[:limit]]
    return len(NotifyDelivery.objects.bulk_create(rows, ignore_conflicts=True))


def _due(now: datetime) -> Q:
    """A delivery to (re)try now: pending and due, or claimed by a sender that died mid-send."""
    return (Q(status=NotifyStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=NotifyStatus.SENDING, claimed_until__lt=now))


def _claim(delivery_id: int, now: datetime) -> bool:
    return bool(NotifyDelivery.objects.filter(_due(now), pk=delivery_id)
                .update(status=NotifyStatus.SENDING, claimed_until=now + CLAIM_FOR))


def payload_for(run: Run) -> dict:
    return {"type": "run.finished", "timestamp": run.finished_at.isoformat() if run.finished_at else None,
            "data": {"run": str(run.pk), "workflow": run.workflow_id, "workflow_name": run.workflow.name,
                     "status": run.status, "trigger": run.trigger, "outputs": run.outputs, "error": run.error,
                     "created_at": run.created_at.isoformat(),
                     "finished_at": run.finished_at.isoformat() if run.finished_at else None}}


def notify_send(*, delivery_id: int, now: datetime) -> NotifyDelivery | None:
    """Send one due delivery. Returns it updated, or None if another worker holds it."""
    from connectors.base import ConnectorError
    from connectors.http import HttpClient, RetryPolicy

    if not _claim(delivery_id, now):
        return None
    delivery = NotifyDelivery.objects.select_related("hook", "run", "run__workflow").get(pk=delivery_id)
    body = json.dumps(payload_for(delivery.run), default=str).encode()
    secret = decrypt_secrets(delivery.hook.secret_encrypted)["secret"]
    timestamp = int(now.timestamp())
    headers = {"content-type": "application/json", "webhook-id": delivery.message_id,
               "webhook-timestamp": str(timestamp),
               "webhook-signature": standard_sign(secret, delivery.message_id, timestamp, body)}
    delivery.attempts += 1
    try:
        with HttpClient(retry=RetryPolicy(max_attempts=1), timeout=SEND_TIMEOUT, name="notify") as client:
            response = client.request("POST", delivery.hook.url, content=body, headers=headers, idempotent=True)
        delivery.status, delivery.sent_at = NotifyStatus.SENT, timezone.now()
        delivery.last_status_code, delivery.last_error = response.status_code, ""
    except ConnectorError as exc:
        refused = getattr(exc, "never_sent", False) and not exc.retryable
        delivery.last_status_code, delivery.last_error = exc.status, str(exc)[:500]
        if refused or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = NotifyStatus.FAILED
        else:
            delivery.status, delivery.next_attempt_at = NotifyStatus.PENDING, now + backoff(delivery.attempts)
    delivery.claimed_until = None
    delivery.save(update_fields=["status", "attempts", "sent_at", "last_status_code", "last_error",
                                 "next_attempt_at", "claimed_until"])
    return delivery


def notify_due(*, now: datetime, limit: int = 100, run_id=None) -> list[int]:
    """Deliveries to (re)try now, including ones whose sender died mid-send."""
    due = NotifyDelivery.objects.filter(_due(now))
    if run_id is not None:
        due = due.filter(run_id=run_id)
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def notify_sweep(*, now: datetime) -> int:
    """Discover and send in this process (the Celery sweep sends each as its own task,
    so one slow receiver cannot hold up the others)."""
    notify_discover(now=now)
    sent = 0
    for delivery_id in notify_due(now=now):
        if notify_send(delivery_id=delivery_id, now=now) is not None:
            sent += 1
    return sent
