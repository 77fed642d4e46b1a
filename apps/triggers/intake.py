"""Receiving a webhook: verify, record, dedupe, start the run — in that order.

The accepted delivery (raw body, event id, mapped inputs) is one statement, shared with
deliveries arriving at the same moment (accept.py); the 202 is answered after it commits,
and the run is started from the committed row by a worker (events.py). Rejections are
recorded too, with the reason, and start nothing.

The endpoint is usually remembered from an earlier delivery (endpoints.py); the accepting
INSERT checks that the row still agrees, so a remembered copy never accepts a delivery the
row would not, and a refusal is always decided on a fresh read.
"""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from apps.common.errors import InvalidInput, error_body

from .accept import Acceptance, delivery_accept
from .endpoints import (
    IntakeEndpoint,
    endpoint_forget,
    endpoint_read,
    endpoint_remembered,
    endpoint_unchanged,
)
from .events import nudge_workers
from .mapping import MISSING, map_inputs, resolve_pointer
from .models import DeliveryOutcome, WebhookDelivery, WebhookEvent, WebhookScheme
from .schemes import VERIFIERS, InboundRequest, Rejected
from .schemes.base import body_digest
from .schemes.salesforce import ACK

log = logging.getLogger(__name__)

# Headers worth keeping with a delivery for debugging; never Authorization or cookies.
_KEPT_HEADERS = ("content-type", "content-length", "user-agent", "x-hubspot-signature-version",
                 "x-hubspot-request-timestamp", "webhook-id", "webhook-timestamp", "x-request-id")


@dataclass(frozen=True)
class IntakeResult:
    status: int
    body: bytes
    content_type: str = "application/json"
    delivery_id: int | None = None


def _json(status: int, payload: dict, **kw) -> IntakeResult:
    return IntakeResult(status=status, body=json.dumps(payload).encode(), **kw)


def webhook_receive(*, endpoint_id, request: InboundRequest, now: datetime,
                    too_large_size: int | None = None) -> IntakeResult:
    """``too_large_size`` is the size of a body that was refused unread (from Content-Length)."""
    remembered = endpoint_remembered(endpoint_id)
    if remembered is not None and too_large_size is None:
        try:
            events = _events(remembered, request, now)
        except Rejected:
            pass  # perhaps the secret was just rotated: decide on a fresh read
        else:
            result = _accept(remembered, _record(remembered.organization_id, remembered.pk, request, now), events,
                             now)
            if result is not None:
                return result
    endpoint = endpoint_read(endpoint_id)
    if endpoint is None:
        from .gone import refuse_if_archived  # a deleted workflow's endpoint: recorded 410

        gone = refuse_if_archived(endpoint_id=endpoint_id, request=request, now=now)
        if gone is not None:
            return gone
        # Nothing to record against: an unknown id is indistinguishable from a probe.
        return _json(404, error_body("not_found", "no such webhook endpoint"))
    record = _record(endpoint.organization_id, endpoint.pk, request, now, too_large_size)
    if too_large_size is not None:
        return _reject(record, Rejected(413, "body_too_large", "the body is larger than this endpoint accepts"),
                       keep_body=False)
    try:
        events = _events(endpoint, request, now)
    except Rejected as rejection:
        # Mapping runs only after verification passed; any other refusal proves nothing.
        return _reject(record | {"verified": rejection.code == "mapping_failed"}, rejection)
    result = _accept(endpoint, record, events, now)
    if result is None:
        # The row changed between this read and the INSERT (a rotation racing the delivery).
        endpoint_forget(endpoint_id)
        return _json(503, error_body("endpoint_changed", "the endpoint changed while this was received; send it again"))
    return result


def _record(organization_id: int, endpoint_id, request: InboundRequest, now: datetime,
            too_large_size: int | None = None) -> dict:
    """The columns of a WebhookDelivery that come from the request itself."""
    return {
        "organization_id": organization_id, "endpoint_id": endpoint_id, "received_at": now,
        "remote_addr": request.remote_addr, "body": request.body,
        "body_size": len(request.body) if too_large_size is None else too_large_size,
        "headers": {k: request.headers[k][:300] for k in _KEPT_HEADERS if k in request.headers},
    }


def _events(endpoint: IntakeEndpoint, request: InboundRequest, now: datetime) -> list[tuple[str, dict]]:
    """Verify the delivery and map each event to ``(event id, workflow inputs)``; raises Rejected."""
    verified = VERIFIERS[endpoint.scheme](request, endpoint.keys(), now)
    events = []
    for index, event in enumerate(verified.events):
        event_id = event.event_id or _pointer_event_id(endpoint, event.payload) or body_digest(request.body)
        if event.event_id is None and len(verified.events) > 1:
            event_id = f"{event_id}#{index}"
        if "\x00" in event_id:
            raise Rejected(400, "malformed_body", "the event id contains the NUL character")
        try:
            inputs = map_inputs(event.payload, endpoint.input_mapping or {}, endpoint.static_inputs or {})
        except InvalidInput as exc:
            raise Rejected(422, "mapping_failed", str(exc)) from None
        events.append((event_id[:200], inputs))
    return events


def _pointer_event_id(endpoint: IntakeEndpoint, payload) -> str | None:
    pointer = (endpoint.settings or {}).get("event_id_pointer")
    if not pointer:
        return None
    value = resolve_pointer(payload, pointer)
    return None if value is MISSING or value is None else f"{endpoint.source}:{value}"


def _reject(record: dict, rejection: Rejected, *, keep_body: bool = True) -> IntakeResult:
    delivery = WebhookDelivery.objects.create(
        **(record if keep_body else record | {"body": b""}), outcome=DeliveryOutcome.REJECTED,
        status_code=rejection.status, error_code=rejection.code, error=rejection.message[:500])
    log.info("webhook %s rejected: %s", record["endpoint_id"], rejection.code)
    return _json(rejection.status, {**error_body(rejection.code, rejection.message),
                                    "delivery": delivery.pk}, delivery_id=delivery.pk)


def _accept_portable(endpoint: IntakeEndpoint, record: dict, events: list[tuple[str, dict]],
                     now: datetime) -> tuple[int, int] | None:
    """The same write for the embedded SQLite mode, where throughput matters less."""
    with transaction.atomic():
        if not endpoint_unchanged(endpoint):
            return None
        delivery = WebhookDelivery.objects.create(**record, verified=True, outcome=DeliveryOutcome.ACCEPTED,
                                                  status_code=202)
        WebhookEvent.objects.bulk_create(
            [WebhookEvent(organization_id=endpoint.organization_id, endpoint_id=endpoint.pk, delivery=delivery,
                          event_id=event_id, inputs=inputs, created_at=now) for event_id, inputs in events],
            ignore_conflicts=True)
        return delivery.pk, WebhookEvent.objects.filter(delivery=delivery).count()


def _accept(endpoint: IntakeEndpoint, record: dict, events: list[tuple[str, dict]],
            now: datetime) -> IntakeResult | None:
    """The durable write is one statement; the runs are started by a worker once it has
    committed (events.py). A delivery whose every event was accepted before is a
    duplicate: recorded, and answered 409 (Salesforce: acknowledged, or it resends all day).
    None, with nothing written, when the endpoint row no longer agrees with ``endpoint``."""
    salesforce = endpoint.scheme == WebhookScheme.SALESFORCE
    db = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic() if db.in_atomic_block else nullcontext():
        if db.vendor == "postgresql":
            row = delivery_accept(Acceptance(
                endpoint_id=endpoint.pk, version=endpoint.version, organization_id=endpoint.organization_id,
                received_at=record["received_at"], remote_addr=record["remote_addr"],
                headers=json.dumps(record["headers"]), body=record["body"], body_size=record["body_size"],
                events=json.dumps([{"event_id": e[0], "inputs": e[1]} for e in events])))
        else:
            row = _accept_portable(endpoint, record, events, now)
        if row is None:
            return None
        delivery_id, accepted = row
        if not accepted:
            message = "every event in this delivery was already accepted"
            WebhookDelivery.objects.filter(pk=delivery_id).update(
                outcome=DeliveryOutcome.DUPLICATE, status_code=200 if salesforce else 409,
                error_code="duplicate_event", error=message)
    if not accepted:
        if salesforce:
            return IntakeResult(status=200, body=ACK, content_type="text/xml; charset=utf-8", delivery_id=delivery_id)
        return _json(409, {**error_body("duplicate_event", message), "delivery": delivery_id},
                     delivery_id=delivery_id)
    if db.in_atomic_block:
        transaction.on_commit(nudge_workers)  # once the caller's transaction commits
    else:
        nudge_workers()  # the statement committed on its own
    if salesforce:
        return IntakeResult(status=200, body=ACK, content_type="text/xml; charset=utf-8", delivery_id=delivery_id)
    return _json(202, {"delivery": delivery_id, "status": "accepted", "events": len(events), "new_events": accepted},
                 delivery_id=delivery_id)
