"""A tiny threaded HTTP server on loopback that fakes a provider's API for tests and benches.

Each provider's fake (``connectors/<provider>/fake.py``) subclasses :class:`FakeServer` and
registers route handlers; the server records every request so tests can assert on what went
over the wire (headers, idempotency keys, that no secret travelled in a URL).
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def raw_url(self) -> str:
        return self.path + ("?" + "&".join(f"{k}={v}" for k, vs in self.query.items() for v in vs) if self.query else "")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


Handler = Callable[[Recorded, re.Match[str]], Reply]


class FakeServer:
    """Start with ``with FakeServer() as server:``; ``server.url`` is ``http://127.0.0.1:<port>``."""

    record_requests = True

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.requests: list[Recorded] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        # Queued one-off replies let a test inject a 429, 500 or 401 before normal service.
        self._queued: list[tuple[str | None, Reply]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routing -------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"\Z"), handler))

    def fail_next(self, reply: Reply, *, path_contains: str | None = None, times: int = 1) -> None:
        with self._lock:
            self._queued.extend([(path_contains, reply)] * times)

    def requests_to(self, fragment: str, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if fragment in r.path and (method is None or r.method == method)]

    def dispatch(self, rec: Recorded) -> Reply:
        with self._lock:
            if self.record_requests:
                self.requests.append(rec)
            for i, (fragment, reply) in enumerate(self._queued):
                if fragment is None or fragment in rec.path:
                    del self._queued[i]
                    return reply
        for method, pattern, handler in self._routes:
            match = pattern.match(rec.path)
            if match and method == rec.method:
                return handler(rec, match)
        return self.not_found(rec)

    def not_found(self, rec: Recorded) -> Reply:
        return Reply(404, {"message": f"no route for {rec.method} {rec.path}"})

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def start(self) -> FakeServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                rec = Recorded(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                reply = server.dispatch(rec)
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json;charset=utf-8", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        if self.tls is not None:
            self._httpd.socket = self.tls.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.daemon_threads = True
        # A short poll interval keeps stop() quick; tests start and stop hundreds of these.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
