"""HubSpot request signatures.

v3 (``X-HubSpot-Signature-v3``): base64 HMAC-SHA256, keyed with the app's client secret, of
method + URI + body + ``X-HubSpot-Request-Timestamp`` (milliseconds), refused when the
timestamp is more than five minutes off. HubSpot signs the URI with some percent-escapes
decoded, so the same decoding is applied here.

v1 and v2 (``X-HubSpot-Signature`` with ``X-HubSpot-Signature-Version``): hex SHA-256 of
secret + body (v1) or secret + method + URI + body (v2). They carry no timestamp, so replays
are stopped only by the event-id dedupe; they are accepted only when the endpoint's
``hubspot_versions`` setting lists them.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from .base import (
    EndpointKeys,
    Event,
    InboundRequest,
    Rejected,
    Verified,
    check_window,
    equal,
    hmac_sha256,
    parse_json,
    require,
)

# The escapes HubSpot decodes in the URI before signing (its request-validation guide).
_DECODED = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
            "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def signed_uri(uri: str) -> str:
    if "%" not in uri:  # the usual case: nothing to decode
        return uri
    for escaped, char in _DECODED.items():
        uri = uri.replace(escaped, char).replace(escaped.lower(), char)
    return uri


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.encode() + signed_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac_sha256(secret.encode(), message)).decode()


def signature_v1(secret: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + body).hexdigest()


def signature_v2(secret: str, method: str, uri: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + method.encode() + uri.encode() + body).hexdigest()


def verify(request: InboundRequest, keys: EndpointKeys, now: datetime) -> Verified:
    uri = keys.settings.get("public_url") or request.url
    if request.header("x-hubspot-signature-v3"):
        given = request.header("x-hubspot-signature-v3") or ""
        timestamp = require(request, "x-hubspot-request-timestamp")
        try:
            sent_at = datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise Rejected(401, "bad_timestamp", "X-HubSpot-Request-Timestamp is not a millisecond timestamp") from None
        check_window(sent_at, now)
        if not any(equal(signature_v3(s, request.method, uri, request.body, timestamp), given) for s in keys.secrets):
            raise Rejected(401, "bad_signature", "the X-HubSpot-Signature-v3 signature does not match")
    else:
        version = (request.header("x-hubspot-signature-version") or "").lower()
        allowed = keys.settings.get("hubspot_versions") or []
        given = require(request, "x-hubspot-signature")
        if version not in ("v1", "v2") or version not in allowed:
            raise Rejected(401, "missing_signature",
                           "expected X-HubSpot-Signature-v3" + (f" (signature {version} is not enabled here)"
                                                                  if version else ""))
        if version == "v1":
            ok = any(equal(signature_v1(s, request.body), given.lower()) for s in keys.secrets)
        else:
            ok = any(equal(signature_v2(s, request.method, uri, request.body), given.lower()) for s in keys.secrets)
        if not ok:
            raise Rejected(401, "bad_signature", f"the {version} X-HubSpot-Signature does not match")
    return _events(parse_json(request.body))


def _events(payload: Any) -> Verified:
    """CRM-object webhooks arrive as a batch (up to 100) of events, each with an
    ``eventId``: each becomes its own event, mapped and deduplicated on its own. Anything
    else (workflow "send a webhook" actions) is one event without a provider id."""
    if (isinstance(payload, list) and payload
            and all(isinstance(e, dict) and e.get("eventId") is not None for e in payload)):
        return Verified(events=tuple(Event(f"hubspot:{e['eventId']}", e) for e in payload))
    return Verified.single(payload)
