"""What the run engine tells the rest of the project.

``run_finished`` is sent once per run, after the transaction that wrote its final status
commits (``sender=Run``, ``run=<Run>``, ``status=<str>``). Receivers must be cheap and must
not raise: the engine is on its hot path when they run. Anything slow belongs in a task
the receiver enqueues.
"""

from __future__ import annotations

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

run_finished = Signal()


def announce_finished(run, status: str) -> None:
    """Send ``run_finished``; a failing receiver is logged, never raised into the engine."""
    from .models import Run

    for receiver, response in run_finished.send_robust(sender=Run, run=run, status=status):
        if isinstance(response, Exception):
            log.warning("run %s: run_finished receiver %r failed: %s", run.pk, receiver, response)
