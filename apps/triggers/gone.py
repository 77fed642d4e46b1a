"""Webhooks sent to an endpoint of a deleted (archived) workflow.

Deleting a workflow switches its endpoints off but keeps them, so a sender that still
posts is told plainly: 410 Gone (most senders stop retrying on it), recorded as a
rejected delivery. Only reached when the endpoint lookup of intake found nothing, so
the accepting path pays nothing for it.
"""

from __future__ import annotations

from datetime import datetime

from .intake import IntakeResult, _record, _reject
from .models import WebhookEndpoint
from .schemes import InboundRequest, Rejected


def refuse_if_archived(*, endpoint_id, request: InboundRequest, now: datetime) -> IntakeResult | None:
    """The recorded 410 when ``endpoint_id`` belongs to an archived workflow, else None."""
    try:
        organization_id = (WebhookEndpoint.objects.filter(pk=endpoint_id, workflow__archived_at__isnull=False)
                           .values_list("organization_id", flat=True).first())
    except (ValueError, TypeError):  # not a UUID: nothing of ours
        return None
    if organization_id is None:
        return None
    return _reject(_record(organization_id, endpoint_id, request, now),
                   Rejected(410, "workflow_deleted", "the workflow of this webhook endpoint was deleted"),
                   keep_body=False)
