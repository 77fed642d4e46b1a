"""Schemes without a signature over the body: HTTP Basic (Pipedrive) and a shared token
(Zoho CRM, in a header or the query string). Both only prove the sender knows a secret,
so replays are stopped by the event-id dedupe alone."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from .base import EndpointKeys, InboundRequest, Rejected, Verified, equal, parse_json

DEFAULT_TOKEN_HEADER = "x-webhook-token"


def verify_basic(request: InboundRequest, keys: EndpointKeys, now: datetime) -> Verified:
    header = request.header("authorization") or ""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise Rejected(401, "missing_signature", "HTTP Basic credentials are required")
    try:
        username, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Rejected(401, "bad_signature", "the Basic credentials are not valid base64") from None
    expected_user = str(keys.settings.get("username") or "")
    user_ok = equal(username, expected_user)
    password_ok = any(equal(password, s) for s in keys.secrets)
    if not (sep and user_ok and password_ok):
        raise Rejected(401, "bad_signature", "wrong username or password")
    return Verified.single(parse_json(request.body))


def verify_token(request: InboundRequest, keys: EndpointKeys, now: datetime) -> Verified:
    header_name = str(keys.settings.get("token_header") or DEFAULT_TOKEN_HEADER).lower()
    given = request.header(header_name) or request.query.get("token") or ""
    if not given:
        raise Rejected(401, "missing_signature", f"the {header_name} header (or ?token=) is missing")
    if not any(equal(given, s) for s in keys.secrets):
        raise Rejected(401, "bad_signature", "the token does not match")
    return Verified.single(parse_json(request.body))
