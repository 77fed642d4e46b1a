"""Errors that say whether a retry can help (`retryable`), one class per thing a caller can act on."""
from __future__ import annotations

import json
from typing import Any


class InferenceError(Exception):
    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None, backend: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.backend = backend


class BadRequestError(InferenceError):
    """The server refused the request as written (HTTP 400/404/422); sending it again cannot help."""


class ContextTooLongError(BadRequestError):
    """Prompt plus `max_tokens` exceeds the model's window: compact the history and try again."""


class RateLimitedError(InferenceError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(InferenceError):
    """HTTP 5xx, or a stream the server ended in a way the protocol does not allow."""

    retryable = True


class TransportError(InferenceError):
    """Could not connect, the connection dropped, or the server went quiet (timeout)."""

    retryable = True


class InferenceTimeoutError(TransportError):
    """No chunk within the idle timeout, or the total deadline passed."""


class StreamInterruptedError(TransportError):
    """The stream ended before a finish_reason or `[DONE]`."""


class EmptyToolCallsError(InferenceError):
    """`finish_reason == "tool_calls"` but no call came: a known vLLM/K2 quirk, a fresh sample helps."""

    retryable = True


class CircuitOpenError(InferenceError):
    """Every backend that could serve the call is failing; `retry_after` says when one may be tried."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


def error_from_response(status: int, body: bytes, headers: dict[str, str], backend: str | None) -> InferenceError:
    """Turn an HTTP error response into a typed error.

    vLLM answers with `{"error": {"message", "type", "code"}}` (OpenAI's shape) in recent versions
    and with the flat `{"object": "error", "message", "type", "code"}` in older ones; both are read.
    """
    message = _error_message(body) or f"HTTP {status}"
    kwargs: dict[str, Any] = {"status": status, "backend": backend}
    if status == 429:
        return RateLimitedError(message, retry_after=parse_retry_after(headers.get("retry-after")), **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    if _is_context_error(message):
        return ContextTooLongError(message, **kwargs)
    return BadRequestError(message, **kwargs)


def _error_message(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body.decode("utf-8", "replace").strip()
        return text[:500] or None
    if not isinstance(data, dict):
        return None
    inner = data.get("error")
    if isinstance(inner, dict):
        return str(inner.get("message") or inner)
    if isinstance(inner, str):
        return inner
    if "message" in data:
        return str(data["message"])
    if "detail" in data:  # FastAPI validation errors
        return json.dumps(data["detail"])[:500]
    return None


def _is_context_error(message: str) -> bool:
    """vLLM says "maximum context length"; llama.cpp's server "exceeds the available context size"."""
    lowered = message.lower()
    return "maximum context length" in lowered or ("context" in lowered and "exceed" in lowered)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header; HTTP-dates are rare from vLLM proxies and read as None."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds)
