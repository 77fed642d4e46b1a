"""The local model behind the same OpenAI-compatible HTTP surface as vLLM (streaming included)."""
from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from inference import kimi
from inference.fake import wire
from inference.local.model import LocalModel, PromptTooLongError


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LocalServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        model = self.server.model
        if self.path == "/health":
            self._send(200, b"")
        elif self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": self.server.served_name, "object": "model",
                             "created": int(time.time()), "owned_by": "farside-local", "root": str(model.path),
                             "parent": None, "max_model_len": model.n_ctx, "permission": []}]})
        elif self.path == "/metrics":
            gauges = {"vllm:num_requests_running": self.server.running, "vllm:num_requests_waiting": self.server.waiting,
                      "vllm:kv_cache_usage_perc": 0.0}
            self._send(200, wire.metrics_text(self.server.served_name, gauges, {}).encode(), "text/plain; version=0.0.4")
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        if self.path != "/v1/chat/completions":
            self._json(404, {"detail": "Not Found"})
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                raise ValueError("body must be an object with a messages list")
        except ValueError as exc:
            self._json(400, wire.error_body(400, str(exc)))
            return
        server = self.server
        with server.counter_lock:
            server.waiting += 1
        with server.model.lock:
            with server.counter_lock:
                server.waiting -= 1
                server.running += 1
            try:
                self._complete(body)
            except PromptTooLongError as exc:
                self._json(400, wire.error_body(400, str(exc)))
            except OSError:
                self.close_connection = True
            finally:
                with server.counter_lock:
                    server.running -= 1

    def _complete(self, body: dict[str, Any]) -> None:
        generation = self.server.model.generate(body)
        request_id = f"chatcmpl-{uuid.uuid4().hex}"
        name = self.server.served_name
        created = int(time.time())
        stream = bool(body.get("stream"))

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return wire.encode_event({"id": request_id, "object": "chat.completion.chunk", "created": created, "model": name,
                                      "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]})

        if stream:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._chunk(chunk({"role": "assistant", "content": ""}))
        for piece in generation.pieces:
            if stream and generation.mode != "tool":
                self._chunk(chunk({"content": piece}))
        call = generation.tool_call
        tool_calls = []
        if call is not None:
            tool_calls = [{"id": kimi.kimi_id(call["name"], _calls_so_far(body)), "type": "function",
                           "function": {"name": call["name"], "arguments": call["arguments"]}}]
        finish = "tool_calls" if tool_calls else generation.finish_reason
        usage = {"prompt_tokens": generation.prompt_tokens, "completion_tokens": generation.completion_tokens,
                 "total_tokens": generation.prompt_tokens + generation.completion_tokens,
                 "prompt_tokens_details": {"cached_tokens": generation.cached_tokens}}
        content = "" if generation.mode == "tool" else "".join(generation.text)
        if not stream:
            message = {"role": "assistant", "content": content or None, "reasoning_content": None, "tool_calls": tool_calls}
            self._json(200, {"id": request_id, "object": "chat.completion", "created": created, "model": name,
                             "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                             "usage": usage})
            return
        for index, tool_call in enumerate(tool_calls):
            self._chunk(chunk({"tool_calls": [{"index": index, **tool_call}]}))
        self._chunk(chunk({}, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            self._chunk(wire.encode_event({"id": request_id, "object": "chat.completion.chunk", "created": created,
                                           "model": name, "choices": [], "usage": usage}))
        self._chunk(wire.encode_event("[DONE]"))
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _calls_so_far(body: dict[str, Any]) -> int:
    return sum(len(m.get("tool_calls") or ()) for m in body.get("messages") or () if m.get("role") == "assistant")


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], model: LocalModel, served_name: str = "smollm2-135m-instruct") -> None:
        self.model = model
        self.served_name = served_name
        self.counter_lock = threading.Lock()
        self.running = 0
        self.waiting = 0
        super().__init__(address, _Handler)
