"""``Connector.check()``: the app's "test connection" proves reachability and credentials, changes nothing."""

from __future__ import annotations

import pytest

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.demo import DemoConnector
from connectors.fakeserver import FakeServer, Reply
from connectors.http import RetryPolicy
from connectors.hubspot import HubSpotConnector
from connectors.hubspot.fake import FakeHubSpot
from connectors.odoo import OdooConnector
from connectors.odoo.fake import FakeOdoo
from connectors.rest import RestConnector
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.fake import FakeSalesforce
from connectors.slack import SlackConnector
from connectors.slack.fake import FakeSlack
from connectors.sql import SqlConnector

FAST = RetryPolicy(max_attempts=2, backoff_base=0.01)


def test_the_demo_check_reads_its_store():
    DemoConnector(settings={"today": "2026-11-29"}, secrets={}).check()


def test_hubspot_check_passes_with_a_good_token_and_names_the_failure_with_a_bad_one():
    with FakeHubSpot(contacts=2, tokens=(secrets.HUBSPOT_TOKEN,)) as fake:
        HubSpotConnector(settings={"base_url": fake.url}, secrets={"access_token": secrets.HUBSPOT_TOKEN}).check()
        with pytest.raises(ConnectorError) as caught:
            HubSpotConnector(settings={"base_url": fake.url}, secrets={"access_token": "pat-na1-bad"}).check()
        assert caught.value.status == 401 and "INVALID_AUTHENTICATION" in str(caught.value)
        assert all(r.method == "POST" and r.path.endswith("/search") for r in fake.requests)


def test_salesforce_check_logs_in_and_reads_the_organization():
    with FakeSalesforce(client_secret=secrets.SALESFORCE_CLIENT_SECRET) as fake:
        settings = {"auth": "client_credentials", "client_id": "3MVG-fake", "login_url": fake.url}
        SalesforceConnector(settings=settings, secrets={"client_secret": secrets.SALESFORCE_CLIENT_SECRET}).check()
        with pytest.raises(ConnectorError) as caught:
            SalesforceConnector(settings=settings, secrets={"client_secret": "wrong"}).check()
        assert "invalid_grant" in str(caught.value)


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_odoo_check_uses_the_configured_protocol(protocol):
    with FakeOdoo(api_key=secrets.ODOO_API_KEY, database="acme", partners=1) as fake:
        settings = {"url": fake.url, "database": "acme", "protocol": protocol, "username": "admin"}
        OdooConnector(settings=settings, secrets={"api_key": secrets.ODOO_API_KEY}).check()
        with pytest.raises(ConnectorError):
            OdooConnector(settings=settings, secrets={"api_key": "nope-nope"}).check()


def test_slack_check_posts_nothing_yet_tells_a_live_webhook_from_a_dead_one():
    with FakeSlack(secrets.SLACK_WEBHOOK_PATH) as fake:
        SlackConnector(settings={}, secrets={"webhook_url": fake.url + secrets.SLACK_WEBHOOK_PATH}).check()
        with pytest.raises(ConnectorError) as caught:
            SlackConnector(settings={}, secrets={"webhook_url": fake.url + "/services/T1/B1/deadbeef"}).check()
        assert "no_service" in str(caught.value)
        assert fake.messages == []


def test_http_check_accepts_any_answer_but_an_auth_refusal():
    with FakeServer() as fake:
        RestConnector(settings={"base_url": fake.url}, secrets={}, retry=FAST).check()  # 404 on "/" still proves reachability
        fake.fail_next(Reply(401, {"error": "unauthorized"}))
        with pytest.raises(ConnectorError) as caught:
            RestConnector(settings={"base_url": fake.url}, secrets={}, retry=FAST).check()
        assert caught.value.status == 401


def test_sql_check_runs_select_1_and_reports_an_unreachable_database():
    settings = {"host": "127.0.0.1", "database": "test", "user": "postgres"}
    SqlConnector(settings=settings, secrets={"password": secrets.SQL_PASSWORD}).check()
    with pytest.raises(ConnectorError) as caught:
        SqlConnector(settings={**settings, "port": 1}, secrets={"password": secrets.SQL_PASSWORD}).check()
    assert caught.value.retryable is True
