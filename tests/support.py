"""Helpers the Django test packages share (plain functions; the shared fixtures are in
tests/conftest.py)."""

from __future__ import annotations

import time

import pytest


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.1, what: str = "condition"):
    """Poll until ``predicate()`` is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def workflow_from_template(actor, template: str, *, name: str | None = None, seed_demo: bool = True):
    import workflows.templates
    from apps.automations.services import workflow_create
    from apps.demo.store import demo_seed

    if seed_demo:
        demo_seed(organization_id=actor.organization.pk)
    return workflow_create(actor=actor, name=name or template, spec=workflows.templates.load(template),
                           template=template)


def advance_until_paused(run, *, worker: str = "test-worker", max_slices: int = 200):
    """Advance a run slice by slice in this process until it stops asking for more."""
    from apps.runs.engine import run_advance

    for _ in range(max_slices):
        outcome = run_advance(run_id=str(run.pk), worker=worker)
        if not outcome.again:
            break
    run.refresh_from_db()
    return run
