"""Odoo's two external APIs behind one ``execute(model, method, ids, **kwargs)`` call.

JSON-2 (Odoo 19+): ``POST /json/2/<model>/<method>`` with ``Authorization: bearer <api key>``,
named arguments in the body, the return value as the body and 4xx/5xx with
``{"name", "message", "arguments", "context", "debug"}`` on error.

JSON-RPC (Odoo ≤ 18): ``POST /jsonrpc`` calling ``object.execute_kw(db, uid, password, model,
method, args, kwargs)`` after ``common.login``; errors come back as HTTP 200 with an ``error``
member whose ``data.name`` is the Python exception.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import httpx

from ..base import ConnectorError
from ..http import HttpClient, RetryPolicy
from ..redaction import Redactor

# Concurrency failures PostgreSQL reports; Odoo retries them itself a few times, then gives up.
_TRANSIENT = ("SerializationFailure", "LockNotAvailable", "DeadlockDetected", "TransactionRollbackError")


def classify(name: str) -> bool:
    """Whether an Odoo exception is worth retrying; everything else (AccessError, UserError,
    ValidationError, MissingError, ...) says the call itself was wrong or not allowed."""
    return name.rsplit(".", 1)[-1] in _TRANSIENT


def json2_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, Mapping):
        return f"{body.get('name', 'error')}: {body.get('message', '')}"
    return str(body)[:300]


class OdooClient:
    def __init__(self, *, settings: Mapping[str, Any], secrets: Mapping[str, str], redactor: Redactor,
                 retry: RetryPolicy | None = None) -> None:
        self.protocol = settings.get("protocol", "json2")
        if self.protocol not in ("json2", "jsonrpc"):
            raise ConnectorError("Odoo protocol must be 'json2' (Odoo 19+) or 'jsonrpc' (Odoo 18 and older)",
                                 retryable=False)
        self.database = settings.get("database", "")
        self.username = settings.get("username", "")
        self.key = secrets.get("api_key") or secrets.get("password") or ""
        if not self.key:
            raise ConnectorError("Odoo needs an api_key (or a password for JSON-RPC)", retryable=False)
        headers = {"X-Odoo-Database": self.database} if self.database else {}
        if self.protocol == "json2":
            headers["Authorization"] = f"bearer {self.key}"
        self.http = HttpClient(base_url=settings["url"], redactor=redactor, name="odoo", headers=headers,
                               retry=retry or RetryPolicy(), error_detail=json2_detail)
        self._uid: int | None = None
        self._ids = itertools.count(1)

    def close(self) -> None:
        self.http.close()

    def execute(self, model: str, method: str, ids: list[int] | None = None, *, idempotent: bool = False,
                **kwargs: Any) -> Any:
        if self.protocol == "json2":
            body: dict[str, Any] = dict(kwargs)
            if ids is not None:
                body["ids"] = ids
            return self.http.post_json(f"/json/2/{model}/{method}", json=body, idempotent=idempotent)
        args: list[Any] = [ids] if ids is not None else []
        return self._rpc("object", "execute_kw",
                         [self.database, self.uid, self.key, model, method, args, kwargs], idempotent=idempotent)

    @property
    def uid(self) -> int:
        if self._uid is None:
            uid = self._rpc("common", "login", [self.database, self.username, self.key], idempotent=True)
            if not uid:
                raise ConnectorError("Odoo refused the login (wrong database, user or password/API key)",
                                     retryable=False, status=401)
            self._uid = int(uid)
        return self._uid

    def _rpc(self, service: str, method: str, args: list[Any], *, idempotent: bool) -> Any:
        payload = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                   "params": {"service": service, "method": method, "args": args}}
        body = self.http.post_json("/jsonrpc", json=payload, idempotent=idempotent)
        if "error" in body:
            data = body["error"].get("data", {})
            name = data.get("name", "")
            retryable = classify(name)
            status = 401 if name.endswith("AccessDenied") else 403 if name.endswith("AccessError") else None
            error = ConnectorError(f"{name or 'Odoo error'}: {data.get('message') or body['error'].get('message')}",
                                   retryable=retryable, status=status)
            # The server answered with an exception: its transaction was rolled back, nothing written.
            error.never_sent = True  # type: ignore[attr-defined]
            raise error
        return body.get("result")
