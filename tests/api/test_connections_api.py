"""Connections through the API: secrets are write-only, tests record their outcome."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_testing_a_connection_records_the_outcome_without_claiming_a_live_check(acme, owner_api):
    created = owner_api.post("/api/v1/connections/", {"name": "demo", "connector_type": "demo",
                                                      "secrets": {"api_key": "k-123"}}, format="json").json()
    assert created["secret_names"] == ["api_key"] and "secrets" not in created

    tested = owner_api.post(f"/api/v1/connections/{created['id']}/test/").json()
    assert tested["last_tested_at"] is not None
    assert tested["last_test_ok"] is None and "no live check" in tested["last_test_message"]
    rotated = owner_api.post(f"/api/v1/connections/{created['id']}/rotate/", {"secrets": {"token": "t"}},
                             format="json").json()
    assert rotated["secret_names"] == ["token"]
