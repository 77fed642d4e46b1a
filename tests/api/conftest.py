from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client():
    """``api_client(actor, role=None)`` → an APIClient carrying a fresh token of that actor."""
    from apps.api.services import api_token_create

    def make(actor, *, role: str | None = None) -> APIClient:
        _, token = api_token_create(actor=actor, name="test", role=role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.token = token
        return client

    return make


@pytest.fixture
def owner_api(acme, api_client):
    return api_client(acme)
