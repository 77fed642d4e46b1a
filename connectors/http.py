"""The one outbound HTTP wrapper every HTTP connector uses.

It owns what an integration engineer would otherwise repeat in every client: timeouts, retries
with backoff for failures that a retry can fix (connection errors, 5xx, 429 and the provider's
own limit signals), a budget so a run never waits forever, error messages that say whether a
retry can help and carry no secret, log lines without secrets, and the SSRF check of every
address it connects to (see :mod:`connectors.netpolicy`).
"""

from __future__ import annotations

import email.utils
import functools
import logging
import random
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from .base import ConnectorError
from .netpolicy import NetworkPolicy, default_policy
from .redaction import Redactor, watch

logger = logging.getLogger("farside.connectors.http")

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Methods a server must treat as idempotent; POST and PATCH are retried after an ambiguous
# failure only when the caller says the request is safe to repeat (a search, or a write the
# server de-duplicates by key).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    # The most we sleep in total across retries of one request; a longer Retry-After is
    # handed to the caller as ConnectorError(retryable=True, retry_after=...) instead.
    max_total_wait: float = 60.0
    backoff_base: float = 0.5
    backoff_cap: float = 8.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the wait after ``attempt`` (1-based)."""
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Parse ``Retry-After`` as delta-seconds or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def default_error_detail(response: httpx.Response) -> str:
    """Best effort at the provider's own words from a JSON or text error body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip()
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        body = body[0]
    if isinstance(body, Mapping):
        for key in ("message", "error_description", "error", "detail", "title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, Mapping) and isinstance(value.get("message"), str):
                return value["message"]
    return str(body)[:300]


class _CheckedBackend(httpcore.SyncBackend):
    """Connects only to addresses the network policy approved, resolved at connect time."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = self.policy.resolve(host, port)
        last: Exception | None = None
        for _, address in addresses:
            try:
                # Connecting to the checked address itself (not the name again) pins the
                # connection: a DNS answer that changes between check and connect cannot win.
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds; connectors are built per run step, so
    # every client shares one verifying context.
    return httpx.create_ssl_context(trust_env=False)


class _CheckedTransport(httpx.HTTPTransport):
    def __init__(self, policy: NetworkPolicy, limits: httpx.Limits) -> None:
        super().__init__(verify=_ssl_context(), limits=limits, trust_env=False)
        # httpx 0.28 builds its httpcore pool without a way to pass a network backend, so the
        # pool is rebuilt with the same options and our backend (pinned httpx version).
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_CheckedBackend(policy),
        )


class HttpClient:
    """A small requests-like client: ``request()`` returns a 2xx response or raises ConnectorError.

    ``auth_headers`` is called before every attempt so a refreshed token is used at once;
    ``on_unauthorized`` is called once after a 401 and returns True if it refreshed
    credentials (then the request is repeated once). ``rate_limit_delay`` lets a provider read
    its own limit headers or error body when a 429 carries no ``Retry-After``;
    ``error_detail`` extracts the provider's message; ``is_retryable`` can mark provider errors
    that arrive with other statuses (Salesforce's REQUEST_LIMIT_EXCEEDED is a 403); ``pace``
    reads a successful response's limit headers and returns how long to hold the next request
    when the window is nearly spent, so we slow down before the provider has to say 429.
    """

    def __init__(
        self,
        *,
        base_url: str = "",
        redactor: Redactor | None = None,
        policy: NetworkPolicy | None = None,
        timeout: float | httpx.Timeout = httpx.Timeout(30.0, connect=10.0),
        retry: RetryPolicy = RetryPolicy(),
        headers: Mapping[str, str] | None = None,
        auth_headers: Callable[[], Mapping[str, str]] | None = None,
        on_unauthorized: Callable[[], bool] | None = None,
        rate_limit_delay: Callable[[httpx.Response], float | None] | None = None,
        error_detail: Callable[[httpx.Response], str] = default_error_detail,
        is_retryable: Callable[[httpx.Response], bool | None] | None = None,
        pace: Callable[[httpx.Response], float | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        name: str = "http",
        max_response_bytes: int = 50 * 2**20,
    ) -> None:
        self.redactor = watch(redactor if redactor is not None else Redactor())
        self.retry = retry
        self.auth_headers = auth_headers
        self.on_unauthorized = on_unauthorized
        self.rate_limit_delay = rate_limit_delay
        self.error_detail = error_detail
        self.is_retryable = is_retryable
        self.pace = pace
        self._not_before = 0.0
        self.sleep = sleep
        self.name = name
        self.max_response_bytes = max_response_bytes
        limits = httpx.Limits(max_connections=10, max_keepalive_connections=5)
        self._client = httpx.Client(
            base_url=base_url,
            headers={"User-Agent": "Farside-connectors/0.1", **(headers or {})},
            timeout=timeout,
            transport=_CheckedTransport(policy or default_policy(), limits),
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- convenience -------------------------------------------------------------------
    def get_json(self, url: str, **kwargs: Any) -> Any:
        return _json(self.request("GET", url, **kwargs), self.redactor)

    def post_json(self, url: str, **kwargs: Any) -> Any:
        return _json(self.request("POST", url, **kwargs), self.redactor)

    # -- the one request loop ------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        method = method.upper()
        safe_to_repeat = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        waited = 0.0
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            self._wait_for_pace()
            request_headers = dict(headers or {})
            if self.auth_headers is not None:
                request_headers.update(self.auth_headers())
            started = time.monotonic()
            try:
                response = self._send(method, url, params=params, json=json, data=data, content=content,
                                      headers=request_headers)
            except httpx.TransportError as exc:
                # A failure before the request left us (connect) is always safe to repeat;
                # after that the server may have acted on it.
                never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                # A certificate that does not verify will not verify on the next try either.
                bad_certificate = "CERTIFICATE_VERIFY_FAILED" in str(exc)
                error = ConnectorError(
                    self._say(f"{method} {_where(url, self._client)}: {type(exc).__name__}: {exc}"),
                    retryable=not bad_certificate,
                )
                error.never_sent = never_sent  # type: ignore[attr-defined]
                if bad_certificate:
                    raise error from None
                delay = self.retry.backoff(attempt)
                if (never_sent or safe_to_repeat) and self._may_wait(attempt, waited, delay):
                    self._log(logging.WARNING, "%s %s failed (%s); retry %d in %.2fs",
                              method, _where(url, self._client), type(exc).__name__, attempt, delay)
                    self.sleep(delay)
                    waited += delay
                    continue
                raise error from None

            status = response.status_code
            if logger.isEnabledFor(logging.INFO):
                self._log(logging.INFO, "%s %s -> %d in %.0f ms (attempt %d)", method, _where(url, self._client),
                          status, (time.monotonic() - started) * 1000, attempt)
            if self.pace is not None:
                pause = self.pace(response)
                if pause:
                    self._not_before = max(self._not_before, time.monotonic() + pause)
            if 200 <= status < 300:
                return response

            if status == 401 and not refreshed and self.on_unauthorized is not None:
                refreshed = True
                if self.on_unauthorized():
                    continue

            retryable = status in RETRYABLE_STATUSES
            # A 429 means the request was refused, not performed, so it is safe to repeat even
            # for a non-idempotent write; so is a provider's own limit error with a 4xx status.
            refused = status == 429
            if self.is_retryable is not None:
                verdict = self.is_retryable(response)
                retryable = retryable if verdict is None else verdict
                refused = refused or (verdict is True and status < 500)
            detail = self.redactor.redact(self.error_detail(response))
            suggested = retry_after_seconds(response)
            if suggested is None and retryable and self.rate_limit_delay is not None:
                suggested = self.rate_limit_delay(response)
            error = ConnectorError(
                self._say(f"{method} {_where(url, self._client)} failed: HTTP {status}: {detail}"),
                retryable=retryable,
                status=status,
                retry_after=suggested,
            )
            # A 5xx is ambiguous: the server may have acted before failing.
            if not retryable or not (safe_to_repeat or refused):
                raise error
            delay = suggested if suggested is not None else self.retry.backoff(attempt)
            if not self._may_wait(attempt, waited, delay):
                raise error
            self._log(logging.WARNING, "%s %s -> %d; retry %d in %.2fs",
                      method, _where(url, self._client), status, attempt, delay)
            self.sleep(delay)
            waited += delay

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send and read the body, refusing bodies over ``max_response_bytes`` (after decoding),
        so a URL that serves a huge or endless response cannot exhaust the worker's memory."""
        request = self._client.build_request(method, url, **kwargs)
        streamed = self._client.send(request, stream=True)
        try:
            declared = streamed.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_response_bytes:
                raise ConnectorError(self._say(f"{method} {_where(url, self._client)}: the response "
                                               f"({declared} bytes) is larger than {self.max_response_bytes}"),
                                     retryable=False, status=streamed.status_code)
            chunks, size = [], 0
            for chunk in streamed.iter_bytes():
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise ConnectorError(self._say(f"{method} {_where(url, self._client)}: the response is "
                                                   f"larger than {self.max_response_bytes} bytes"),
                                         retryable=False, status=streamed.status_code)
                chunks.append(chunk)
        finally:
            streamed.close()
        # The body is already decoded, so the rebuilt response must not claim an encoding.
        headers = [(k, v) for k, v in streamed.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(streamed.status_code, headers=headers, content=b"".join(chunks), request=request,
                              extensions=streamed.extensions)

    def _wait_for_pace(self) -> None:
        pause = self._not_before - time.monotonic()
        if pause > 0:
            self._log(logging.INFO, "pausing %.2fs: the provider's rate-limit window is nearly spent", pause)
            self.sleep(pause)

    def _may_wait(self, attempt: int, waited: float, delay: float) -> bool:
        return attempt < self.retry.max_attempts and waited + delay <= self.retry.max_total_wait

    def _say(self, message: str) -> str:
        return self.redactor.redact(message)

    def _log(self, level: int, message: str, *args: Any) -> None:
        if logger.isEnabledFor(level):
            logger.log(level, "[%s] %s", self.name, self._say(message % args))


def _where(url: str, client: httpx.Client) -> str:
    """Scheme, host and path only: query strings are where careless APIs put keys."""
    full = client.base_url.join(url) if client.base_url else httpx.URL(url)
    return f"{full.scheme}://{full.netloc.decode()}{full.path}"


def _json(response: httpx.Response, redactor: Redactor) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ConnectorError(
            redactor.redact(f"expected JSON from {response.request.url.path}, got "
                            f"{response.headers.get('content-type', 'no content type')}"),
            retryable=False, status=response.status_code,
        ) from None
