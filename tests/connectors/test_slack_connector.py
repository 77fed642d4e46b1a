from __future__ import annotations

import logging

import pytest

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.http import RetryPolicy
from connectors.ledger import MemoryLedger
from connectors.slack import SlackConnector
from connectors.slack.fake import FakeSlack, slack_error


@pytest.fixture
def slack():
    with FakeSlack(secrets.SLACK_WEBHOOK_PATH) as fake:
        yield fake


def connect(fake, path=secrets.SLACK_WEBHOOK_PATH):
    return SlackConnector(settings={}, secrets={"webhook_url": fake.url + path}, ledger=MemoryLedger(),
                          retry=RetryPolicy(backoff_base=0.01))


def test_a_message_with_blocks_is_posted_to_the_webhook(slack):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Q3 revenue* up 12%"}}]
    result = connect(slack).call("slack.post_message", {"text": "Q3 report is ready", "blocks": blocks},
                                 idempotency_key="r-1")
    assert result == {"ok": True, "performed": True}
    assert slack.messages == [{"text": "Q3 report is ready", "blocks": blocks}]


def test_a_repeated_post_with_the_same_key_reaches_the_channel_once(slack):
    conn = connect(slack)
    conn.call("slack.post_message", {"text": "hello"}, idempotency_key="same")
    again = conn.call("slack.post_message", {"text": "hello"}, idempotency_key="same")
    assert again["performed"] is False and len(slack.messages) == 1


def test_a_rate_limited_post_waits_for_retry_after_and_is_delivered_once(slack):
    slack.fail_next(slack_error(429, "rate_limited", **{"Retry-After": "1"}))
    connect(slack).call("slack.post_message", {"text": "hello"}, idempotency_key="rl")
    first, second = slack.requests
    assert second.at - first.at >= 1.0 and len(slack.messages) == 1


def test_an_archived_channel_is_a_permanent_error_naming_slacks_code(slack):
    slack.fail_next(slack_error(410, "channel_is_archived"))
    with pytest.raises(ConnectorError) as caught:
        connect(slack).call("slack.post_message", {"text": "hello"}, idempotency_key="arch")
    assert caught.value.retryable is False and "channel_is_archived" in str(caught.value)
    assert len(slack.requests) == 1


def test_a_wrong_webhook_never_shows_its_url_in_errors_or_logs(slack, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "/services/T0000SECRET/B0000SECRET/WrongSecretPath99"
    with pytest.raises(ConnectorError) as caught:
        connect(slack, wrong).call("slack.post_message", {"text": "hello"}, idempotency_key="w")
    assert "no_service" in str(caught.value)
    assert "WrongSecretPath99" not in str(caught.value)
    assert caplog.records and all("WrongSecretPath99" not in r.getMessage() for r in caplog.records)
