"""`ChatClient`: OpenAI chat completions over HTTP, streamed, repaired, retried, routed.

    client = ChatClient("http://vllm:8000/v1", "moonshotai/Kimi-K2-Thinking")
    completion = client.chat(messages, tools, session_key=run_id, on_delta=print_delta)
    messages.append(completion.to_message())

Over several replicas pass a `Router` instead of a URL (or use `ChatClient.from_router`); the
`session_key` (the run id) keeps a run on one replica so its prefix cache stays warm.
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import tenacity

from inference.errors import (
    EmptyToolCallsError,
    InferenceError,
    InferenceTimeoutError,
    RateLimitedError,
    CircuitOpenError,
    ServerError,
    StreamInterruptedError,
    TransportError,
    error_from_response,
)
from inference.repair import repair
from inference.router import Replica, Router, server_root
from inference.stream import DeltaCallback, SSEDecoder, StreamAccumulator, completion_from_response
from inference.types import Completion

# Moonshot's recommended sampling for K2 Thinking; a thinking turn easily needs >10k tokens.
K2_THINKING_DEFAULTS: dict[str, Any] = {"temperature": 1.0, "max_tokens": 16384}


class DeadlineExceededError(InferenceTimeoutError):
    """The call's total deadline passed; another attempt within it is impossible."""

    retryable = False


class ChatClient:
    """A chat-completions client for one model, over one URL or a `Router` of replicas.

    Retries connection errors, timeouts, 429 (waiting `Retry-After`), 5xx and empty tool-call
    turns with exponential backoff, never a 4xx; `idle_timeout` bounds the silence between two
    streamed chunks and `deadline` the whole call, retries included.
    """

    def __init__(
        self,
        base_url: str | Router,
        model: str,
        api_key: str | None = None,
        *,
        defaults: dict[str, Any] | None = None,
        max_attempts: int = 4,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        max_retry_after: float = 60.0,
        connect_timeout: float = 5.0,
        idle_timeout: float = 120.0,
        deadline: float = 900.0,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        http: httpx.Client | None = None,
    ) -> None:
        self.router = base_url if isinstance(base_url, Router) else Router([Replica(url=base_url)], probe=False)
        self.model = model
        self.defaults = {**K2_THINKING_DEFAULTS, **(defaults or {})}
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self._sleep = sleep
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._http = http or httpx.Client(limits=httpx.Limits(max_connections=256, max_keepalive_connections=64))

    @classmethod
    def from_router(cls, router: Router, model: str, api_key: str | None = None, **options: Any) -> ChatClient:
        return cls(router, model, api_key, **options)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # the call

    def build_body(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None, params: dict[str, Any]) -> dict[str, Any]:
        """The request body: model, tools, K2 defaults overridden by `params`, messages last.

        Key order is fixed and the growing message list comes last, so consecutive calls of a
        conversation serialize to bytes that share everything but the tail."""
        body: dict[str, Any] = {"model": self.model}
        if tools:
            body["tools"] = list(tools)
            body["tool_choice"] = "auto"
        body.update(self.defaults)
        body["stream"] = True
        body.update(params)
        if body["stream"]:
            body["stream_options"] = {"include_usage": True, **(params.get("stream_options") or {})}
        body.pop("messages", None)
        body["messages"] = list(messages)
        return body

    def chat(
        self,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]] | None = None,
        *,
        on_delta: DeltaCallback | None = None,
        session_key: str | None = None,
        deadline: float | None = None,
        **params: Any,
    ) -> Completion:
        """One assistant turn. `params` are sent as-is (e.g. `max_tokens`, `response_format`,
        `stream=False`). Raises a subclass of `InferenceError` once retrying cannot help."""
        body = self.build_body(messages, tools, params)
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        started = time.monotonic()
        deadline_at = started + (deadline if deadline is not None else self.deadline)
        delivered = [False]

        def tracking_delta(kind: str, text: str) -> None:
            delivered[0] = True
            if on_delta is not None:
                on_delta(kind, text)

        attempts = 0

        def attempt() -> Completion:
            nonlocal attempts
            attempts += 1
            if delivered[0] and on_delta is not None:
                on_delta("reset", "")
                delivered[0] = False
            completion = self._attempt(payload, bool(body["stream"]), messages, session_key,
                                       tracking_delta if on_delta is not None else None, deadline_at)
            completion.attempts = attempts
            return completion

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda e: isinstance(e, InferenceError) and e.retryable),
            stop=self._stop(deadline_at),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            completion = retrying(attempt)
        except EmptyToolCallsError as exc:
            # Out of fresh samples: hand back the turn; it has no calls, so callers treat it as final.
            completion = exc.completion  # type: ignore[attr-defined]
            completion.notes.append("finish_reason=tool_calls without calls, retries exhausted")
        completion.duration_s = time.monotonic() - started
        return completion

    def _stop(self, deadline_at: float) -> Callable[[tenacity.RetryCallState], bool]:
        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= self.max_attempts:
                return True
            return time.monotonic() + self._wait(state) >= deadline_at

        return stop

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if isinstance(error, (RateLimitedError, CircuitOpenError)) and retry_after is not None:
            return min(retry_after, self.max_retry_after)
        backoff = self.backoff_initial * 2 ** (state.attempt_number - 1)
        return min(self.backoff_max, backoff) + random.uniform(0, self.backoff_initial)

    def _attempt(
        self,
        payload: bytes,
        stream: bool,
        history: Sequence[dict[str, Any]],
        session_key: str | None,
        on_delta: DeltaCallback | None,
        deadline_at: float,
    ) -> Completion:
        replica = self.router.pick(session_key, self.model)
        with self.router.lease(replica):
            try:
                completion = self._send(replica, payload, stream, on_delta, deadline_at)
            except InferenceError as exc:
                exc.backend = replica.name
                self.router.report_failure(replica, exc)
                raise
            self.router.report_success(replica)
        completion.backend = replica.name
        repair(completion, history)
        if completion.finish_reason == "tool_calls" and not completion.tool_calls and not completion.truncated:
            error = EmptyToolCallsError("finish_reason=tool_calls but no tool calls", backend=replica.name)
            error.completion = completion  # type: ignore[attr-defined]
            raise error
        return completion

    def _send(self, replica: Replica, payload: bytes, stream: bool, on_delta: DeltaCallback | None, deadline_at: float) -> Completion:
        remaining = deadline_at - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceededError("deadline passed before the request was sent")
        read = min(self.idle_timeout, remaining)
        timeout = httpx.Timeout(connect=min(self.connect_timeout, remaining), read=read, write=read, pool=read)
        url = replica.url + "/chat/completions"
        sent_at = time.monotonic()
        try:
            with self._http.stream("POST", url, content=payload, headers=self._headers, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from_response(response.status_code, response.content, dict(response.headers), replica.name)
                if not stream:
                    response.read()
                    return completion_from_response(response.json())
                return self._read_stream(response, on_delta, deadline_at, sent_at)
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline_at:
                raise DeadlineExceededError(f"deadline passed: {exc!r}") from exc
            raise InferenceTimeoutError(f"{type(exc).__name__}: no data within {read:.1f}s from {replica.name}") from exc
        except httpx.RemoteProtocolError as exc:
            raise StreamInterruptedError(f"connection to {replica.name} broke: {exc}") from exc
        except httpx.TransportError as exc:
            raise TransportError(f"{type(exc).__name__} talking to {replica.name}: {exc}") from exc

    def _read_stream(self, response: httpx.Response, on_delta: DeltaCallback | None, deadline_at: float, sent_at: float) -> Completion:
        decoder = SSEDecoder()
        accumulator = StreamAccumulator(on_delta)
        accumulator.started = sent_at  # time to first token counts from the request, not the headers
        # Undecoded reads skip httpx's decoder chain; vLLM never compresses its event stream.
        chunks = response.iter_raw() if "content-encoding" not in response.headers else response.iter_bytes()
        for chunk in chunks:
            for data in decoder.feed(chunk):
                _feed(accumulator, data)
            if time.monotonic() > deadline_at:
                raise DeadlineExceededError("deadline passed while streaming")
        for data in decoder.close():
            _feed(accumulator, data)
        accumulator.flush()
        if not accumulator.done and accumulator.finish_reason is None:
            raise StreamInterruptedError(f"stream ended after {accumulator.chunks} chunks without a finish_reason")
        completion = accumulator.completion()
        if not accumulator.done:
            completion.notes.append("stream ended without [DONE]")
        return completion

    # model facts

    def models(self, session_key: str | None = None) -> list[dict[str, Any]]:
        replica = self.router.pick(session_key, self.model)
        response = self._http.get(replica.url + "/models", headers=self._headers, timeout=self.connect_timeout + 5)
        if response.status_code >= 400:
            raise error_from_response(response.status_code, response.content, dict(response.headers), replica.name)
        return list(response.json().get("data") or [])

    def context_window(self) -> int | None:
        """`max_model_len` of this client's model as the server reports it (vLLM does)."""
        for entry in self.models():
            if entry.get("id") == self.model or entry.get("root") == self.model:
                return entry.get("max_model_len")
        return None

    def health(self) -> bool:
        replica = self.router.pick(None, self.model)
        try:
            return self._http.get(server_root(replica.url) + "/health", timeout=self.connect_timeout).status_code == 200
        except httpx.HTTPError:
            return False


def _feed(accumulator: StreamAccumulator, data: str) -> None:
    try:
        accumulator.feed_event(data)
    except json.JSONDecodeError as exc:
        raise ServerError(f"malformed chunk in stream: {data[:200]!r}") from exc
