"""HMAC schemes with a timestamp in the signed content.

Standard Webhooks: ``webhook-id``, ``webhook-timestamp`` (seconds) and ``webhook-signature``
(space-separated ``v1,<base64>`` entries, so a sender rotating its secret can sign with both);
the key is the base64 part of a ``whsec_`` secret, the signed content ``id.timestamp.body``.

Stripe-style: ``Stripe-Signature: t=<seconds>,v1=<hex>[,v1=<hex>…]`` over ``t.body``, keyed with
the whole secret string as given.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from .base import EndpointKeys, InboundRequest, Rejected, Verified, check_window, equal, hmac_sha256, parse_json, require


def standard_key(secret: str) -> bytes:
    raw = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        return base64.b64decode(raw + "==")  # tolerate unpadded secrets, as the reference library does
    except (binascii.Error, ValueError):
        raise Rejected(500, "bad_secret", "the endpoint's secret is not a whsec_ base64 secret") from None


def standard_sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac_sha256(standard_key(secret), content)).decode()


def _timestamp(raw: str, header: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise Rejected(401, "bad_timestamp", f"{header} is not a timestamp in seconds") from None


def verify_standard(request: InboundRequest, keys: EndpointKeys, now: datetime) -> Verified:
    msg_id = require(request, "webhook-id")
    raw_ts = require(request, "webhook-timestamp")
    given = require(request, "webhook-signature")
    check_window(_timestamp(raw_ts, "webhook-timestamp"), now)
    offered = [part.split(",", 1)[1] for part in given.split() if part.startswith("v1,")]
    expected = [standard_sign(s, msg_id, int(raw_ts), request.body).split(",", 1)[1] for s in keys.secrets]
    if not any(equal(e, o) for e in expected for o in offered):
        raise Rejected(401, "bad_signature", "no webhook-signature entry matches")
    return Verified.single(parse_json(request.body), event_id=msg_id[:200])


def stripe_sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac_sha256(secret.encode(), f"{timestamp}.".encode() + body).hex()


def verify_stripe(request: InboundRequest, keys: EndpointKeys, now: datetime) -> Verified:
    header = require(request, "stripe-signature")
    pairs = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [v.strip() for k, v in pairs if k.strip() == "t"]
    offered = [v.strip() for k, v in pairs if k.strip() == "v1"]
    if len(timestamps) != 1 or not offered:
        raise Rejected(401, "missing_signature", "Stripe-Signature needs one t= and at least one v1=")
    check_window(_timestamp(timestamps[0], "Stripe-Signature t"), now)
    expected = [stripe_sign(s, int(timestamps[0]), request.body) for s in keys.secrets]
    if not any(equal(e, o.lower()) for e in expected for o in offered):
        raise Rejected(401, "bad_signature", "no v1 signature in Stripe-Signature matches")
    payload = parse_json(request.body)
    return Verified.single(payload, event_id=_stripe_event_id(payload))


def _stripe_event_id(payload: Any) -> str | None:
    if isinstance(payload, dict) and isinstance(payload.get("id"), str):
        return payload["id"][:200]
    return None
