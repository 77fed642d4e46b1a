from __future__ import annotations

import pytest

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.fakeserver import Reply
from connectors.http import RetryPolicy
from connectors.ledger import MemoryLedger
from connectors.odoo import OdooConnector
from connectors.odoo.fake import FakeOdoo

PROTOCOLS = ["json2", "jsonrpc"]


@pytest.fixture
def odoo():
    with FakeOdoo(api_key=secrets.ODOO_API_KEY, database="acme", partners=40, orders=1234) as fake:
        yield fake


def connect(fake, protocol="json2", key=secrets.ODOO_API_KEY):
    return OdooConnector(settings={"url": fake.url, "database": "acme", "protocol": protocol, "username": "admin"},
                         secrets={"api_key": key}, ledger=MemoryLedger(), retry=RetryPolicy(backoff_base=0.01))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_streaming_sale_orders_reaches_every_matching_record_once(odoo, protocol):
    rows = list(connect(odoo, protocol).iterate("odoo.search_read", {
        "model": "sale.order", "domain": ["|", ["state", "=", "sale"], ["state", "=", "draft"]],
        "fields": ["name", "state", "amount_total"]}))
    expected = [r["id"] for r in odoo.data["sale.order"].values() if r["state"] in ("sale", "draft")]
    assert [r["id"] for r in rows] == expected and len(expected) > 500
    assert set(rows[0]) == {"id", "name", "state", "amount_total"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_paging_with_the_cursor_ends_with_no_next_cursor(odoo, protocol):
    conn, cursor, seen = connect(odoo, protocol), None, []
    while True:
        page = conn.call("odoo.search_read", {"model": "res.partner", "limit": 15, **({"cursor": cursor} if cursor else {})})
        seen += [r["id"] for r in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(odoo.data["res.partner"])


def test_a_429_on_json2_is_retried_after_retry_after(odoo):
    odoo.fail_next(Reply(429, {"name": "werkzeug.exceptions.TooManyRequests", "message": "Too Many Requests"},
                         {"Retry-After": "1"}))
    connect(odoo).call("odoo.search_read", {"model": "res.partner", "limit": 1})
    first, second = odoo.requests
    assert second.at - first.at >= 1.0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_wrong_api_key_is_a_permanent_error_and_not_retried(odoo, protocol):
    with pytest.raises(ConnectorError) as caught:
        connect(odoo, protocol, key="wrong-key-123").call("odoo.search_read", {"model": "res.partner"})
    assert caught.value.retryable is False and caught.value.status == 401
    assert len(odoo.requests) == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_record_created_twice_with_the_same_key_exists_once(odoo, protocol):
    conn = connect(odoo, protocol)
    values = {"name": "Nordic Foods", "email": "info@nordicfoods.example", "is_company": True}
    first = conn.call("odoo.create", {"model": "res.partner", "values": values}, idempotency_key="p-1")
    again = conn.call("odoo.create", {"model": "res.partner", "values": values}, idempotency_key="p-1")
    assert again == {**first, "performed": False}
    assert [p["name"] for p in odoo.data["res.partner"].values()].count("Nordic Foods") == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_validation_error_is_permanent_and_frees_the_key_for_a_corrected_call(odoo, protocol):
    conn = connect(odoo, protocol)
    with pytest.raises(ConnectorError) as caught:
        conn.call("odoo.create", {"model": "res.partner", "values": {"email": "x@y.example"}}, idempotency_key="p-2")
    assert caught.value.retryable is False and "ValidationError" in str(caught.value)
    fixed = conn.call("odoo.create", {"model": "res.partner", "values": {"name": "X"}}, idempotency_key="p-2")
    assert fixed["performed"] is True


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_note_is_posted_to_the_chatter_and_a_stage_written(odoo, protocol):
    conn = connect(odoo, protocol)
    order_id = next(iter(odoo.data["sale.order"]))
    conn.call("odoo.post_note", {"model": "sale.order", "id": order_id, "body": "Customer asked for a discount"},
              idempotency_key="n-1")
    conn.call("odoo.write", {"model": "sale.order", "ids": [order_id], "values": {"state": "sale"}},
              idempotency_key="w-1")
    (message,) = odoo.data["mail.message"].values()
    assert message["res_id"] == order_id and message["subtype_xmlid"] == "mail.mt_note"
    assert odoo.data["sale.order"][order_id]["state"] == "sale"


def test_a_write_to_a_deleted_record_is_permanent(odoo):
    with pytest.raises(ConnectorError) as caught:
        connect(odoo, "jsonrpc").call("odoo.write", {"model": "res.partner", "ids": [99999], "values": {"name": "x"}},
                                      idempotency_key="w-missing")
    assert caught.value.retryable is False and "MissingError" in str(caught.value)


def test_a_serialization_failure_reported_over_jsonrpc_is_retryable(odoo):
    conn = connect(odoo, "jsonrpc")
    conn.call("odoo.search_read", {"model": "res.partner", "limit": 1})  # logs in
    odoo.fail_next(Reply(200, {"jsonrpc": "2.0", "id": 9, "error": {"code": 200, "message": "Odoo Server Error", "data": {
        "name": "psycopg2.errors.SerializationFailure", "message": "could not serialize access", "arguments": [],
        "context": {}, "debug": ""}}}))
    with pytest.raises(ConnectorError) as caught:
        conn.call("odoo.search_read", {"model": "res.partner", "limit": 1})
    assert caught.value.retryable is True


def test_the_api_key_never_travels_in_a_url_and_json2_sends_it_as_bearer(odoo):
    connect(odoo).call("odoo.search_read", {"model": "res.partner", "limit": 1})
    (request,) = odoo.requests
    assert request.headers["Authorization"] == f"bearer {secrets.ODOO_API_KEY}"
    assert request.headers["X-Odoo-Database"] == "acme" and secrets.ODOO_API_KEY not in request.raw_url


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_follow_up_activity_is_scheduled_once_per_key(odoo, protocol):
    conn = connect(odoo, protocol)
    partner_id = next(iter(odoo.data["res.partner"]))
    args = {"model": "res.partner", "id": partner_id, "summary": "Send the revised quote",
            "date_deadline": "2026-12-04", "user_id": 7}
    first = conn.call("odoo.schedule_activity", args, idempotency_key="act-1")
    again = conn.call("odoo.schedule_activity", args, idempotency_key="act-1")
    assert again == {**first, "performed": False}
    (activity,) = odoo.data["mail.activity"].values()
    assert activity["res_id"] == partner_id and activity["activity_type"] == "mail.mail_activity_data_todo"
    assert activity["user_id"] == 7 and activity["date_deadline"] == "2026-12-04"
