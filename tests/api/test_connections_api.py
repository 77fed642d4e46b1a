"""Connections through the API: secrets are write-only, tests record their outcome."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_testing_a_connection_runs_its_live_check_and_records_the_outcome(acme, owner_api):
    created = owner_api.post("/api/v1/connections/", {"name": "demo", "connector_type": "demo",
                                                      "secrets": {"api_key": "k-123"}}, format="json").json()
    assert created["secret_names"] == ["api_key"] and "secrets" not in created

    tested = owner_api.post(f"/api/v1/connections/{created['id']}/test/").json()
    assert tested["last_tested_at"] is not None
    assert tested["last_test_ok"] is True, tested["last_test_message"]
    rotated = owner_api.post(f"/api/v1/connections/{created['id']}/rotate/", {"secrets": {"token": "t"}},
                             format="json").json()
    assert rotated["secret_names"] == ["token"]


def test_a_connection_that_cannot_be_reached_is_recorded_as_failed_with_the_reason(acme, owner_api):
    created = owner_api.post("/api/v1/connections/", {
        "name": "mail", "connector_type": "email",
        "settings": {"host": "10.255.255.1", "port": 25, "security": "none", "from_address": "a@b.co"},
        "secrets": {"password": "pw-never-shown"}}, format="json").json()

    tested = owner_api.post(f"/api/v1/connections/{created['id']}/test/").json()
    assert tested["last_test_ok"] is False
    assert "non-public address" in tested["last_test_message"]
    assert "pw-never-shown" not in str(tested)
