"""Salesforce REST over the shared HTTP wrapper: SOQL paging, sObjects, composite, limits."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ..base import ConnectorError
from ..http import HttpClient, RetryPolicy
from ..redaction import Redactor
from .auth import token_request

DEFAULT_VERSION = "v60.0"


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    if isinstance(body, dict):
        # OAuth errors: {"error": "invalid_grant", "error_description": "..."}
        if "error" in body:
            return [{"errorCode": body["error"], "message": body.get("error_description", "")}]
        body = [body]
    return [e for e in body if isinstance(e, dict)]


def error_detail(response: httpx.Response) -> str:
    errors = _errors(response)
    if not errors:
        return response.text[:300]
    return "; ".join(f"{e.get('errorCode', 'ERROR')}: {e.get('message', '')}"
                     + (f" (fields: {', '.join(e['fields'])})" if e.get("fields") else "") for e in errors)


def is_retryable(response: httpx.Response) -> bool | None:
    """REQUEST_LIMIT_EXCEEDED arrives as a 403; it is a refusal that waiting can cure."""
    codes = {e.get("errorCode") for e in _errors(response)}
    if "REQUEST_LIMIT_EXCEEDED" in codes or "SERVER_UNAVAILABLE" in codes:
        return True
    return None


def limit_delay(response: httpx.Response) -> float | None:
    messages = " ".join(e.get("message", "") for e in _errors(response))
    if "TotalRequests" in messages:
        # The org's rolling 24-hour API allowance is spent: hand it back rather than sleep.
        return 3600.0
    return None  # concurrent-request limits clear in seconds: normal backoff


class SalesforceClient:
    def __init__(self, *, settings: Mapping[str, Any], secrets: dict[str, str], redactor: Redactor,
                 retry: RetryPolicy | None = None) -> None:
        self.settings, self.secrets, self.redactor = settings, secrets, redactor
        self.version = settings.get("api_version", DEFAULT_VERSION)
        self._lock = threading.RLock()
        self._instance_url: str | None = None
        self._token: str | None = None
        retry = retry or RetryPolicy()
        self._login = HttpClient(base_url=settings.get("login_url", "https://login.salesforce.com"),
                                 redactor=redactor, name="salesforce-oauth", retry=retry, error_detail=error_detail)
        self._api: HttpClient | None = None
        self._retry = retry

    def close(self) -> None:
        self._login.close()
        if self._api is not None:
            self._api.close()

    # -- auth ---------------------------------------------------------------------------------
    def authenticate(self) -> bool:
        with self._lock:
            form = token_request(self.settings, self.secrets)
            if "assertion" in form:
                self.redactor.add(form["assertion"])
            # A token request has no side effects worth guarding: safe to repeat.
            body = self._login.post_json("/services/oauth2/token", data=form, idempotent=True)
            self._token = body["access_token"]
            self.redactor.add(self._token)
            instance_url = body.get("instance_url") or self.settings.get("instance_url")
            if not instance_url:
                raise ConnectorError("Salesforce returned no instance_url", retryable=False)
            if instance_url != self._instance_url:
                # An old client may be mid-request (this runs from its 401 hook), so it is left
                # to the garbage collector rather than closed under it.
                self._instance_url = instance_url
                self._api = HttpClient(
                    base_url=instance_url, redactor=self.redactor, name="salesforce", retry=self._retry,
                    auth_headers=lambda: {"Authorization": f"Bearer {self._token}"},
                    on_unauthorized=self.authenticate, error_detail=error_detail,
                    is_retryable=is_retryable, rate_limit_delay=limit_delay,
                )
            return True

    @property
    def api(self) -> HttpClient:
        if self._api is None:
            self.authenticate()
        assert self._api is not None
        return self._api

    def path(self, suffix: str) -> str:
        return f"/services/data/{self.version}/{suffix.lstrip('/')}"

    # -- query ----------------------------------------------------------------------------------
    def query_page(self, soql: str | None = None, next_url: str | None = None) -> dict[str, Any]:
        if next_url is not None:
            if not next_url.startswith("/services/data/"):
                raise ConnectorError("not a Salesforce nextRecordsUrl", retryable=False)
            return self.api.get_json(next_url)
        return self.api.get_json(self.path("query"), params={"q": soql})

    def query_all(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        page = self.query_page(soql)
        while True:
            yield page.get("records", [])
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self.query_page(next_url=page["nextRecordsUrl"])

    # -- writes ---------------------------------------------------------------------------------
    def create(self, sobject: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self.api.post_json(self.path(f"sobjects/{sobject}"), json=dict(fields))

    def update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        # Writing the same field values twice leaves the same record: safe to repeat.
        self.api.request("PATCH", self.path(f"sobjects/{sobject}/{record_id}"), json=dict(fields), idempotent=True)

    def composite(self, requests: list[dict[str, Any]], all_or_none: bool) -> dict[str, Any]:
        return self.api.post_json(self.path("composite"),
                                  json={"allOrNone": all_or_none, "compositeRequest": requests})
