from __future__ import annotations

import base64

import pytest

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.fakeserver import FakeServer, Reply
from connectors.http import RetryPolicy
from connectors.ledger import MemoryLedger
from connectors.netpolicy import NetworkPolicy, set_default_policy
from connectors.rest import RestConnector


@pytest.fixture
def api():
    with FakeServer() as fake:
        fake.route("GET", r"/api/v1/orders", lambda rec, m: Reply(200, {"orders": [{"id": 1}], "q": rec.query}))
        fake.route("POST", r"/api/v1/orders", lambda rec, m: Reply(201, {"id": 2, "echo": rec.json()}))
        fake.route("GET", r"/api/v1/plain", lambda rec, m: Reply(200, raw=b"pong", headers={"Content-Type": "text/plain"}))
        yield fake


def connect(fake, **settings):
    settings = {"base_url": fake.url + "/api", "headers": {"Authorization": "Bearer {{token}}"}, **settings}
    return RestConnector(settings=settings, secrets={"token": secrets.HTTP_TOKEN}, ledger=MemoryLedger(),
                         retry=RetryPolicy(backoff_base=0.01))


def test_a_get_sends_the_templated_auth_header_and_returns_json(api):
    result = connect(api).call("http.get", {"path": "/v1/orders", "query": {"status": "open"}})
    assert result == {"status": 200, "json": {"orders": [{"id": 1}], "q": {"status": ["open"]}}}
    assert api.requests[0].headers["Authorization"] == f"Bearer {secrets.HTTP_TOKEN}"


def test_a_text_body_comes_back_as_text(api):
    assert connect(api).call("http.get", {"path": "/v1/plain"}) == {"status": 200, "text": "pong"}


def test_a_send_carries_the_idempotency_key_and_a_repeat_is_not_sent_again(api):
    conn = connect(api)
    first = conn.call("http.send", {"method": "POST", "path": "/v1/orders", "json": {"sku": "A"}}, idempotency_key="k1")
    again = conn.call("http.send", {"method": "POST", "path": "/v1/orders", "json": {"sku": "A"}}, idempotency_key="k1")
    assert first["json"]["echo"] == {"sku": "A"} and again["performed"] is False
    assert [r.headers["Idempotency-Key"] for r in api.requests_to("/orders", "POST")] == ["k1"]


def test_a_keyed_send_is_retried_after_a_503_because_the_server_can_deduplicate(api):
    api.fail_next(Reply(503, {"error": "busy"}))
    result = connect(api).call("http.send", {"method": "POST", "path": "/v1/orders", "json": {}}, idempotency_key="k2")
    assert result["status"] == 201 and len(api.requests) == 2


@pytest.mark.parametrize("path", ["/../admin", "//evil.example/x", "/v1/./../../etc"])
def test_a_path_that_leaves_the_base_url_is_refused(api, path):
    with pytest.raises(ConnectorError):
        connect(api).call("http.get", {"path": path})
    assert api.requests == []


def test_a_404_is_permanent_and_carries_the_apis_message(api):
    with pytest.raises(ConnectorError) as caught:
        connect(api).call("http.get", {"path": "/v1/missing"})
    assert caught.value.status == 404 and caught.value.retryable is False and "no route" in str(caught.value)


def test_basic_auth_is_built_from_a_secret(api):
    conn = RestConnector(settings={"base_url": api.url + "/api", "basic_auth": {"username": "svc"}},
                         secrets={"password": secrets.HTTP_TOKEN})
    conn.call("http.get", {"path": "/v1/orders"})
    expected = base64.b64encode(f"svc:{secrets.HTTP_TOKEN}".encode()).decode()
    assert api.requests[0].headers["Authorization"] == f"Basic {expected}"
    assert conn.redactor.redact(expected) == "[REDACTED]"


def test_a_template_naming_a_missing_secret_is_refused(api):
    with pytest.raises(ConnectorError):
        RestConnector(settings={"base_url": api.url, "headers": {"X-Key": "{{api_key}}"}}, secrets={})


def test_a_base_url_on_a_private_network_is_refused_without_the_allowlist(api):
    previous = set_default_policy(NetworkPolicy())
    try:
        with pytest.raises(ConnectorError) as caught:
            connect(api).call("http.get", {"path": "/v1/orders"})
        assert "refusing to connect" in str(caught.value)
    finally:
        set_default_policy(previous)
    assert api.requests == []
