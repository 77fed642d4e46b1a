"""Celery tasks: thin adapters around one service each."""

from __future__ import annotations

from celery import shared_task

from .dispatch import enqueue, worker_name


@shared_task(name="runs.advance", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def advance_run(run_id: str) -> str:
    from .engine import run_advance

    outcome = run_advance(run_id=run_id, worker=worker_name())
    if outcome.again:
        # Outside a transaction this sends at once; a broker that cannot take it is logged
        # and left to the sweeper, like every other enqueue.
        enqueue(run_id, countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="runs.sweep", ignore_result=True)
def sweep_runs() -> int:
    from .services import runs_sweep

    return runs_sweep()
