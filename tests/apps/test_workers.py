"""Runs advanced by real Celery worker processes through Redis."""

from __future__ import annotations

import pytest

from apps.automations.services import workflow_create
from apps.runs.models import Approval, Run, RunStatus
from apps.runs.services import approval_decide, run_create

from tests.support import wait_for, workflow_from_template

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.chaos]


def chain_spec(steps: int) -> dict:
    """A workflow of ``steps`` model calls in a row, each prompt naming its step."""
    return {
        "spec_version": 1,
        "name": "chain",
        "inputs": {"type": "object", "properties": {"tag": {"type": "string"}}, "required": ["tag"]},
        "nodes": [{"id": f"s{i}", "type": "llm", "config": {"prompt": f"Step {i} for {{{{ inputs.tag }}}}."}}
                  for i in range(steps)],
        "edges": [{"from": f"s{i}", "to": f"s{i + 1}"} for i in range(steps - 1)],
        "outputs": {"last": f"results.s{steps - 1}"},
    }


def finished(run_ids):
    return Run.objects.filter(pk__in=run_ids, status__in=["succeeded", "failed", "cancelled"]).count() == len(run_ids)


def test_workers_run_a_batch_of_runs_to_success(acme, celery, fake_model):
    celery.ensure_workers(2)
    workflow = workflow_create(actor=acme, name="chain", spec=chain_spec(3))
    run_ids = [run_create(actor=acme, workflow_id=workflow.pk, inputs={"tag": f"r{i}"}).pk for i in range(6)]

    wait_for(lambda: finished(run_ids), timeout=120, what="six runs to finish")

    assert set(Run.objects.filter(pk__in=run_ids).values_list("status", flat=True)) == {"succeeded"}
    assert len(fake_model.requests) == 6 * 3


def test_the_same_run_enqueued_twice_is_advanced_by_one_worker(acme, celery, fake_model):
    from apps.runs.dispatch import enqueue
    from django.db import transaction

    celery.ensure_workers(2)
    fake_model.config.ttft_s = 0.2
    try:
        workflow = workflow_create(actor=acme, name="chain", spec=chain_spec(3))
        run = run_create(actor=acme, workflow_id=workflow.pk, inputs={"tag": "twice"})
        with transaction.atomic():
            enqueue(run.pk)
            enqueue(run.pk)
        wait_for(lambda: finished([run.pk]), timeout=60, what="the run to finish")
    finally:
        fake_model.config.ttft_s = 0.0
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert len(fake_model.requests) == 3, "each model step ran exactly once"
    assert run.events.filter(kind="run.finished").count() == 1


def test_an_approval_holds_no_worker_survives_a_worker_restart_and_resumes(acme, celery, fake_model):
    celery.ensure_workers(1)
    hello = workflow_from_template(acme, "hello")
    waiting = run_create(actor=acme, workflow_id=hello.pk, inputs={"account": "a"})
    wait_for(lambda: Run.objects.get(pk=waiting.pk).status == RunStatus.WAITING_APPROVAL, timeout=60,
             what="the run to wait for approval")

    # The only worker is free: another run goes through while the first one waits.
    chain = workflow_create(actor=acme, name="chain", spec=chain_spec(1))
    other = run_create(actor=acme, workflow_id=chain.pk, inputs={"tag": "meanwhile"})
    wait_for(lambda: finished([other.pk]), timeout=60, what="a second run while the first waits")

    for worker in list(celery.workers):
        celery.kill(worker)
    celery.ensure_workers(1)
    calls_before = len(fake_model.requests)

    approval = Approval.objects.get(run=waiting)
    approval_decide(actor=acme, approval_id=approval.pk, approve=True, arguments={"body": "Signed off"})
    wait_for(lambda: finished([waiting.pk]), timeout=60, what="the approved run to finish")

    waiting.refresh_from_db()
    assert waiting.status == RunStatus.SUCCEEDED, waiting.error
    assert len(fake_model.requests) == calls_before
    assert waiting.outputs["note"], "the approved write happened"
    assert "Signed off" in str(waiting.outputs["note"])
