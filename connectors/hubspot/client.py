"""HubSpot CRM v3 over the shared HTTP wrapper: auth, search paging past the 10,000 ceiling, writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from ..base import ConnectorError
from ..http import HttpClient, RetryPolicy
from ..redaction import Redactor

DEFAULT_BASE_URL = "https://api.hubapi.com"
SEARCH_CEILING = 10_000
SEARCH_PAGE_MAX = 200
MAX_FILTERS_PER_GROUP = 6
ID_ORDER = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]


def rate_limit_delay(response: httpx.Response) -> float | None:
    """HubSpot's 429s carry no Retry-After; its limit headers and policy name say how long to wait."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    daily_left = response.headers.get("X-HubSpot-RateLimit-Daily-Remaining")
    if body.get("policyName") == "DAILY" or daily_left == "0":
        # The daily quota resets at midnight; far beyond any run's retry budget, so the wrapper
        # hands this back as retryable-later instead of sleeping.
        now = datetime.now(timezone.utc)
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - now).total_seconds()
    interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
    if response.headers.get("X-HubSpot-RateLimit-Remaining") == "0" and interval and interval.isdigit():
        return int(interval) / 1000
    # The search endpoints (a few requests a second) send no limit headers at all.
    return 1.0


def pace(response: httpx.Response) -> float | None:
    """Hold the next request for the rest of the window when HubSpot says one call is left."""
    remaining = response.headers.get("X-HubSpot-RateLimit-Remaining", "")
    interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds", "")
    if remaining.isdigit() and int(remaining) <= 1 and interval.isdigit():
        return int(interval) / 1000
    return None


def error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(body, Mapping):
        return str(body)[:300]
    category = body.get("category") or body.get("errorType") or body.get("status")
    message = body.get("message", "")
    return f"{category}: {message}" if category else str(message)


class HubSpotClient:
    """``secrets`` holds either ``access_token`` (private app) or ``client_id``,
    ``client_secret`` and ``refresh_token`` (OAuth; an ``access_token`` may be cached too)."""

    def __init__(self, *, settings: Mapping[str, Any], secrets: dict[str, str], redactor: Redactor,
                 retry: RetryPolicy | None = None) -> None:
        self.secrets = secrets
        self.redactor = redactor
        self.oauth = bool(secrets.get("refresh_token"))
        if not self.oauth and not secrets.get("access_token"):
            raise ConnectorError("HubSpot needs an access_token (private app) or a refresh_token "
                                 "with client_id and client_secret (OAuth)", retryable=False)
        self._token_lock = threading.RLock()
        base_url = settings.get("base_url", DEFAULT_BASE_URL)
        # The token endpoint gets its own client: it must not carry (or try to refresh) a bearer.
        self._token_http = HttpClient(base_url=base_url, redactor=redactor, name="hubspot-oauth",
                                      error_detail=error_detail) if self.oauth else None
        self.http = HttpClient(
            base_url=base_url, redactor=redactor, name="hubspot",
            retry=retry or RetryPolicy(),
            auth_headers=self._auth_headers,
            on_unauthorized=self._refresh if self.oauth else None,
            rate_limit_delay=rate_limit_delay,
            error_detail=error_detail,
            pace=pace,
        )

    def close(self) -> None:
        self.http.close()
        if self._token_http is not None:
            self._token_http.close()

    # -- auth ---------------------------------------------------------------------------------
    def _auth_headers(self) -> dict[str, str]:
        if not self.secrets.get("access_token"):
            self._refresh()
        return {"Authorization": f"Bearer {self.secrets['access_token']}"}

    def _refresh(self) -> bool:
        with self._token_lock:
            # Exchanging a refresh token twice is harmless, so an ambiguous failure may be retried.
            assert self._token_http is not None
            body = self._token_http.post_json("/oauth/v1/token", data={
                "grant_type": "refresh_token", "client_id": self.secrets.get("client_id", ""),
                "client_secret": self.secrets.get("client_secret", ""),
                "refresh_token": self.secrets["refresh_token"],
            }, idempotent=True)
            self.redactor.add(body["access_token"])
            self.redactor.add(body.get("refresh_token"))
            self.secrets["access_token"] = body["access_token"]
            if body.get("refresh_token"):
                self.secrets["refresh_token"] = body["refresh_token"]
            return True

    # -- search ---------------------------------------------------------------------------------
    def search_page(self, object_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
        # Search is a read sent as POST: safe to repeat after an ambiguous failure.
        return self.http.post_json(f"/crm/v3/objects/{object_type}/search", json=dict(body), idempotent=True)

    def search_all(self, object_type: str, *, filter_groups: list[dict[str, Any]] | None = None,
                   properties: list[str] | None = None, query: str | None = None,
                   page_size: int = SEARCH_PAGE_MAX) -> Iterator[list[dict[str, Any]]]:
        """Yield every matching record, page by page, in id order.

        HubSpot refuses to page past 10,000 results of one search, so the search is cut into
        slices by ``hs_object_id``: when a slice nears the ceiling, a new search continues from
        the last id seen, with ``hs_object_id > last`` added to every filter group.
        """
        groups = [dict(g, filters=list(g.get("filters", []))) for g in (filter_groups or [])]
        if any(len(g["filters"]) >= MAX_FILTERS_PER_GROUP for g in groups):
            raise ConnectorError("a filter group with 6 filters leaves no room for the id filter that "
                                 "pages past 10,000 results; use fewer filters per group", retryable=False)
        last_id: str | None = None
        while True:
            sliced = self._after_id(groups, last_id)
            after: str | None = None
            while True:
                body: dict[str, Any] = {"filterGroups": sliced, "sorts": ID_ORDER, "limit": page_size}
                if properties:
                    body["properties"] = properties
                if query:
                    body["query"] = query
                if after:
                    body["after"] = after
                page = self.search_page(object_type, body)
                results = page.get("results", [])
                if results:
                    last_id = results[-1]["id"]
                    yield results
                after = page.get("paging", {}).get("next", {}).get("after")
                if not after:
                    return
                if int(after) + page_size > SEARCH_CEILING:
                    break

    @staticmethod
    def _after_id(groups: list[dict[str, Any]], last_id: str | None) -> list[dict[str, Any]]:
        if last_id is None:
            return groups
        floor = {"propertyName": "hs_object_id", "operator": "GT", "value": last_id}
        if not groups:
            return [{"filters": [floor]}]
        return [{**g, "filters": [*g["filters"], floor]} for g in groups]

    # -- records ---------------------------------------------------------------------------------
    def create(self, object_type: str, properties: Mapping[str, Any],
               associations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"properties": dict(properties)}
        if associations:
            body["associations"] = associations
        return self.http.post_json(f"/crm/v3/objects/{object_type}", json=body)

    def update(self, object_type: str, object_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        # Setting the same properties twice leaves the same record: safe to repeat.
        return self.http.request("PATCH", f"/crm/v3/objects/{object_type}/{object_id}",
                                 json={"properties": dict(properties)}, idempotent=True).json()

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        # A PUT of the default association: repeating it changes nothing.
        self.http.request("PUT", f"/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}")

    def associations(self, from_type: str, object_id: str, to_type: str) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            params = {"limit": "500", **({"after": after} if after else {})}
            page = self.http.get_json(f"/crm/v4/objects/{from_type}/{object_id}/associations/{to_type}",
                                      params=params)
            yield from page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
