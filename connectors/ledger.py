"""Write-ahead records that make writes idempotent when the remote API cannot.

HubSpot, Salesforce, Slack webhooks and SMTP take no idempotency key, so a write repeated after
a crash or a retry would happen twice. Before such a write the connector *reserves* the key in a
:class:`WriteLedger`; after success it stores the result; after a failure the remote side
certainly did not act on (4xx, 429, refused connection) it releases the key. A failure whose
outcome is unknown (timeout, 5xx after the request was sent) leaves the key pending, and a
repeat then refuses instead of risking a duplicate: a person has to look.

The app provides a database-backed ledger per connection; :class:`MemoryLedger` is the default.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any, Protocol

from .base import ConnectorError


class WriteLedger(Protocol):
    def reserve(self, key: str) -> dict[str, Any] | None:
        """Atomically claim ``key``. Returns None if it was free (now pending), else the entry:
        ``{"state": "pending"}`` or ``{"state": "done", "result": {...}}``."""
        ...

    def complete(self, key: str, result: dict[str, Any]) -> None: ...

    def release(self, key: str) -> None: ...


class MemoryLedger:
    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if key in self._entries:
                return copy.deepcopy(self._entries[key])
            self._entries[key] = {"state": "pending"}
            return None

    def complete(self, key: str, result: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = {"state": "done", "result": copy.deepcopy(result)}

    def release(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


_default_ledger = MemoryLedger()


def default_ledger() -> MemoryLedger:
    return _default_ledger


def perform_once(
    ledger: WriteLedger, key: str | None, perform: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run ``perform`` at most once per key; returns its result plus ``performed``."""
    if key is None:
        return {**perform(), "performed": True}
    entry = ledger.reserve(key)
    if entry is not None:
        if entry["state"] == "done":
            return {**entry["result"], "performed": False}
        raise ConnectorError(
            "an earlier attempt of this write ended without a clear outcome; check the remote "
            "system before repeating it",
            retryable=False,
        )
    try:
        result = perform()
    except ConnectorError as exc:
        if exc.status is not None and (400 <= exc.status < 500 or exc.status == 429) or _never_sent(exc):
            ledger.release(key)
        raise
    ledger.complete(key, result)
    return {**result, "performed": True}


def _never_sent(exc: ConnectorError) -> bool:
    # Set by the HTTP wrapper and the network policy when the request never left this machine.
    return getattr(exc, "never_sent", False)
