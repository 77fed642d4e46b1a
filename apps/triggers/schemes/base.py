"""What every verification scheme shares: the request as received, the verdicts, and
the checks that must be done the same way everywhere (constant-time comparison,
timestamp windows, JSON parsing)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

TIMESTAMP_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class InboundRequest:
    """A webhook request, reduced to what verification needs. ``url`` is the absolute URL
    the sender addressed (signatures that cover the URI sign this)."""

    method: str
    url: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    remote_addr: str | None = None
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Event:
    """One event in a delivery: the provider's id for it (None when it gives none) and the
    data that workflow inputs are mapped from."""

    event_id: str | None
    payload: Any


@dataclass(frozen=True)
class Verified:
    events: tuple[Event, ...]

    @classmethod
    def single(cls, payload: Any, event_id: str | None = None) -> Verified:
        return cls(events=(Event(event_id, payload),))

    @property
    def payload(self) -> Any:
        return self.events[0].payload

    @property
    def event_id(self) -> str | None:
        return self.events[0].event_id


class Rejected(Exception):
    """A delivery we refuse: the HTTP status, a machine code and a message for the sender."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class EndpointKeys:
    """The secrets of an endpoint: the current one first, then any still accepted during rotation."""

    secrets: tuple[str, ...]
    settings: Mapping[str, Any]


def equal(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time comparison of two signatures."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return hmac.compare_digest(a, b)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def check_window(sent_at: datetime, now: datetime, tolerance: timedelta = TIMESTAMP_TOLERANCE) -> None:
    if sent_at < now - tolerance:
        raise Rejected(401, "stale_timestamp", f"the request timestamp is more than {tolerance} old")
    if sent_at > now + tolerance:
        raise Rejected(401, "future_timestamp", f"the request timestamp is more than {tolerance} in the future")


def require(request: InboundRequest, name: str) -> str:
    value = request.header(name)
    if not value:
        raise Rejected(401, "missing_signature", f"the {name} header is missing")
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """Strict JSON: Python's parser also takes NaN and Infinity, which are not JSON and
    which PostgreSQL would refuse later."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Rejected(400, "malformed_body", "the body is not valid UTF-8 JSON") from None


def body_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()
