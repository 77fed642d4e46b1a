"""Getting a run advanced: Celery workers in production, threads in the embedded mode."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def enqueue(run_id, *, countdown: float = 0.0) -> None:
    """Ask for a slice of the run once the current transaction commits."""
    run_id = str(run_id)
    transaction.on_commit(lambda: _send(run_id, countdown))


def _send(run_id: str, countdown: float) -> None:
    if settings.RUN_EXECUTION == "celery":
        from .tasks import advance_run

        try:
            advance_run.apply_async(args=[run_id], countdown=countdown or None)
        except Exception:  # noqa: BLE001 - the row is durable; the sweeper re-sends lost nudges
            log.warning("could not enqueue run %s; the sweeper will pick it up", run_id, exc_info=True)
    else:
        try:
            _pool().submit(_drive, run_id, countdown)
        except RuntimeError:  # the process is exiting; the next process's sweeper takes it
            log.info("not starting run %s: this process is shutting down", run_id)


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_sweeper_stop = threading.Event()


def _pool() -> ThreadPoolExecutor:
    global _executor, _sweeper_stop
    with _executor_lock:
        if _executor is None:
            _sweeper_stop = threading.Event()
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="farside-run")
            # No beat in the embedded mode: this process sweeps for runs a previous process
            # left behind (stopped mid-run, or waiting for a nudge that died with it).
            threading.Thread(target=_sweep_forever, args=(_sweeper_stop,), name="farside-sweeper",
                             daemon=True).start()
        return _executor


def stop_inprocess() -> None:
    """Stop the embedded mode's sweeper and wait for the runs in progress (a process about to
    drop its database, such as a test session, calls this first)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
        _sweeper_stop.set()
    if executor is not None:
        executor.shutdown(wait=True)


def _sweep_forever(stop: threading.Event) -> None:
    from .services import runs_sweep

    while not stop.wait(settings.RUN_SWEEP_SECONDS):
        try:
            runs_sweep()
        except Exception:  # noqa: BLE001 - try again next interval
            log.warning("in-process sweep failed", exc_info=True)
        finally:
            connections.close_all()


def _drive(run_id: str, countdown: float) -> None:
    """In-process execution: advance slice after slice until the run stops asking."""
    from .engine import run_advance

    try:
        if countdown:
            time.sleep(countdown)
        while True:
            outcome = run_advance(run_id=run_id, worker=worker_name())
            if not outcome.again:
                break
            if outcome.retry_in:
                time.sleep(outcome.retry_in)
    except Exception:  # noqa: BLE001 - a thread has nobody to raise to
        log.exception("in-process run %s crashed", run_id)
    finally:
        connections.close_all()

