"""Salesforce OAuth 2.0: JWT bearer, client credentials and refresh-token flows.

All three end at ``POST <login_url>/services/oauth2/token`` with an ``access_token`` and the
org's ``instance_url``. The JWT bearer assertion is signed RS256 with the connected app's
private key (``cryptography``), claims ``iss`` = consumer key, ``sub`` = username,
``aud`` = login URL, ``exp`` within three minutes.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from ..base import ConnectorError

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_assertion(*, client_id: str, username: str, audience: str, private_key_pem: str,
                  lifetime: int = 180) -> str:
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ConnectorError("the Salesforce private key is not a valid unencrypted PEM key", retryable=False) from None
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = _b64url(json.dumps({"iss": client_id, "sub": username, "aud": audience,
                                 "exp": int(time.time()) + lifetime}).encode())
    signing_input = f"{header}.{claims}".encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    return f"{header}.{claims}.{_b64url(signature)}"


def token_request(settings: Mapping[str, Any], secrets: Mapping[str, str]) -> dict[str, str]:
    """The form to post to the token endpoint for the configured flow."""
    flow = settings.get("auth", "jwt")
    client_id = settings.get("client_id", "")
    if flow == "jwt":
        login_url = settings.get("login_url", "https://login.salesforce.com")
        return {"grant_type": JWT_GRANT, "assertion": jwt_assertion(
            client_id=client_id, username=settings["username"], audience=settings.get("audience", login_url),
            private_key_pem=secrets["private_key"])}
    if flow == "client_credentials":
        return {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": secrets["client_secret"]}
    if flow == "refresh_token":
        form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": secrets["refresh_token"]}
        if secrets.get("client_secret"):
            form["client_secret"] = secrets["client_secret"]
        return form
    raise ConnectorError(f"unknown Salesforce auth flow {flow!r} (jwt, client_credentials, refresh_token)",
                         retryable=False)
