from __future__ import annotations

import logging

import pytest

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.fakeserver import Reply
from connectors.http import RetryPolicy
from connectors.hubspot import HubSpotConnector
from connectors.hubspot.fake import FakeHubSpot, error, rate_limited
from connectors.ledger import MemoryLedger

FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05)


@pytest.fixture
def hubspot():
    with FakeHubSpot(deals=450, contacts=30, companies=10, tokens=(secrets.HUBSPOT_TOKEN,)) as fake:
        yield fake


def connect(fake, **secrets_):
    return HubSpotConnector(settings={"base_url": fake.url}, secrets=secrets_ or {"access_token": secrets.HUBSPOT_TOKEN},
                            ledger=MemoryLedger(), retry=FAST)


def test_paging_a_search_with_the_after_cursor_reaches_every_deal_once(hubspot):
    hs = connect(hubspot)
    ids, cursor = [], None
    while True:
        page = hs.call("hubspot.search_deals", {"limit": 200, **({"after": cursor} if cursor else {})})
        ids += [r["id"] for r in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(ids) == len(set(ids)) == page["total"] == 450
    assert [r.json()["after"] for r in hubspot.requests_to("/search")[1:]] == ["200", "400"]


def test_streaming_a_search_pages_past_the_10000_result_ceiling_by_slicing_on_object_id():
    with FakeHubSpot(deals=23_456, tokens=(secrets.HUBSPOT_TOKEN,)) as fake:
        ids = [r["id"] for r in connect(fake).iterate("hubspot.search_deals", {})]
        assert len(ids) == len(set(ids)) == 23_456
        bodies = [r.json() for r in fake.requests_to("/search")]
    assert all(int(b.get("after", 0)) + b["limit"] <= 10_000 for b in bodies)
    floors = [f["value"] for b in bodies for g in b["filterGroups"] for f in g["filters"]
              if f["propertyName"] == "hs_object_id"]
    assert len(set(floors)) == 2  # three slices: the first needs no floor


def test_streaming_keeps_the_callers_filters_in_every_slice():
    with FakeHubSpot(deals=14_000, tokens=(secrets.HUBSPOT_TOKEN,)) as fake:
        groups = [{"filters": [{"propertyName": "dealstage", "operator": "NEQ", "value": "closedlost"}]}]
        deals = list(connect(fake).iterate("hubspot.search_deals", {"filter_groups": groups,
                                                                     "properties": ["dealstage"]}))
        expected = sum(1 for d in fake.objects["deals"].values() if d["properties"]["dealstage"] != "closedlost")
        assert expected > 10_000
        assert len({d["id"] for d in deals}) == len(deals) == expected
        assert all(d["properties"]["dealstage"] != "closedlost" for d in deals)


def test_a_429_without_retry_after_waits_for_hubspots_limit_interval(hubspot):
    hubspot.fail_next(rate_limited(interval_ms=1000))
    connect(hubspot).call("hubspot.search_contacts", {})
    first, second = hubspot.requests_to("/search")
    assert second.at - first.at >= 1.0


def test_the_daily_limit_is_handed_back_as_retry_later_instead_of_slept(hubspot):
    hubspot.fail_next(rate_limited("DAILY"))
    with pytest.raises(ConnectorError) as caught:
        connect(hubspot).call("hubspot.search_deals", {})
    assert caught.value.retryable is True and caught.value.retry_after > 60
    assert len(hubspot.requests) == 1


def test_an_expired_oauth_token_is_refreshed_once_and_the_call_succeeds(hubspot, caplog):
    caplog.set_level(logging.DEBUG)
    hubspot.oauth_client = ("client-1", secrets.HUBSPOT_CLIENT_SECRET)
    hubspot.refresh_token = secrets.HUBSPOT_REFRESH_TOKEN
    hubspot.tokens["stale-access-token"] = None
    hubspot.expire("stale-access-token")
    hs = connect(hubspot, access_token="stale-access-token", client_id="client-1",
                 client_secret=secrets.HUBSPOT_CLIENT_SECRET, refresh_token=secrets.HUBSPOT_REFRESH_TOKEN)
    assert hs.call("hubspot.search_companies", {})["total"] == 10
    paths = [r.path for r in hubspot.requests]
    assert paths == ["/crm/v3/objects/companies/search", "/oauth/v1/token", "/crm/v3/objects/companies/search"]
    (new_token,) = hubspot.issued
    assert hubspot.requests[-1].headers["Authorization"] == f"Bearer {new_token}"
    assert all(new_token not in r.getMessage() for r in caplog.records)


def test_a_rejected_private_app_token_is_permanent_and_not_retried(hubspot):
    with pytest.raises(ConnectorError) as caught:
        connect(hubspot, access_token="pat-na1-wrong").call("hubspot.search_deals", {})
    assert caught.value.status == 401 and caught.value.retryable is False
    assert "INVALID_AUTHENTICATION" in str(caught.value)
    assert len(hubspot.requests) == 1


def test_a_validation_error_is_permanent_and_not_retried(hubspot):
    hubspot.fail_next(error(400, "Property values were not valid", "VALIDATION_ERROR"))
    with pytest.raises(ConnectorError) as caught:
        connect(hubspot).call("hubspot.search_deals", {})
    assert caught.value.retryable is False and "VALIDATION_ERROR" in str(caught.value)
    assert len(hubspot.requests) == 1


def test_a_note_created_twice_with_the_same_key_is_created_once_with_its_associations(hubspot):
    hs = connect(hubspot)
    deal_id = next(iter(hubspot.objects["deals"]))
    args = {"body": "Met with Greta; she confirms budget.", "deal_ids": [deal_id]}
    first = hs.call("hubspot.create_note", args, idempotency_key="run-9:step-2")
    again = hs.call("hubspot.create_note", args, idempotency_key="run-9:step-2")
    assert first["performed"] is True and again == {**first, "performed": False}
    assert len(hubspot.requests_to("/crm/v3/objects/notes", "POST")) == 1
    assert hubspot.associations[("notes", first["id"], "*")] == [(deal_id, 214)]


def test_a_write_refused_with_429_is_repeated_and_happens_once(hubspot):
    hubspot.fail_next(rate_limited(interval_ms=50), path_contains="/tasks")
    result = connect(hubspot).call("hubspot.create_task", {"subject": "Call Greta", "due": "2026-12-01"},
                                   idempotency_key="k-429")
    assert result["performed"] is True
    assert len(hubspot.objects["tasks"]) == 1 and len(hubspot.requests_to("/tasks")) == 2


def test_a_write_whose_outcome_is_unknown_is_not_repeated_blindly(hubspot):
    hubspot.fail_next(Reply(502, {"status": "error", "message": "Bad gateway"}), path_contains="/tasks")
    hs = connect(hubspot)
    with pytest.raises(ConnectorError) as first:
        hs.call("hubspot.create_task", {"subject": "Call Greta", "due": "2026-12-01"}, idempotency_key="k-502")
    assert first.value.retryable is True
    with pytest.raises(ConnectorError) as repeat:
        hs.call("hubspot.create_task", {"subject": "Call Greta", "due": "2026-12-01"}, idempotency_key="k-502")
    assert repeat.value.retryable is False and "without a clear outcome" in str(repeat.value)
    assert len(hubspot.requests_to("/tasks")) == 1


def test_a_duplicate_contact_is_a_permanent_conflict(hubspot):
    existing = next(iter(hubspot.objects["contacts"].values()))["properties"]["email"]
    with pytest.raises(ConnectorError) as caught:
        connect(hubspot).call("hubspot.create_contact", {"email": existing}, idempotency_key="c-dup")
    assert caught.value.status == 409 and caught.value.retryable is False


def test_associations_of_a_deal_are_listed(hubspot):
    deal_id = next(iter(hubspot.objects["deals"]))
    for contact_id in list(hubspot.objects["contacts"])[:3]:
        hubspot.associate("deals", deal_id, "contacts", contact_id, 3)
    links = connect(hubspot).call("hubspot.list_associations", {"from_type": "deals", "id": deal_id,
                                                                "to_type": "contacts"})
    assert [link["id"] for link in links["results"]] == list(hubspot.objects["contacts"])[:3]


def test_no_token_travels_in_a_url(hubspot):
    hs = connect(hubspot)
    hs.call("hubspot.search_deals", {})
    hs.call("hubspot.update_deal", {"deal_id": next(iter(hubspot.objects["deals"])),
                                    "properties": {"dealstage": "closedwon"}}, idempotency_key="u-1")
    assert all(secrets.HUBSPOT_TOKEN not in r.raw_url for r in hubspot.requests)
    assert all(r.headers["Authorization"] == f"Bearer {secrets.HUBSPOT_TOKEN}" for r in hubspot.requests)


def test_streaming_refuses_bad_arguments_before_any_request(hubspot):
    with pytest.raises(ConnectorError) as caught:
        list(connect(hubspot).iterate("hubspot.search_deals", {"filter_groups": "dealstage=won"}))
    assert caught.value.retryable is False and hubspot.requests == []


def test_a_revoked_refresh_token_is_a_permanent_error(hubspot):
    hubspot.oauth_client = ("client-1", secrets.HUBSPOT_CLIENT_SECRET)
    hubspot.refresh_token = "some-other-refresh-token"
    hs = connect(hubspot, client_id="client-1", client_secret=secrets.HUBSPOT_CLIENT_SECRET,
                 refresh_token=secrets.HUBSPOT_REFRESH_TOKEN)
    with pytest.raises(ConnectorError) as caught:
        hs.call("hubspot.search_deals", {})
    assert caught.value.retryable is False and "BAD_REFRESH_TOKEN" in str(caught.value)
    assert [r.path for r in hubspot.requests] == ["/oauth/v1/token"]


def test_it_slows_down_before_a_429_when_hubspot_says_one_call_is_left(hubspot):
    deal_id = next(iter(hubspot.objects["deals"]))
    hubspot.fail_next(Reply(200, hubspot.objects["deals"][deal_id], {
        "X-HubSpot-RateLimit-Remaining": "1", "X-HubSpot-RateLimit-Interval-Milliseconds": "1000"}),
        path_contains="/deals/")
    hs = connect(hubspot)
    hs.call("hubspot.update_deal", {"deal_id": deal_id, "properties": {"dealstage": "closedwon"}}, idempotency_key="p-1")
    hs.call("hubspot.search_deals", {"limit": 1})
    first, second = hubspot.requests
    assert second.at - first.at >= 1.0


def test_a_contact_linked_to_a_deal_twice_is_linked_once_and_listed_from_both_sides(hubspot):
    hs = connect(hubspot)
    deal_id, contact_id = next(iter(hubspot.objects["deals"])), next(iter(hubspot.objects["contacts"]))
    args = {"from_type": "deals", "from_id": deal_id, "to_type": "contacts", "to_id": contact_id}
    hs.call("hubspot.associate", args, idempotency_key="a-1")
    hs.call("hubspot.associate", args, idempotency_key="a-2")
    assert [link["id"] for link in hs.call("hubspot.list_associations", {
        "from_type": "deals", "id": deal_id, "to_type": "contacts"})["results"]] == [contact_id]
    assert [link["id"] for link in hs.call("hubspot.list_associations", {
        "from_type": "contacts", "id": contact_id, "to_type": "deals"})["results"]] == [deal_id]


def test_linking_to_a_missing_record_is_a_permanent_error(hubspot):
    deal_id = next(iter(hubspot.objects["deals"]))
    with pytest.raises(ConnectorError) as caught:
        connect(hubspot).call("hubspot.associate", {"from_type": "deals", "from_id": deal_id,
                                                    "to_type": "contacts", "to_id": "999999"}, idempotency_key="a-3")
    assert caught.value.status == 404 and caught.value.retryable is False
