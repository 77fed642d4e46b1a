from __future__ import annotations

import logging

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.http import RetryPolicy
from connectors.ledger import MemoryLedger
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.fake import FakeSalesforce, limit_exceeded, sf_errors

FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05)


@pytest.fixture(scope="module")
def key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return private.public_key(), pem


@pytest.fixture
def org(key):
    with FakeSalesforce(opportunities=4500, client_secret=secrets.SALESFORCE_CLIENT_SECRET,
                        refresh_token=secrets.SALESFORCE_REFRESH_TOKEN, jwt_public_key=key[0],
                        jwt_username="integration@acme.example") as fake:
        yield fake


def jwt_connector(org, key):
    return SalesforceConnector(settings={"auth": "jwt", "client_id": "3MVG-fake", "username": "integration@acme.example",
                                         "login_url": org.url}, secrets={"private_key": key[1]},
                               ledger=MemoryLedger(), retry=FAST)


def cc_connector(org, secret=secrets.SALESFORCE_CLIENT_SECRET):
    return SalesforceConnector(settings={"auth": "client_credentials", "client_id": "3MVG-fake", "login_url": org.url},
                               secrets={"client_secret": secret}, ledger=MemoryLedger(), retry=FAST)


SOQL = "SELECT Id, Name, Amount, StageName, CloseDate FROM Opportunity"


def test_a_jwt_bearer_login_then_soql_streams_every_batch_via_next_records_url(org, key):
    records = list(jwt_connector(org, key).iterate("salesforce.query", {"soql": SOQL}))
    assert len(records) == len({r["Id"] for r in records}) == 4500
    assert records[0]["type"] == "Opportunity" and "attributes" not in records[0]
    assert len(org.requests_to("/query")) == 3


def test_paging_by_cursor_reaches_the_end_with_the_total(org, key):
    sf = jwt_connector(org, key)
    page = sf.call("salesforce.query", {"soql": SOQL + " WHERE StageName = 'Closed Won'"})
    seen = list(page["results"])
    while page["next_cursor"]:
        page = sf.call("salesforce.query", {"cursor": page["next_cursor"]})
        seen += page["results"]
    assert len(seen) == page["total"] == 750 and all(r["StageName"] == "Closed Won" for r in seen)


def test_an_expired_session_logs_in_again_and_repeats_the_call(org):
    sf = cc_connector(org)
    sf.call("salesforce.query", {"soql": SOQL + " LIMIT 5"})
    org.expire_tokens()
    assert len(sf.call("salesforce.query", {"soql": SOQL + " LIMIT 5"})["results"]) == 5
    assert [r.path.rsplit("/", 1)[-1] for r in org.requests] == ["token", "query", "query", "token", "query"]


def test_a_concurrent_request_limit_is_retried_and_the_record_created_once(org):
    org.fail_next(limit_exceeded(), path_contains="/sobjects/Task")
    result = cc_connector(org).call("salesforce.create_task", {"subject": "Call Greta", "due_date": "2026-12-01"},
                                    idempotency_key="t-limit")
    assert result["performed"] is True
    assert len(org.records["Task"]) == 1 and len(org.requests_to("/sobjects/Task")) == 2


def test_the_daily_api_allowance_is_handed_back_as_retry_later(org):
    org.fail_next(limit_exceeded("TotalRequests"), path_contains="/query")
    with pytest.raises(ConnectorError) as caught:
        cc_connector(org).call("salesforce.query", {"soql": SOQL})
    assert caught.value.retryable is True and caught.value.retry_after == 3600
    assert "REQUEST_LIMIT_EXCEEDED" in str(caught.value) and len(org.requests_to("/query")) == 1


def test_a_malformed_query_is_permanent_and_not_retried(org):
    with pytest.raises(ConnectorError) as caught:
        cc_connector(org).call("salesforce.query", {"soql": "SELEC Id FROM Opportunity"})
    assert caught.value.retryable is False and "MALFORMED_QUERY" in str(caught.value)
    assert len(org.requests_to("/query")) == 1


def test_a_wrong_client_secret_is_a_permanent_login_failure(org):
    with pytest.raises(ConnectorError) as caught:
        cc_connector(org, "not-the-secret").call("salesforce.query", {"soql": SOQL})
    assert caught.value.retryable is False and "invalid_grant" in str(caught.value)


def test_a_task_created_twice_with_the_same_key_exists_once(org):
    sf = cc_connector(org)
    opp = next(iter(org.records["Opportunity"]))
    args = {"subject": "Send contract", "what_id": opp, "due_date": "2026-12-03", "priority": "High"}
    first = sf.call("salesforce.create_task", args, idempotency_key="t-1")
    again = sf.call("salesforce.create_task", args, idempotency_key="t-1")
    assert again == {**first, "performed": False}
    (task,) = org.records["Task"].values()
    assert task["WhatId"] == opp and task["ActivityDate"] == "2026-12-03" and task["Status"] == "Not Started"


def test_a_note_and_a_stage_update_reach_the_org(org):
    sf = cc_connector(org)
    opp = next(iter(org.records["Opportunity"]))
    sf.call("salesforce.create_note", {"parent_id": opp, "title": "QBR notes", "body": "Budget confirmed"},
            idempotency_key="n-1")
    sf.call("salesforce.update_record", {"sobject": "Opportunity", "id": opp, "fields": {"StageName": "Closed Won"}},
            idempotency_key="u-1")
    assert org.records["Opportunity"][opp]["StageName"] == "Closed Won"
    assert [n["Title"] for n in org.records["Note"].values()] == ["QBR notes"]


def test_a_composite_request_chains_references_and_rolls_back_on_failure(org):
    sf = cc_connector(org)
    base = "/services/data/v60.0/sobjects"
    ok = sf.call("salesforce.composite", {"requests": [
        {"method": "POST", "url": f"{base}/Account", "reference_id": "acc", "body": {"Name": "Nordic Foods"}},
        {"method": "POST", "url": f"{base}/Contact", "reference_id": "con",
         "body": {"LastName": "Ivanova", "AccountId": "@{acc.id}"}}]}, idempotency_key="c-ok")
    (contact,) = org.records["Contact"].values()
    assert contact["AccountId"] == ok["results"][0]["body"]["id"]
    with pytest.raises(ConnectorError) as caught:
        sf.call("salesforce.composite", {"requests": [
            {"method": "POST", "url": f"{base}/Account", "reference_id": "acc", "body": {"Name": "Orphan Ltd"}},
            {"method": "POST", "url": f"{base}/Contact", "reference_id": "con", "body": {"FirstName": "No last name"}}]},
            idempotency_key="c-bad")
    assert caught.value.retryable is False
    assert [a["Name"] for a in org.records["Account"].values()] == ["Nordic Foods"]


def test_the_private_key_and_tokens_stay_out_of_the_logs(org, key, caplog):
    caplog.set_level(logging.DEBUG)
    org.fail_next(sf_errors(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred"), path_contains="/query")
    jwt_connector(org, key).call("salesforce.query", {"soql": SOQL + " LIMIT 1"})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "BEGIN PRIVATE KEY" not in text and not any(t in text for t in org.tokens)


def test_the_refresh_token_flow_logs_in_and_queries(org):
    sf = SalesforceConnector(settings={"auth": "refresh_token", "client_id": "3MVG-fake", "login_url": org.url},
                             secrets={"refresh_token": secrets.SALESFORCE_REFRESH_TOKEN}, ledger=MemoryLedger(), retry=FAST)
    assert sf.call("salesforce.query", {"soql": SOQL + " LIMIT 3"})["total"] == 3
    (token_request,) = org.requests_to("/services/oauth2/token")
    assert b"grant_type=refresh_token" in token_request.body
