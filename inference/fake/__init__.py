"""A fake vLLM server for tests, demos and load tests, faithful to vLLM's OpenAI wire format.

    with FakeVLLMServer() as srv:
        srv.script([{"reasoning": "...", "tool_calls": [{"name": "get_deal", "arguments": {"id": 1}}]},
                    {"content": "done"}])
        client = ChatClient(srv.url, "kimi-k2-thinking")
        ...
        assert srv.requests[1]["messages"][-2]["reasoning_content"]

Scripted replies (see `Reply`) are served in order; with none queued, `default_reply` answers.
From another process use `FakeVLLMRemote(url)`, or the same `/_fake/...` endpoints over HTTP.
"""
from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import httpx

from inference.fake.script import Reply, ScriptedToolCall, default_reply
from inference.fake.server import FakeConfig, FakeState, _Server
from inference.fake.wire import render_prompt

__all__ = ["FakeVLLMServer", "FakeVLLMRemote", "FakeConfig", "Reply", "ScriptedToolCall", "default_reply",
           "render_prompt", "load_scenario"]

ReplyLike = Reply | dict[str, Any]


class FakeVLLMServer:
    """Runs the fake server in a background thread of this process, on `port` (0 picks a free one).

    Keyword options are `FakeConfig` fields: `model`, `max_model_len`, and the latency model,
    all off by default: `ttft_s`, `tpot_s` (per output token), `prefill_s_per_token` (per
    uncached prompt token), `max_num_seqs` (more requests wait), `kv_capacity_tokens` (prefix
    cache size); `strict_model=True` answers unknown model names with vLLM's 404."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        self.host = host
        self.port = port
        self.state = FakeState(FakeConfig(**config))
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL for an OpenAI client, ending in `/v1`."""
        return f"{self.root}/v1"

    @property
    def root(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def config(self) -> FakeConfig:
        return self.state.config

    def start(self) -> FakeVLLMServer:
        self._server = _Server((self.host, self.port), self.state)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fake-vllm-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and break open connections, as a crashed replica would."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        for connection in list(self._server.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server = None

    def restart(self) -> None:
        """Come back on the same port (state and script are kept)."""
        self.stop()
        self.start()

    def __enter__(self) -> FakeVLLMServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # scripting

    def script(self, replies: list[ReplyLike]) -> None:
        """Replace the queue of scripted replies."""
        parsed = [_reply(r) for r in replies]
        with self.state.lock:
            self.state.queue.clear()
            self.state.queue.extend(parsed)

    def push(self, reply: ReplyLike) -> None:
        with self.state.lock:
            self.state.queue.append(_reply(reply))

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every chat request body received, in order."""
        with self.state.lock:
            return list(self.state.requests)

    @property
    def request_headers(self) -> list[dict[str, str]]:
        """Headers of each chat request (names lower-cased), parallel to `requests`."""
        with self.state.lock:
            return list(self.state.headers)

    @property
    def raw_requests(self) -> list[bytes]:
        """The exact bytes of each chat request body, parallel to `requests`."""
        with self.state.lock:
            return list(self.state.raw)

    def reset(self) -> None:
        self.state.reset()

    def set_health(self, healthy: bool) -> None:
        self.state.healthy = healthy

    def set_metrics(self, **values: float | None) -> None:
        """Pin `running`, `waiting` or `kv_cache_usage` in `/metrics`; None returns to the model."""
        self.state.overrides = {k: float(v) for k, v in values.items() if v is not None}

    def stats(self) -> dict[str, Any]:
        return self.state.stats()


class FakeVLLMRemote:
    """Scripts a fake server running elsewhere (e.g. `python -m inference.fake`) over HTTP."""

    def __init__(self, url: str) -> None:
        self.root = url.rstrip("/").removesuffix("/v1")
        self._http = httpx.Client(base_url=self.root + "/_fake", timeout=10)

    def script(self, replies: list[ReplyLike]) -> None:
        self._post("script", {"replies": [_reply(r).model_dump(exclude_defaults=True) for r in replies]})

    def push(self, reply: ReplyLike) -> None:
        self._post("push", _reply(reply).model_dump(exclude_defaults=True))

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self._http.get("/requests").raise_for_status().json()

    def reset(self) -> None:
        self._post("reset", {})

    def set_health(self, healthy: bool) -> None:
        self._post("health", {"healthy": healthy})

    def set_metrics(self, **values: float | None) -> None:
        self._post("metrics", values)

    def configure(self, **values: Any) -> None:
        self._post("config", values)

    def stats(self) -> dict[str, Any]:
        return self._http.get("/stats").raise_for_status().json()

    def _post(self, action: str, body: Any) -> None:
        self._http.post("/" + action, json=body).raise_for_status()


def _reply(value: ReplyLike) -> Reply:
    return value if isinstance(value, Reply) else Reply.model_validate(value)


def load_scenario(path: str | Path) -> tuple[list[Reply], dict[str, Any]]:
    """A scenario file (JSON or YAML): a list of replies, or `{"replies": [...], "config": {...}}`."""
    import yaml

    data = yaml.safe_load(Path(path).read_text())
    if isinstance(data, list):
        data = {"replies": data}
    return [_reply(r) for r in data.get("replies") or []], dict(data.get("config") or {})
