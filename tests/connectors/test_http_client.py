from __future__ import annotations

import logging

import pytest

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.fakeserver import FakeServer, Reply
from connectors.http import HttpClient, RetryPolicy
from connectors.netpolicy import NetworkPolicy
from connectors.redaction import Redactor


@pytest.fixture
def server():
    with FakeServer() as fake:
        fake.route("GET", r"/items", lambda rec, m: Reply(200, {"ok": True}))
        fake.route("POST", r"/items", lambda rec, m: Reply(201, {"id": 1}))
        yield fake


def make_client(server, **kwargs):
    kwargs.setdefault("retry", RetryPolicy(backoff_base=0.01, backoff_cap=0.05))
    return HttpClient(base_url=server.url, **kwargs)


def test_it_retries_a_503_and_returns_the_later_success(server):
    server.fail_next(Reply(503, {"message": "upstream busy"}), times=2)
    with make_client(server) as client:
        assert client.get_json("/items") == {"ok": True}
    assert len(server.requests) == 3


def test_it_waits_as_long_as_retry_after_says_before_retrying_a_429(server):
    server.fail_next(Reply(429, {"message": "slow down"}, {"Retry-After": "1"}))
    with make_client(server) as client:
        client.get_json("/items")
    first, second = server.requests
    assert second.at - first.at >= 1.0


def test_it_does_not_retry_a_permanent_error(server):
    server.fail_next(Reply(400, {"message": "property dealstage does not exist"}))
    with make_client(server) as client, pytest.raises(ConnectorError) as caught:
        client.get_json("/items")
    assert caught.value.retryable is False
    assert caught.value.status == 400
    assert "property dealstage does not exist" in str(caught.value)
    assert len(server.requests) == 1


def test_it_does_not_repeat_a_post_after_an_ambiguous_503(server):
    server.fail_next(Reply(503, {"message": "try later"}))
    with make_client(server) as client, pytest.raises(ConnectorError) as caught:
        client.post_json("/items", json={"name": "x"})
    assert caught.value.retryable is True
    assert len(server.requests) == 1


def test_it_repeats_a_post_refused_with_429_because_nothing_was_done(server):
    server.fail_next(Reply(429, {"message": "limit"}, {"Retry-After": "0"}))
    with make_client(server) as client:
        assert client.post_json("/items", json={"name": "x"}) == {"id": 1}
    assert len(server.requests) == 2


def test_a_retry_after_beyond_the_budget_is_handed_back_instead_of_slept(server):
    server.fail_next(Reply(429, {"message": "daily limit"}, {"Retry-After": "3600"}))
    with make_client(server) as client, pytest.raises(ConnectorError) as caught:
        client.get_json("/items")
    assert caught.value.retryable is True
    assert caught.value.retry_after == 3600
    assert len(server.requests) == 1


def test_it_gives_up_after_the_attempt_budget(server):
    server.fail_next(Reply(500, {"message": "boom"}), times=10)
    with make_client(server, retry=RetryPolicy(max_attempts=3, backoff_base=0.01)) as client:
        with pytest.raises(ConnectorError) as caught:
            client.get_json("/items")
    assert caught.value.retryable is True
    assert len(server.requests) == 3


def test_a_401_calls_the_refresh_hook_once_and_repeats_with_the_new_token(server):
    tokens = iter(["stale", "fresh"])
    current = {"token": next(tokens)}

    def refresh():
        current["token"] = next(tokens)
        return True

    server.fail_next(Reply(401, {"message": "expired"}))
    with make_client(server, auth_headers=lambda: {"Authorization": "Bearer " + current["token"]},
                     on_unauthorized=refresh) as client:
        client.get_json("/items")
    assert [r.headers["Authorization"] for r in server.requests] == ["Bearer stale", "Bearer fresh"]


def test_a_second_401_after_refresh_is_a_permanent_error(server):
    server.fail_next(Reply(401, {"message": "revoked"}), times=2)
    with make_client(server, on_unauthorized=lambda: True) as client, pytest.raises(ConnectorError) as caught:
        client.get_json("/items")
    assert caught.value.status == 401 and caught.value.retryable is False
    assert len(server.requests) == 2


def test_a_connection_refused_is_retryable(server):
    url = server.url
    server.stop()
    client = HttpClient(base_url=url, retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    with pytest.raises(ConnectorError) as caught:
        client.get_json("/items")
    assert caught.value.retryable is True


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "169.254.169.254", "10.1.2.3", "[::1]",
                                  "[::ffff:127.0.0.1]", "0.0.0.0", "100.64.0.1"])
def test_it_refuses_non_public_addresses_without_an_allowlist(host):
    client = HttpClient(policy=NetworkPolicy())
    with pytest.raises(ConnectorError) as caught:
        client.get_json(f"http://{host}:9/latest/meta-data")
    assert "refusing to connect" in str(caught.value)
    assert caught.value.retryable is False


def test_an_allowlisted_network_is_reachable(server):
    client = HttpClient(base_url=server.url, policy=NetworkPolicy.allowing(["127.0.0.1/32"]))
    assert client.get_json("/items") == {"ok": True}


def test_a_secret_in_the_url_never_reaches_logs_or_errors(server, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # the app's settings quieten httpx
    server.fail_next(Reply(404, {"message": "no_service"}))
    redactor = Redactor([secrets.SLACK_WEBHOOK_PATH.rsplit("/", 1)[1], secrets.HTTP_TOKEN])
    client = make_client(server, redactor=redactor)
    with pytest.raises(ConnectorError) as caught:
        client.post_json(secrets.SLACK_WEBHOOK_PATH + "?token=" + secrets.HTTP_TOKEN, json={})
    assert "XyZsecretWebhook42" not in str(caught.value)
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx's own line
    assert all("XyZsecretWebhook42" not in r.getMessage() for r in caplog.records)
    assert all(secrets.HTTP_TOKEN not in r.getMessage() for r in caplog.records)


def test_the_redactor_masks_encoded_forms_and_nested_payloads():
    redactor = Redactor()
    redactor.add_basic_auth("api", "p@ss word/1")
    payload = {"url": "https://x/?k=p%40ss%20word%2F1", "list": ["p@ss word/1"], "n": 3,
               "auth": "Basic YXBpOnBAc3Mgd29yZC8x"}
    assert redactor.redact_obj(payload) == {
        "url": "https://x/?k=[REDACTED]", "list": ["[REDACTED]"], "n": 3, "auth": "Basic [REDACTED]"}


def test_a_certificate_that_does_not_verify_is_a_permanent_error(tls_material):
    import ssl

    directory, _ = tls_material
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    with FakeServer(tls=context) as fake:
        fake.route("GET", r"/items", lambda rec, m: Reply(200, {"ok": True}))
        with pytest.raises(ConnectorError) as caught:
            make_client(fake).get_json("/items")
    assert caught.value.retryable is False and "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


def test_a_response_larger_than_the_cap_is_refused_without_being_kept(server):
    server.route("GET", r"/huge", lambda rec, m: Reply(200, raw=b"x" * 300_000, headers={"Content-Type": "text/plain"}))
    with make_client(server, max_response_bytes=100_000) as client, pytest.raises(ConnectorError) as caught:
        client.request("GET", "/huge")
    assert caught.value.retryable is False and "larger than 100000" in str(caught.value)


def test_a_gzip_response_is_decoded_once(server):
    import gzip
    import json as jsonlib

    body = gzip.compress(jsonlib.dumps({"deals": list(range(100))}).encode())
    server.route("GET", r"/gz", lambda rec, m: Reply(200, raw=body, headers={"Content-Encoding": "gzip"}))
    with make_client(server) as client:
        assert client.get_json("/gz") == {"deals": list(range(100))}
