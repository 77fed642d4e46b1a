"""Posting a HubSpot v3-signed delivery to a webhook endpoint, as HubSpot does."""

from __future__ import annotations

import time

from apps.triggers.schemes import hubspot


def hubspot_post(client, path, secret, body: bytes, *, ts_ms: int | None = None, sign_body: bytes | None = None):
    """POST ``body`` to ``path`` signed with ``secret`` (over ``sign_body`` instead, to tamper)."""
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    signature = hubspot.signature_v3(secret, "POST", f"http://testserver{path}", sign_body or body, ts)
    return client.post(path, body, content_type="application/json",
                       HTTP_X_HUBSPOT_SIGNATURE_V3=signature, HTTP_X_HUBSPOT_REQUEST_TIMESTAMP=ts)
