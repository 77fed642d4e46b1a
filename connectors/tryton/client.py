"""Tryton's JSON-RPC: ``POST /<database>/rpc/`` with ``{"method", "params", "id"}``.

Login is ``common.db.login(login, {"password": ...}, language)`` returning ``[user_id, session]``;
later calls carry ``Authorization: Session base64(login:user_id:session)``. An expired or
unknown session answers HTTP 401, after which we log in again once. Application errors come
back as HTTP 200 with ``{"error": [name, args]}``. Values that JSON lacks travel as objects
tagged ``__class__`` (Decimal, date, datetime, bytes); results are turned into plain JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..base import ConnectorError
from ..http import HttpClient, RetryPolicy
from ..redaction import Redactor

# Tryton exceptions that are about the data or the rights, not the moment.
_RETRYABLE = ("ConcurrencyException",)


def decode(value: Any) -> Any:
    """Tryton's tagged values to plain JSON: Decimal → float, dates → ISO strings."""
    if isinstance(value, dict):
        kind = value.get("__class__")
        if kind == "Decimal":
            return float(value["decimal"])
        if kind == "date":
            return dt.date(value["year"], value["month"], value["day"]).isoformat()
        if kind == "datetime":
            return dt.datetime(value["year"], value["month"], value["day"], value["hour"], value["minute"],
                               value["second"], value.get("microsecond", 0)).isoformat()
        if kind == "time":
            return dt.time(value["hour"], value["minute"], value["second"]).isoformat()
        if kind == "timedelta":
            return value["seconds"]
        if kind == "bytes":
            return value["base64"]
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def encode(value: Any) -> Any:
    """Plain JSON values for Tryton: floats become Decimals (Numeric fields reject floats)."""
    if isinstance(value, float):
        return {"__class__": "Decimal", "decimal": repr(value)}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


class TrytonClient:
    def __init__(self, *, settings: Mapping[str, Any], secrets: Mapping[str, str], redactor: Redactor,
                 retry: RetryPolicy | None = None) -> None:
        self.database = settings["database"]
        self.login_name = settings["username"]
        self.password = secrets.get("password", "")
        self.context = dict(settings.get("context", {}))
        self.redactor = redactor
        self._session: str | None = None
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.http = HttpClient(base_url=settings["url"], redactor=redactor, name="tryton", retry=retry or RetryPolicy(),
                               auth_headers=self._auth_headers, on_unauthorized=self._relogin)
        self._login_http = HttpClient(base_url=settings["url"], redactor=redactor, name="tryton-login",
                                      retry=retry or RetryPolicy())

    def close(self) -> None:
        self.http.close()
        self._login_http.close()

    def login(self) -> None:
        with self._lock:
            body = self._login_http.post_json(f"/{self.database}/rpc/", json={
                "method": "common.db.login", "id": next(self._ids),
                "params": [self.login_name, {"password": self.password}, "en"]}, idempotent=True)
            if "error" in body or not body.get("result"):
                raise ConnectorError(f"Tryton refused the login: {body.get('error')}", retryable=False, status=401)
            user_id, session = body["result"][0], body["result"][1]
            token = base64.b64encode(f"{self.login_name}:{user_id}:{session}".encode()).decode()
            self.redactor.add(session)
            self.redactor.add(token)
            self._session = token

    def _auth_headers(self) -> dict[str, str]:
        if self._session is None:
            self.login()
        return {"Authorization": f"Session {self._session}"}

    def _relogin(self) -> bool:
        self.login()
        return True

    def call(self, method: str, *params: Any, idempotent: bool = False) -> Any:
        body = self.http.post_json(f"/{self.database}/rpc/", json={
            "method": method, "params": [encode(p) for p in params] + [self.context], "id": next(self._ids)},
            idempotent=idempotent)
        if "error" in body:
            name, *detail = body["error"] if isinstance(body["error"], list) else [body["error"]]
            error = ConnectorError(f"Tryton {method} failed: {name}: {decode(detail)}",
                                   retryable=str(name) in _RETRYABLE)
            # The server reported an exception, so its transaction was rolled back.
            error.never_sent = True  # type: ignore[attr-defined]
            raise error
        return decode(body.get("result"))
