"""Generic HTTP/REST: GET and send JSON to one configured API, with auth headers from templates.

``settings["headers"]`` maps header names to templates in which ``{{name}}`` stands for the
secret ``name`` (``{"Authorization": "Bearer {{token}}"}``, ``{"X-Api-Key": "{{api_key}}"}``);
``settings["basic_auth"] = {"username": "...", "password_secret": "password"}`` builds HTTP
Basic. Requests can only go to paths under ``base_url``, and the host is checked by the
network policy like every connector's (the base URL is user-supplied).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

import httpx

from ..base import Connector, ConnectorError, Operation
from ..http import HttpClient, RetryPolicy
from ..registry import register

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
MAX_TEXT = 100_000
_PATH = {"type": "string", "pattern": r"^/", "description": "Path under the connection's base URL."}
_QUERY = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
_RESULT = {"type": "object", "properties": {"status": {"type": "integer"}, "json": {}, "text": {"type": "string"}},
           "required": ["status"]}


def render(template: str, secrets: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in secrets:
            raise ConnectorError(f"header template refers to unknown secret {name!r}", retryable=False)
        return secrets[name]

    return _PLACEHOLDER.sub(value, template)


@register
class RestConnector(Connector):
    """Settings: ``base_url``, ``headers`` (templates), ``basic_auth``. Secrets: any named values."""

    type = "http"
    operations = (
        Operation(name="http.get", kind="read", result_schema=_RESULT,
                  description="GET a path of the configured API (with its auth) and return the status and "
                              "the JSON (or text) body.",
                  args_schema={"type": "object", "properties": {"path": _PATH, "query": _QUERY},
                               "required": ["path"], "additionalProperties": False}),
        Operation(name="http.send", kind="write", result_schema=_RESULT,
                  description="Send a POST, PUT, PATCH or DELETE with a JSON body to a path of the configured "
                              "API. The step's idempotency key is sent as the Idempotency-Key header.",
                  args_schema={"type": "object", "properties": {
                      "method": {"enum": ["POST", "PUT", "PATCH", "DELETE"]}, "path": _PATH, "query": _QUERY,
                      "json": {}}, "required": ["method", "path"], "additionalProperties": False}),
    )

    def __init__(self, *, settings: Mapping[str, Any], secrets: Mapping[str, str], ledger: Any = None,
                 retry: RetryPolicy | None = None):
        super().__init__(settings=settings, secrets=secrets, ledger=ledger)
        base = httpx.URL(self.settings.get("base_url", ""))
        if base.scheme not in ("http", "https") or not base.host:
            raise ConnectorError("the HTTP connection needs an http(s) base_url", retryable=False)
        self.base = base
        headers = {name: render(template, self.secrets) for name, template in self.settings.get("headers", {}).items()}
        basic = self.settings.get("basic_auth")
        if basic:
            password = self.secrets.get(basic.get("password_secret", "password"), "")
            token = base64.b64encode(f"{basic['username']}:{password}".encode()).decode()
            self.redactor.add_basic_auth(basic["username"], password)
            headers["Authorization"] = f"Basic {token}"
        self.http = HttpClient(base_url=str(base), headers=headers, redactor=self.redactor, name="http",
                               retry=retry or RetryPolicy())

    def close(self) -> None:
        self.http.close()

    def _check(self) -> None:
        """GET ``settings["check_path"]`` (default ``/``); any answer but 401/403/5xx counts."""
        try:
            self.http.request("GET", self._path(self.settings.get("check_path", "/")))
        except ConnectorError as exc:
            if exc.status is not None and exc.status < 500 and exc.status not in (401, 403):
                return
            raise

    def _path(self, path: str) -> str:
        # Keep every request under the base URL: no other origin, no climbing out of its path.
        if path.startswith("//") or any(seg in ("..", ".") for seg in path.split("?")[0].split("/")):
            raise ConnectorError(f"path {path!r} leaves the API's base URL", retryable=False)
        return path.lstrip("/")

    @staticmethod
    def _result(response: httpx.Response) -> dict[str, Any]:
        result: dict[str, Any] = {"status": response.status_code}
        if "json" in response.headers.get("content-type", ""):
            try:
                result["json"] = response.json()
                return result
            except ValueError:
                pass
        text = response.text
        result["text"] = text[:MAX_TEXT]
        if len(text) > MAX_TEXT:
            result["truncated"] = True
        return result

    def _run_get(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._result(self.http.request("GET", self._path(args["path"]), params=args.get("query")))

    def _run_send(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
            response = self.http.request(args["method"], self._path(args["path"]), params=args.get("query"),
                                         json=args.get("json"), headers=headers,
                                         # With a key the server can de-duplicate; without one, a
                                         # POST after an ambiguous failure must not be repeated.
                                         idempotent=True if idempotency_key else None)
            return self._result(response)

        return self._perform_once("send", idempotency_key, perform)
