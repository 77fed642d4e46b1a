"""Slack incoming webhooks: post a message (text and optional Block Kit blocks) to one channel.

The webhook URL is itself the credential, so it lives in secrets and the redactor hides it.
Webhooks take no idempotency key; the write ledger stops a repeated post.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ..base import Connector, ConnectorError, Operation
from ..http import HttpClient, RetryPolicy
from ..registry import register

def error_detail(response: httpx.Response) -> str:
    return response.text.strip()[:200] or response.reason_phrase


@register
class SlackConnector(Connector):
    """Settings: none. Secrets: ``webhook_url``."""

    type = "slack"
    operations = (
        Operation(
            name="slack.post_message",
            description="Post a message to the Slack channel of this webhook. 'text' is Slack mrkdwn "
                        "(*bold*, _italic_, <url|label>); 'blocks' is optional Block Kit JSON.",
            kind="write",
            args_schema={"type": "object", "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": 40000},
                "blocks": {"type": "array", "items": {"type": "object"}, "maxItems": 50}},
                "required": ["text"], "additionalProperties": False},
            result_schema={"type": "object", "properties": {"ok": {"type": "boolean"},
                                                            "performed": {"type": "boolean"}}},
        ),
    )

    def __init__(self, *, settings: Mapping[str, Any], secrets: Mapping[str, str], ledger: Any = None,
                 retry: RetryPolicy | None = None):
        super().__init__(settings=settings, secrets=secrets, ledger=ledger)
        url = self.secrets.get("webhook_url", "")
        if not url.startswith(("https://", "http://")):
            raise ConnectorError("the Slack connection needs a webhook_url secret", retryable=False)
        # The path is the secret part; hide it even where httpx logs it on its own.
        self.redactor.add(httpx.URL(url).path)
        self.http = HttpClient(redactor=self.redactor, name="slack", retry=retry or RetryPolicy(),
                               error_detail=error_detail)

    def close(self) -> None:
        self.http.close()

    def _check(self) -> None:
        # Webhooks have no read endpoint; an empty payload is refused with "no_text" by a live
        # webhook and "no_service"/"invalid_token" by a dead one, and posts nothing.
        try:
            self.http.request("POST", self.secrets["webhook_url"], json={})
        except ConnectorError as exc:
            if exc.status == 400 and "no_text" in str(exc):
                return
            raise

    def _run_post_message(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            payload: dict[str, Any] = {"text": args["text"]}
            if args.get("blocks"):
                payload["blocks"] = args["blocks"]
            # A 429 is retried by the wrapper (Slack sends Retry-After); a 5xx is not, since
            # the message may already be in the channel.
            self.http.request("POST", self.secrets["webhook_url"], json=payload)
            return {"ok": True}

        return self._perform_once("post_message", idempotency_key, perform)
