"""The fake vLLM server: a real HTTP/1.1 server (stdlib, one thread per connection).

Control endpoints under `/_fake/` let a test in another process script it (see `FakeVLLMRemote`).
"""
from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import TypeAdapter, ValidationError

from inference.fake import wire
from inference.fake.script import Reply, default_reply

_replies = TypeAdapter(list[Reply])
BLOCK_TOKENS = 16  # vLLM's default KV block size: prefix-cache hits are whole blocks


@dataclass
class FakeConfig:
    model: str = "kimi-k2-thinking"
    root: str = "moonshotai/Kimi-K2-Thinking"
    max_model_len: int = 262144
    ttft_s: float = 0.0
    tpot_s: float = 0.0
    """Seconds per generated token (a chunk of `chunk_chars` characters is chunk_chars/4 tokens)."""
    prefill_s_per_token: float = 0.0
    """Added to the time to first token per prompt token not found in the prefix cache, so a
    cache miss costs what it costs on a GPU (roughly 1e-4 s/token for K2 on 8xH200)."""
    max_num_seqs: int | None = None
    """Sequences decoded at once; more requests wait in the queue (`vllm:num_requests_waiting`)."""
    kv_capacity_tokens: int = 4 * 262144
    strict_model: bool = False


class FakeState:
    def __init__(self, config: FakeConfig) -> None:
        self.config = config
        self.lock = threading.Condition()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.queue: deque[Reply] = deque()
            self.requests: list[dict[str, Any]] = []
            self.headers: list[dict[str, str]] = []
            self.raw: list[bytes] = []
            # Prefix-cache model: recent prompts per conversation (keyed by its tools and first
            # two messages), plus the latest prompt overall for prefixes shared across runs.
            self.conversations: OrderedDict[int, deque[str]] = OrderedDict()
            self.conversation_tokens: dict[int, int] = {}
            self.cache_tokens = 0
            self.last_prompt = ""
            self.healthy = True
            self.overrides: dict[str, float] = {}
            self.running = 0
            self.waiting = 0
            self.running_tokens = 0
            self.counters = {"vllm:prompt_tokens_total": 0.0, "vllm:generation_tokens_total": 0.0,
                             "vllm:request_success_total": 0.0, "vllm:prefix_cache_queries_total": 0.0,
                             "vllm:prefix_cache_hits_total": 0.0}
            self.busy_s = 0.0
            self.seq_s = 0.0
            self.max_waiting = 0
            self.served = 0
            self.started_at = self.last_change = time.monotonic()
            self.lock.notify_all()

    def next_reply(self, body: dict[str, Any], headers: dict[str, str], raw: bytes) -> Reply:
        with self.lock:
            self.requests.append(body)
            self.headers.append(headers)
            self.raw.append(raw)
            if self.queue:
                return self.queue.popleft()
        return default_reply(body)

    def cached_tokens(self, body: dict[str, Any], prompt: str, prompt_tokens: int) -> int:
        """Longest common prefix with an earlier prompt, in whole KV blocks, never the whole prompt.

        Compared with the last few prompts of the same conversation and the latest prompt of
        any, so the cost per request stays flat however many runs share the server."""
        key = hash(wire.render_prompt({"tools": body.get("tools"), "messages": (body.get("messages") or [])[:2]}))
        with self.lock:
            history = self.conversations.pop(key, None) or deque(maxlen=4)
            best = max((_common_prefix(prompt, old) for old in (*history, self.last_prompt)), default=0)
            history.append(prompt)
            self.conversations[key] = history
            self._account_cache(key, max(len(p) for p in history) // wire.CHARS_PER_TOKEN)
            self.last_prompt = prompt
        blocks = min(best // wire.CHARS_PER_TOKEN, prompt_tokens - 1) // BLOCK_TOKENS
        cached = max(0, blocks * BLOCK_TOKENS)
        self.counters["vllm:prefix_cache_queries_total"] += prompt_tokens
        self.counters["vllm:prefix_cache_hits_total"] += cached
        return cached

    def _account_cache(self, key: int, tokens: int) -> None:
        """Evict the least recently used conversations once the cache holds more than
        `kv_capacity_tokens`: a replica serving every run keeps fewer of them warm."""
        self.cache_tokens += tokens - self.conversation_tokens.get(key, 0)
        self.conversation_tokens[key] = tokens
        while len(self.conversations) > 1 and (self.cache_tokens > self.config.kv_capacity_tokens
                                               or len(self.conversations) > 4096):
            old, _ = self.conversations.popitem(last=False)
            self.cache_tokens -= self.conversation_tokens.pop(old)

    def _account(self) -> None:
        now = time.monotonic()
        if self.running:
            self.busy_s += now - self.last_change
            self.seq_s += (now - self.last_change) * self.running
        self.last_change = now

    def admit(self, tokens: int) -> None:
        with self.lock:
            if self.config.max_num_seqs is not None and self.running >= self.config.max_num_seqs:
                self.waiting += 1
                self.max_waiting = max(self.max_waiting, self.waiting)
                while self.running >= self.config.max_num_seqs:
                    self.lock.wait()
                self.waiting -= 1
            self._account()
            self.running += 1
            self.running_tokens += tokens

    def release(self, tokens: int) -> None:
        with self.lock:
            self._account()
            self.running -= 1
            self.running_tokens -= tokens
            self.served += 1
            self.lock.notify()

    def gauges(self) -> dict[str, float]:
        with self.lock:
            kv = min(1.0, self.running_tokens / max(1, self.config.kv_capacity_tokens))
            values = {"vllm:num_requests_running": self.running, "vllm:num_requests_waiting": self.waiting,
                      "vllm:kv_cache_usage_perc": kv}
        for key, name in (("running", "vllm:num_requests_running"), ("waiting", "vllm:num_requests_waiting"),
                          ("kv_cache_usage", "vllm:kv_cache_usage_perc")):
            if key in self.overrides:
                values[name] = self.overrides[key]
        return values

    def stats(self) -> dict[str, Any]:
        with self.lock:
            self._account()
            elapsed = max(1e-9, time.monotonic() - self.started_at)
            return {"served": self.served, "running": self.running, "waiting": self.waiting,
                    "max_waiting": self.max_waiting, "busy_s": self.busy_s, "seq_s": self.seq_s,
                    "elapsed_s": elapsed, "requests": len(self.requests),
                    "prompt_tokens": self.counters["vllm:prefix_cache_queries_total"],
                    "cached_tokens": self.counters["vllm:prefix_cache_hits_total"]}


def _common_prefix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:  # binary search with C-speed slice comparisons
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def state(self) -> FakeState:
        return self.server.state

    # routing

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        config = self.state.config
        if path == "/health":
            self._send(200 if self.state.healthy else 503, b"")
        elif path == "/v1/models":
            self._json(200, {"object": "list", "data": [{
                "id": config.model, "object": "model", "created": int(time.time()), "owned_by": "vllm",
                "root": config.root, "parent": None, "max_model_len": config.max_model_len, "permission": []}]})
        elif path == "/metrics":
            text = wire.metrics_text(config.model, self.state.gauges(), dict(self.state.counters))
            self._send(200, text.encode(), "text/plain; version=0.0.4; charset=utf-8")
        elif path == "/version":
            self._json(200, {"version": "0.11.0-fake"})
        elif path == "/_fake/requests":
            with self.state.lock:
                self._json(200, list(self.state.requests))
        elif path == "/_fake/stats":
            self._json(200, self.state.stats())
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        path = self.path.split("?")[0]
        try:
            self._raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(self._raw or b"null")
        except ValueError as exc:
            self._json(400, wire.error_body(400, f"invalid JSON body: {exc}"))
            return
        if path == "/v1/chat/completions":
            self._chat(body)
        elif path.startswith("/_fake/"):
            self._control(path[len("/_fake/"):], body)
        else:
            self._json(404, {"detail": "Not Found"})

    def _control(self, action: str, body: Any) -> None:
        state = self.state
        try:
            if action == "script":
                replies = _replies.validate_python(body.get("replies", []) if isinstance(body, dict) else body)
                with state.lock:
                    state.queue = deque(replies)
            elif action == "push":
                reply = Reply.model_validate(body)
                with state.lock:
                    state.queue.append(reply)
            elif action == "reset":
                state.reset()
            elif action == "health":
                state.healthy = bool(body.get("healthy", True))
            elif action == "metrics":
                state.overrides = {k: float(v) for k, v in (body or {}).items() if v is not None}
            elif action == "config":
                for key, value in (body or {}).items():
                    if not hasattr(state.config, key):
                        raise ValueError(f"unknown config field {key!r}")
                    setattr(state.config, key, value)
            else:
                self._json(404, {"detail": f"unknown control action {action!r}"})
                return
        except (ValidationError, ValueError, AttributeError) as exc:
            self._json(400, {"detail": str(exc)})
            return
        self._json(200, {"ok": True, "queued": len(state.queue)})

    # the model

    def _chat(self, body: Any) -> None:
        state, config = self.state, self.state.config
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._json(400, wire.error_body(400, "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'}]"))
            return
        reply = state.next_reply(body, {k.lower(): v for k, v in self.headers.items()}, self._raw)
        if reply.status >= 400 and not reply.error_in_stream:
            self._error(reply)
            return
        if config.strict_model and body.get("model") not in (config.model, config.root):
            self._json(404, wire.error_body(404, f"The model `{body.get('model')}` does not exist.", "NotFoundError"))
            return
        prompt = wire.render_prompt(body)
        prompt_tokens = wire.count_tokens(prompt)
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        if prompt_tokens + int(max_tokens or 0) > config.max_model_len:
            message = wire.context_error_message(config.max_model_len, prompt_tokens, int(max_tokens or 0))
            self._json(400, wire.error_body(400, message))
            return
        cached = state.cached_tokens(body, prompt, prompt_tokens)
        turn = wire.resolve(reply, body, prompt_tokens, cached)
        request_id = f"chatcmpl-{uuid.uuid4().hex}"
        ttft = reply.ttft_s if reply.ttft_s is not None else config.ttft_s
        ttft += config.prefill_s_per_token * (prompt_tokens - cached)
        state.admit(prompt_tokens)
        try:
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                self._stream(turn, reply, request_id, include_usage, ttft)
            else:
                time.sleep(ttft)
                self._json(200, wire.whole_response(turn, request_id, config.model))
        except OSError:  # the client went away (timeout, cut test); nothing to answer
            self.close_connection = True
        finally:
            state.release(prompt_tokens)
            with state.lock:
                state.counters["vllm:prompt_tokens_total"] += turn.usage["prompt_tokens"]
                state.counters["vllm:generation_tokens_total"] += turn.usage["completion_tokens"]
                state.counters["vllm:request_success_total"] += 1

    def _stream(self, turn: wire.Turn, reply: Reply, request_id: str, include_usage: bool, ttft: float) -> None:
        """Headers go out at once, as uvicorn sends them; the first chunk waits for `ttft`."""
        chunks = wire.stream_chunks(turn, reply, request_id, self.state.config.model, include_usage)
        events = [wire.encode_event(c) for c in chunks]
        if reply.error_in_stream:
            error = wire.error_body(reply.status, reply.error or "engine error", reply.error_type)
            events = events[:2] + [wire.encode_event(error)]
        if reply.inject_raw is not None:
            events.insert(1, reply.inject_raw.encode())
        if not reply.omit_done:
            events.append(wire.encode_event("[DONE]"))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        tpot = reply.tpot_s if reply.tpot_s is not None else self.state.config.tpot_s
        try:
            time.sleep(ttft)
            if reply.write_splits:
                self._write_split(b"".join(events), reply.write_splits)
            else:
                for n, event in enumerate(events):
                    if reply.cut_after is not None and n >= reply.cut_after:
                        self.close_connection = True
                        return
                    if reply.stall_after is not None and n == reply.stall_after:
                        time.sleep(reply.stall_s)
                    if tpot and 0 < n < len(chunks) - 1:
                        time.sleep(tpot * max(1, reply.chunk_chars // wire.CHARS_PER_TOKEN))
                    self._chunk(event)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def _write_split(self, data: bytes, sizes: list[int]) -> None:
        pos, turn = 0, 0
        while pos < len(data):
            size = max(1, sizes[turn % len(sizes)])
            self._chunk(data[pos:pos + size])
            pos, turn = pos + size, turn + 1

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _error(self, reply: Reply) -> None:
        body = wire.error_body(reply.status, reply.error or f"scripted error {reply.status}", reply.error_type, reply.error_shape)
        headers = {"Retry-After": f"{reply.retry_after:g}"} if reply.retry_after is not None else {}
        self._json(reply.status, body, headers)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers)

    def _send(self, status: int, payload: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], state: FakeState) -> None:
        self.state = state
        self.connections: set[socket.socket] = set()
        super().__init__(address, _Handler)
