"""Scrub a connection's secret values out of text before it is logged, raised or emitted.

A :class:`Redactor` knows the literal secret values of one connection (API keys, passwords,
tokens obtained at run time) and replaces every occurrence, including the common encodings
an HTTP library produces (URL-quoting, HTTP Basic base64), with ``[REDACTED]``. The app layer
builds one per connection and runs event payloads and error messages through it too.
"""

from __future__ import annotations

import base64
import logging
import re
import weakref
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"

# Shorter values would scrub ordinary words and digits out of every message.
_MIN_SECRET_LENGTH = 4


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in secrets:
            self.add(value)

    @classmethod
    def for_secrets(cls, secrets: Mapping[str, Any]) -> Redactor:
        return cls(str(v) for v in secrets.values() if v is not None)

    def add(self, value: str | None) -> None:
        """Learn one more secret value, e.g. an access token fetched during the run."""
        if not value or len(value) < _MIN_SECRET_LENGTH:
            return
        forms = {value, quote(value, safe=""), quote_plus(value)}
        self._values |= {f for f in forms if len(f) >= _MIN_SECRET_LENGTH}
        self._pattern = None

    def add_basic_auth(self, username: str, password: str) -> None:
        """Also hide the base64 form an ``Authorization: Basic`` header would carry."""
        self.add(password)
        self.add(base64.b64encode(f"{username}:{password}".encode()).decode())

    def __bool__(self) -> bool:
        return bool(self._values)

    def redact(self, text: str) -> str:
        if not self._values or not text:
            return text
        if self._pattern is None:
            # Longest first, so a secret that contains another is masked whole.
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))
        return self._pattern.sub(MASK, text)

    def redact_obj(self, obj: Any) -> Any:
        """Redact every string inside a JSON-like structure (event payloads, results)."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, Mapping):
            return {self.redact(str(k)): self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.redact_obj(v) for v in obj]
        return obj

    def logging_filter(self) -> logging.Filter:
        return RedactingFilter(self)


class RedactingFilter(logging.Filter):
    """A logging filter that formats the record's message and scrubs it in place."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if self.redactor:
            record.msg = self.redactor.redact(record.getMessage())
            record.args = None
        return True


# Records from httpx/httpcore carry URLs (a Slack webhook URL *is* a secret) and are logged on
# their own loggers, where a filter on our logger never runs; so every live redactor is
# consulted by one filter installed on each of those loggers.
_LIVE: weakref.WeakSet[Redactor] = weakref.WeakSet()
_LIBRARY_LOGGERS = (
    "farside.connectors",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)


class _LiveRedactorsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redactors = [r for r in list(_LIVE) if r]
        if redactors:
            message = record.getMessage()
            for redactor in redactors:
                message = redactor.redact(message)
            record.msg, record.args = message, None
        return True


_FILTER = _LiveRedactorsFilter()


def watch(redactor: Redactor) -> Redactor:
    """Make ``redactor`` scrub records of our and the HTTP libraries' loggers while it lives."""
    _LIVE.add(redactor)
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    return redactor
