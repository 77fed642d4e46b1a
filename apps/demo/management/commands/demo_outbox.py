from __future__ import annotations

import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand


class _SaveToFolder:
    """Keeps every message as an .eml file, so the demo's emails can be opened and read."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = self.folder / f"{self.count:04d}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        print(f"outbox: message for {', '.join(envelope.rcpt_tos)} saved to {path}", flush=True)
        return "250 Message accepted for delivery"


class Command(BaseCommand):
    help = "A local SMTP server that saves mail to var/outbox/ (the embedded demo's mail sink)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--folder", default=str(settings.VAR_DIR / "outbox"))

    def handle(self, *args, **opts):
        folder = Path(opts["folder"])
        folder.mkdir(parents=True, exist_ok=True)
        controller = Controller(_SaveToFolder(folder), hostname="127.0.0.1", port=opts["port"])
        controller.start()
        self.stdout.write(f"outbox listening on 127.0.0.1:{opts['port']}, saving to {folder}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        controller.stop()
