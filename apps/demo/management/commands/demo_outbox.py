from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand

from inference._process import wait_for_stop

SLACK_PATH = "/services/demo"  # the demo Slack connection's webhook path (demo_setup)


class _SaveToFolder:
    """Keeps every message as an .eml file, so the demo's emails can be opened and read."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = _last_number(folder, "*.eml")  # a restarted outbox adds to the folder

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = self.folder / f"{self.count:04d}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        print(f"outbox: message for {', '.join(envelope.rcpt_tos)} saved to {path}", flush=True)
        return "250 Message accepted for delivery"


def _last_number(folder: Path, pattern: str) -> int:
    numbers = [int(digits) for p in folder.glob(pattern) if (digits := p.stem.rpartition("-")[2]).isdigit()]
    return max(numbers, default=0)


class _SlackWebhook(BaseHTTPRequestHandler):
    """A Slack incoming webhook that keeps each message as a .json file. It answers as Slack
    does: ``ok``, or ``no_text`` (400) for an empty payload, which the connection check sends."""

    folder: Path
    lock = threading.Lock()
    count = 0

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != SLACK_PATH:
            return self._reply(404, b"no_service")
        try:
            payload = json.loads(body)
        except ValueError:
            return self._reply(400, b"invalid_payload")
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return self._reply(400, b"no_text")
        with self.lock:
            type(self).count += 1
            path = self.folder / f"slack-{self.count:04d}.json"
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"outbox: Slack message saved to {path}", flush=True)
        self._reply(200, b"ok")

    def _reply(self, status: int, text: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


class Command(BaseCommand):
    help = ("A local SMTP server and Slack webhook that save mail and messages to var/outbox/ "
            "(the embedded demo's sinks).")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--slack-port", type=int, default=2526)
        parser.add_argument("--folder", default=str(settings.VAR_DIR / "outbox"))

    def handle(self, *args, **opts):
        folder = Path(opts["folder"])
        folder.mkdir(parents=True, exist_ok=True)
        controller = Controller(_SaveToFolder(folder), hostname="127.0.0.1", port=opts["port"])
        controller.start()
        handler = type("SlackWebhook", (_SlackWebhook,), {"folder": folder,
                                                           "count": _last_number(folder, "slack-*.json")})
        slack = ThreadingHTTPServer(("127.0.0.1", opts["slack_port"]), handler)
        threading.Thread(target=slack.serve_forever, daemon=True).start()
        self.stdout.write(f"outbox listening on 127.0.0.1:{opts['port']} (SMTP) and "
                          f"http://127.0.0.1:{opts['slack_port']}{SLACK_PATH} (Slack), saving to {folder}")
        wait_for_stop()
        slack.shutdown()
        controller.stop()
