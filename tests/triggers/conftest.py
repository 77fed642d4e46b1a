"""Fixtures the triggers tests share: a workflow to trigger, and a loopback receiver for
notifications with the operator's allowlist that lets them reach it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors import netpolicy


@pytest.fixture
def trivial(acme):
    import workflows.templates
    from apps.automations.services import workflow_create

    return workflow_create(actor=acme, name="trivial", spec=workflows.templates.load("trivial"))


class Receiver:
    """A loopback HTTP server that records requests and answers with scripted statuses."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/farside-done"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def loopback_allowed():
    previous = netpolicy.set_default_policy(netpolicy.NetworkPolicy.allowing(["127.0.0.0/8"]))
    yield
    netpolicy.set_default_policy(previous)
