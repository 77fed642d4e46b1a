"""The Tryton connector against a real trytond (party and sale modules on SQLite)."""

from __future__ import annotations

import pytest

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.ledger import MemoryLedger
from connectors.tryton import TrytonConnector
from tryton_server import TrytonServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = TrytonServer(tmp_path_factory.mktemp("trytond"), secrets.TRYTON_PASSWORD)
    yield srv
    srv.stop()


def connect(server, password=secrets.TRYTON_PASSWORD, **context):
    return TrytonConnector(settings={"url": server.url, "database": "farside", "username": "admin", "context": context},
                           secrets={"password": password}, ledger=MemoryLedger())


@pytest.fixture(scope="module")
def company(server):
    """A currency and a company for the admin user, set up through the connector itself."""
    admin = connect(server)
    euro = admin.call("tryton.create", {"model": "currency.currency",
                                        "values": {"name": "Euro", "code": "EUR", "symbol": "€"}})["id"]
    party = admin.call("tryton.create", {"model": "party.party", "values": {"name": "Farside Test GmbH"}})["id"]
    company_id = admin.call("tryton.create", {"model": "company.company",
                                              "values": {"party": party, "currency": euro}})["id"]
    admin.call("tryton.write", {"model": "res.user", "ids": [1],
                                "values": {"companies": [["add", [company_id]]], "company": company_id}})
    return {"company": company_id, "currency": euro}


@pytest.fixture(scope="module")
def customer(server, company):
    erp = connect(server, company=company["company"])
    party = erp.call("tryton.create", {"model": "party.party", "values": {
        "name": "Nordic Foods", "addresses": [["create", [{"street": "Hafenstrasse 1", "city": "Hamburg"}]]]}})["id"]
    (address,) = erp.call("tryton.search_read", {"model": "party.address", "domain": [["party", "=", party]],
                                                 "fields": ["city"]})["results"]
    return {"party": party, "address": address["id"]}


def sale_values(company, customer, description="Consulting day"):
    return {"company": company["company"], "party": customer["party"], "currency": company["currency"],
            "invoice_address": customer["address"], "shipment_address": customer["address"],
            "lines": [["create", [{"type": "line", "description": description, "quantity": 2.0, "unit_price": 150.0}]]]}


def test_parties_are_read_page_by_page_to_the_end(server, company):
    erp = connect(server, company=company["company"])
    erp.client.call("model.party.party.create", [{"name": f"Prospect {i:02d}"} for i in range(25)])
    names, cursor = [], None
    while True:
        page = erp.call("tryton.search_read", {"model": "party.party", "domain": [["name", "like", "Prospect%"]],
                                               "fields": ["name"], "limit": 10, **({"cursor": cursor} if cursor else {})})
        names += [p["name"] for p in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert names == [f"Prospect {i:02d}" for i in range(25)]
    assert [p["name"] for p in erp.iterate("tryton.search_read", {"model": "party.party", "fields": ["name"],
                                                                  "domain": [["name", "like", "Prospect%"]]})] == names


def test_a_sale_order_created_through_the_connector_is_read_back_with_its_total(server, company, customer):
    erp = connect(server, company=company["company"])
    created = erp.call("tryton.create", {"model": "sale.sale", "values": sale_values(company, customer)},
                       idempotency_key="sale-1")
    (sale,) = erp.call("tryton.read", {"model": "sale.sale", "ids": [created["id"]],
                                       "fields": ["state", "party", "total_amount", "lines"]})["results"]
    assert sale["state"] == "draft" and sale["party"] == customer["party"]
    assert sale["total_amount"] == 300.0 and len(sale["lines"]) == 1
    listed = erp.call("tryton.search_read", {"model": "sale.sale", "domain": [["party", "=", customer["party"]]],
                                             "fields": ["total_amount"]})["results"]
    assert created["id"] in [s["id"] for s in listed]


def test_a_sale_created_twice_with_one_key_exists_once(server, company, customer):
    erp = connect(server, company=company["company"])
    values = sale_values(company, customer, "Training day (once)")
    first = erp.call("tryton.create", {"model": "sale.sale", "values": values}, idempotency_key="sale-once")
    again = erp.call("tryton.create", {"model": "sale.sale", "values": values}, idempotency_key="sale-once")
    assert again == {**first, "performed": False}
    lines = erp.call("tryton.search_read", {"model": "sale.line", "domain": [["description", "=", "Training day (once)"]],
                                            "fields": ["sale"]})["results"]
    assert [line["sale"] for line in lines] == [first["id"]]


def test_an_ended_session_is_renewed_by_logging_in_again(server, company):
    erp = connect(server, company=company["company"])
    erp.call("tryton.search_read", {"model": "party.party", "fields": ["name"], "limit": 1})
    erp.client.http.post_json("/farside/rpc/", json={"method": "common.db.logout", "params": [], "id": 99})
    page = erp.call("tryton.search_read", {"model": "party.party", "fields": ["name"], "limit": 1})
    assert len(page["results"]) == 1


def test_a_wrong_password_is_a_permanent_error(server):
    with pytest.raises(ConnectorError) as caught:
        connect(server, password="not-the-password").call("tryton.search_read", {"model": "party.party", "fields": ["name"]})
    assert caught.value.retryable is False and caught.value.status == 401


def test_an_unknown_field_is_a_permanent_error_and_frees_the_key(server, company):
    erp = connect(server, company=company["company"])
    with pytest.raises(ConnectorError) as caught:
        erp.call("tryton.create", {"model": "party.party", "values": {"nickname": "x"}}, idempotency_key="bad-field")
    assert caught.value.retryable is False and "nickname" in str(caught.value)
    assert erp.call("tryton.create", {"model": "party.party", "values": {"name": "Fixed"}},
                    idempotency_key="bad-field")["performed"] is True


def test_the_connection_check_logs_in(server):
    connect(server).check()
    with pytest.raises(ConnectorError):
        connect(server, password="wrong-again").check()
