"""Receiving a webhook: verify, record, dedupe, start the run — in that order.

The accepted delivery (raw body, event id, mapped inputs) is one INSERT; the 202 is
answered after it commits, and the run is started from the committed row by a worker
(deliveries.py). Rejections are recorded too, with the reason, and start nothing.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from apps.automations.crypto import decrypt_secrets
from apps.common.errors import InvalidInput

from .deliveries import enqueue_delivery
from .mapping import map_inputs
from .models import DeliveryOutcome, WebhookDelivery, WebhookEndpoint, WebhookScheme
from .schemes import VERIFIERS, EndpointKeys, InboundRequest, Rejected
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
    import json

    return IntakeResult(status=status, body=json.dumps(payload).encode(), **kw)


def endpoint_keys(endpoint: WebhookEndpoint) -> EndpointKeys:
    stored = decrypt_secrets(endpoint.secrets_encrypted)
    secrets = tuple(s for s in (stored.get("current"), stored.get("previous")) if s)
    return EndpointKeys(secrets=secrets, settings=endpoint.settings or {})


def webhook_receive(*, endpoint_id, request: InboundRequest, now: datetime, too_large: bool = False) -> IntakeResult:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True).first()
    if endpoint is None:
        # Nothing to record against: an unknown id is indistinguishable from a probe.
        return _json(404, {"error": {"code": "not_found", "message": "no such webhook endpoint"}})
    record = {
        "organization_id": endpoint.organization_id, "endpoint": endpoint, "received_at": now,
        "remote_addr": request.remote_addr, "body_size": len(request.body), "body": request.body,
        "headers": {k: request.headers[k][:300] for k in _KEPT_HEADERS if k in request.headers},
    }
    if too_large:
        return _reject(record, Rejected(413, "body_too_large", "the body is larger than this endpoint accepts"),
                       keep_body=False)
    try:
        verified = VERIFIERS[endpoint.scheme](request, endpoint_keys(endpoint), now)
        payload = verified.payload
        event_id = (verified.event_id or _pointer_event_id(endpoint, payload) or body_digest(request.body))[:200]
        try:
            inputs = map_inputs(payload, endpoint.input_mapping or {}, endpoint.static_inputs or {})
        except InvalidInput as exc:
            raise Rejected(422, "mapping_failed", str(exc)) from None
    except Rejected as rejection:
        return _reject(record | {"verified": rejection.code in ("malformed_body", "mapping_failed")}, rejection)
    return _accept(endpoint, record | {"verified": True}, event_id, inputs)


def _pointer_event_id(endpoint: WebhookEndpoint, payload) -> str | None:
    from .mapping import _MISSING, resolve_pointer

    pointer = (endpoint.settings or {}).get("event_id_pointer")
    if not pointer:
        return None
    value = resolve_pointer(payload, pointer)
    return None if value is _MISSING or value is None else f"{endpoint.source}:{value}"


def _reject(record: dict, rejection: Rejected, *, keep_body: bool = True) -> IntakeResult:
    delivery = WebhookDelivery.objects.create(
        **(record if keep_body else record | {"body": b""}), outcome=DeliveryOutcome.REJECTED,
        status_code=rejection.status, error_code=rejection.code, error=rejection.message[:500])
    log.info("webhook %s rejected: %s", record["endpoint"].pk, rejection.code)
    return _json(rejection.status, {"error": {"code": rejection.code, "message": rejection.message},
                                    "delivery": delivery.pk}, delivery_id=delivery.pk)


def _accept(endpoint: WebhookEndpoint, record: dict, event_id: str, inputs: dict) -> IntakeResult:
    """One INSERT is the durable write; the unique (endpoint, event id) index is the dedupe.
    The run is created by a worker once the row is committed (see deliveries.py)."""
    salesforce = endpoint.scheme == WebhookScheme.SALESFORCE
    try:
        # Outside a transaction this INSERT commits by itself: one round trip, and a
        # duplicate's IntegrityError leaves no broken transaction behind.
        with transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext():
            delivery = WebhookDelivery.objects.create(**record, outcome=DeliveryOutcome.ACCEPTED, status_code=202,
                                                      event_id=event_id, inputs=inputs)
    except IntegrityError:
        duplicate = WebhookDelivery.objects.create(
            **record, outcome=DeliveryOutcome.DUPLICATE, status_code=200 if salesforce else 409,
            error_code="duplicate_event", error=f"event {event_id} was already accepted", event_id=None)
        if salesforce:  # anything but an Ack makes Salesforce send it again for a day
            return IntakeResult(status=200, body=ACK, content_type="text/xml; charset=utf-8",
                                delivery_id=duplicate.pk)
        return _json(409, {"error": {"code": "duplicate_event", "message": f"event {event_id} was already accepted"},
                           "delivery": duplicate.pk}, delivery_id=duplicate.pk)
    transaction.on_commit(lambda: enqueue_delivery(delivery.pk))
    if salesforce:
        return IntakeResult(status=200, body=ACK, content_type="text/xml; charset=utf-8", delivery_id=delivery.pk)
    return _json(202, {"delivery": delivery.pk, "status": "accepted"}, delivery_id=delivery.pk)
