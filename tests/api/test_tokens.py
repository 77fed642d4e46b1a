"""API tokens: hashed at rest, shown once, scoped to a role, revocable, rate limited."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Membership
from apps.api.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "problems"} <= set(body["error"]), body
    return body["error"]


def test_a_token_is_stored_only_as_a_digest_and_shown_once(acme, owner_api):
    response = owner_api.post("/api/v1/tokens/", {"name": "ci", "role": "editor"}, format="json")

    assert response.status_code == 201
    token = response.json()["token"]
    row = ApiToken.objects.get(pk=response.json()["id"])
    assert token.startswith(row.prefix) and row.role == "editor"
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiToken.objects.values_list())
    listed = owner_api.get("/api/v1/tokens/").json()["results"]
    assert {t["prefix"] for t in listed} >= {row.prefix}
    assert all("token" not in t for t in listed)


def test_a_request_without_a_token_is_refused_with_a_bearer_challenge(acme):
    response = APIClient().get("/api/v1/workflows/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthenticated"


def test_an_unknown_token_is_refused(acme):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer fs_00000000_not-a-real-token")

    response = client.get("/api/v1/workflows/")
    assert response.status_code == 401
    assert error_of(response)["message"] == "unknown token"


def test_a_revoked_token_is_refused(acme, api_client):
    client = api_client(acme)
    assert client.get("/api/v1/me/").status_code == 200
    row = ApiToken.objects.get()

    assert client.delete(f"/api/v1/tokens/{row.pk}/").status_code == 200

    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]


def test_using_a_token_records_when_it_was_last_used(acme, owner_api):
    assert ApiToken.objects.get().last_used_at is None
    owner_api.get("/api/v1/me/")
    assert ApiToken.objects.get().last_used_at is not None


def test_a_token_cannot_have_more_rights_than_its_user(make_org, api_client):
    editor, _ = make_org("Acme", role="editor")
    client = api_client(editor)

    response = client.post("/api/v1/tokens/", {"name": "x", "role": "owner"}, format="json")
    assert response.status_code == 400
    assert error_of(response)["problems"][0]["path"] == "role"


def test_a_token_stops_working_when_its_user_is_demoted(make_org, api_client):
    editor, user = make_org("Acme", role="editor")
    client = api_client(editor)
    assert client.get("/api/v1/me/").json()["role"] == "editor"

    Membership.objects.filter(user=user).update(role="viewer")
    assert client.get("/api/v1/me/").status_code == 401


def test_a_viewer_token_reads_but_cannot_write(make_org, api_client):
    viewer, _ = make_org("Acme", role="viewer")
    client = api_client(viewer)
    assert client.get("/api/v1/workflows/").status_code == 200

    writes = [
        ("post", "/api/v1/workflows/", {"name": "w", "spec": {}}),
        ("post", "/api/v1/workflows/import/", {"yaml": "name: w"}),
        ("post", "/api/v1/connections/", {"name": "c", "connector_type": "demo"}),
    ]
    for method, url, body in writes:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, (url, response.content)
        assert error_of(response)["code"] == "permission_denied"


def test_too_many_requests_are_answered_429_with_retry_after(acme, owner_api, settings, monkeypatch):
    from apps.api import throttling

    monkeypatch.setattr(throttling, "clock", lambda: 1_800_000_030.0)  # 30 s into a window
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    statuses = [owner_api.get("/api/v1/me/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = owner_api.get("/api/v1/me/")
    assert response["Retry-After"] == "30"
    assert error_of(response)["code"] == "rate_limited"


def test_the_first_token_can_be_created_from_the_command_line(make_org):
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    actor, user = make_org("Acme")
    out = StringIO()
    call_command("create_api_token", user=user.username, org=actor.organization.slug, role="viewer", stdout=out,
                 stderr=StringIO())
    token = out.getvalue().strip()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/me/").json()["role"] == "viewer"
    assert get_user_model().objects.get(pk=user.pk).api_tokens.count() == 1
