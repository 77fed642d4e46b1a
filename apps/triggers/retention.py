"""Retention of raw webhook bodies: kept for debugging, not forever.

After ``WEBHOOK_RETENTION_DAYS`` a delivery's body and headers are blanked; what it was
(outcome, reason, size, address, times) and its events stay, so dedupe by event id keeps
refusing replays of an event whose body is gone. Rejected deliveries started nothing and
are deleted outright.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from .models import DeliveryOutcome, WebhookDelivery

BATCH_SIZE = 1000


@dataclass(frozen=True)
class PruneResult:
    cutoff: datetime
    blanked: int
    deleted: int


def deliveries_prune(*, now: datetime, batch_size: int = BATCH_SIZE) -> PruneResult:
    """Prune deliveries received before ``now - WEBHOOK_RETENTION_DAYS``, ``batch_size`` rows
    per transaction so no lock is held for long and intake keeps flowing meanwhile."""
    cutoff = now - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    blanked = deleted = 0
    while True:
        with transaction.atomic():
            # skip_locked: two prunes (beat and the command) never wait on or redo each other's rows.
            batch = list(WebhookDelivery.objects.select_for_update(skip_locked=True)
                         .filter(pruned_at__isnull=True, received_at__lt=cutoff)
                         .order_by("received_at").values_list("pk", "outcome")[:batch_size])
            if not batch:
                return PruneResult(cutoff=cutoff, blanked=blanked, deleted=deleted)
            rejected = [pk for pk, outcome in batch if outcome == DeliveryOutcome.REJECTED]
            kept = [pk for pk, outcome in batch if outcome != DeliveryOutcome.REJECTED]
            if rejected:
                WebhookDelivery.objects.filter(pk__in=rejected).delete()
            if kept:
                WebhookDelivery.objects.filter(pk__in=kept).update(body=b"", headers={}, pruned_at=now)
            deleted += len(rejected)
            blanked += len(kept)
        if len(batch) < batch_size:
            return PruneResult(cutoff=cutoff, blanked=blanked, deleted=deleted)
