"""Shared by the `python -m inference.fake` and `python -m inference.local` commands."""
from __future__ import annotations

import signal
import threading


def wait_for_stop() -> None:
    """Block until SIGTERM or Ctrl-C, so the caller can shut its server down cleanly."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
