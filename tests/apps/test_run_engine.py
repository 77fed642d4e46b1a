"""The run engine driven slice by slice in the test process, exactly as a worker calls it."""

from __future__ import annotations

import pytest

from apps.common.errors import Conflict, InvalidInput, NotFound
from apps.runs.engine import _claim, run_advance
from apps.runs.models import Approval, Run, RunStatus, WriteRecord
from apps.runs.services import approval_decide, run_cancel, run_create

from tests.support import advance_until_paused, workflow_from_template

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_trivial_run_succeeds_with_outputs_and_an_ordered_trace(acme, no_workers):
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    run = run_create(actor=acme, workflow_id=workflow.pk, inputs={"name": "Ada"})

    run = advance_until_paused(run)

    assert run.status == RunStatus.SUCCEEDED
    assert run.outputs["result"]["loud"] == "HELLO, ADA!"
    assert run.finished_at is not None and run.lease_owner == ""
    events = list(run.events.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].kind == "run.started" and events[-1].kind == "run.finished"
    assert [e.payload["status"] for e in events if e.kind == "run.finished"] == ["succeeded"]


def test_a_run_is_cut_into_slices_that_resume_from_the_checkpoint(acme, no_workers, settings):
    settings.RUN_SLICE_STEPS = 1
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    run = run_create(actor=acme, workflow_id=workflow.pk, inputs={"name": "Bo"})

    first = run_advance(run_id=str(run.pk), worker="w1")
    # The drain takes effect at the next super-step boundary LangGraph reaches.
    assert first.again and first.steps < 3
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.lease_owner == ""

    run = advance_until_paused(run, worker="w2")
    assert run.status == RunStatus.SUCCEEDED
    assert run.slices >= 2
    assert run.outputs["result"]["greeting"] == "Hello, Bo!"
    started = [e.node_id for e in run.events.filter(kind="node.started")]
    assert sorted(started) == ["greet", "pack", "shout"], "no node ran twice across slices"


def test_a_run_held_by_one_worker_cannot_be_claimed_by_another(acme, no_workers):
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    run = run_create(actor=acme, workflow_id=workflow.pk)

    assert _claim(str(run.pk), "worker-a") is not None
    assert _claim(str(run.pk), "worker-b") is None
    assert run_advance(run_id=str(run.pk), worker="worker-b").status == "skipped"
    run.refresh_from_db()
    assert run.lease_owner == "worker-a" and run.attempts == 0


def test_an_expired_lease_is_taken_over_and_counted_as_an_attempt(acme, no_workers, settings):
    settings.RUN_LEASE_SECONDS = 0.01
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    run = run_create(actor=acme, workflow_id=workflow.pk)
    assert _claim(str(run.pk), "dead-worker") is not None
    import time

    time.sleep(0.05)
    settings.RUN_LEASE_SECONDS = 30
    run = advance_until_paused(run, worker="rescuer")
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempts == 1
    assert run.events.filter(kind="run.resumed").count() == 1


def test_a_run_interrupted_too_often_fails_with_a_reason(acme, no_workers, settings):
    settings.RUN_MAX_ATTEMPTS = 1
    settings.RUN_LEASE_SECONDS = 0.01
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    run = run_create(actor=acme, workflow_id=workflow.pk)
    import time

    for worker in ("dies-1", "dies-2"):
        assert _claim(str(run.pk), worker) is not None
        time.sleep(0.05)
    run = advance_until_paused(run, worker="last")
    assert run.status == RunStatus.FAILED
    assert run.error_code == "attempts_exhausted"
    assert "interrupted 2 times" in run.error


def test_the_same_idempotency_key_creates_one_run(acme, no_workers):
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    first = run_create(actor=acme, workflow_id=workflow.pk, idempotency_key="order-42")
    second = run_create(actor=acme, workflow_id=workflow.pk, idempotency_key="order-42")
    assert first.pk == second.pk
    assert Run.objects.filter(organization=acme.organization).count() == 1


def test_an_unknown_workflow_is_not_found_and_creates_nothing(acme, no_workers):
    with pytest.raises(NotFound):
        run_create(actor=acme, workflow_id=999_999)
    assert not Run.objects.exists()


def test_inputs_that_fail_the_schema_are_rejected_with_their_path(acme, no_workers):
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    with pytest.raises(InvalidInput) as caught:
        run_create(actor=acme, workflow_id=workflow.pk, inputs={"name": 12})
    assert any(p.path == "inputs.name" for p in caught.value.problems), caught.value.problems
    assert not Run.objects.exists()


def test_an_approval_pauses_the_run_and_resumes_with_edited_arguments(acme, no_workers, fake_model):
    workflow = workflow_from_template(acme, "hello")
    run = run_create(actor=acme, workflow_id=workflow.pk, inputs={"account": "a"})

    run = advance_until_paused(run)
    assert run.status == RunStatus.WAITING_APPROVAL
    assert run.lease_owner == "", "a paused run holds no worker"
    approval = Approval.objects.get(run=run)
    assert approval.requested["arguments"]["body"]
    calls_before = len(fake_model.requests)

    approval_decide(actor=acme, approval_id=approval.pk, approve=True,
                    arguments={"body": "Edited by a person"}, reason="tone")
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED

    run = advance_until_paused(run)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert len(fake_model.requests) == calls_before, "the model step before the approval is not repeated"
    from apps.demo.models import DemoRecord

    notes = [r.data for r in DemoRecord.objects.filter(organization=acme.organization, entity="activities")
             if r.data.get("body") == "Edited by a person"]
    assert len(notes) == 1
    assert WriteRecord.objects.filter(run=run).count() == 1


def test_an_approval_decided_twice_is_refused_and_changes_nothing(acme, no_workers, fake_model):
    workflow = workflow_from_template(acme, "hello")
    run = advance_until_paused(run_create(actor=acme, workflow_id=workflow.pk, inputs={"account": "a"}))
    approval = Approval.objects.get(run=run)
    approval_decide(actor=acme, approval_id=approval.pk, approve=False, reason="not now")

    with pytest.raises(Conflict):
        approval_decide(actor=acme, approval_id=approval.pk, approve=True)
    approval.refresh_from_db()
    assert approval.status == "rejected" and approval.reason == "not now"


def test_a_cancelled_run_cannot_be_resumed(acme, no_workers, fake_model):
    workflow = workflow_from_template(acme, "hello")
    run = advance_until_paused(run_create(actor=acme, workflow_id=workflow.pk, inputs={"account": "a"}))
    run_cancel(actor=acme, run_id=run.pk)
    approval = Approval.objects.get(run=run)

    with pytest.raises(Conflict):
        approval_decide(actor=acme, approval_id=approval.pk, approve=True)
    with pytest.raises(Conflict):
        run_cancel(actor=acme, run_id=run.pk)
    assert run_advance(run_id=str(run.pk), worker="w").status == "skipped"
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED


def test_a_running_run_stops_at_the_next_step_when_cancelled(acme, no_workers, settings):
    settings.RUN_SLICE_STEPS = 1
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    run = run_create(actor=acme, workflow_id=workflow.pk)
    run_advance(run_id=str(run.pk), worker="w1")
    started = run.events.filter(kind="node.started").count()
    assert started < 3
    run_cancel(actor=acme, run_id=run.pk)

    run = advance_until_paused(run)
    assert run.status == RunStatus.CANCELLED
    assert run.events.filter(kind="node.started").count() == started


def queue_length() -> int:
    from django.conf import settings

    from apps.runs.broker import redis_client

    return redis_client().llen(settings.CELERY_TASK_DEFAULT_QUEUE)


def test_the_sweeper_resends_lost_messages_but_not_a_backlog(acme, no_workers, settings):
    from apps.runs.services import runs_sweep

    from .processes import purge_queue

    settings.RUN_SWEEP_SECONDS = 0.01
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    run = run_create(actor=acme, workflow_id=workflow.pk)
    import time

    time.sleep(0.05)
    assert queue_length() == 1
    assert runs_sweep() == 0, "a message still waits in the queue: nothing is lost"

    purge_queue()  # as a Redis restart would
    assert runs_sweep() == 1
    assert queue_length() == 1
    assert advance_until_paused(run).status == RunStatus.SUCCEEDED


def test_the_sweeper_resends_a_run_whose_worker_died(acme, no_workers, settings):
    from apps.runs.services import runs_sweep

    settings.RUN_LEASE_SECONDS = 0.01
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    run = run_create(actor=acme, workflow_id=workflow.pk)
    assert _claim(str(run.pk), "dies") is not None
    import time

    time.sleep(0.05)
    before = queue_length()
    assert runs_sweep() == 1, "an expired lease is re-sent even with messages queued"
    assert queue_length() == before + 1


def saved_checkpoints(run) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", [str(run.pk)])
        return cursor.fetchone()[0]


def test_a_deterministic_workflow_is_saved_once_per_slice_not_after_every_step(acme, no_workers, settings):
    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    whole = advance_until_paused(run_create(actor=acme, workflow_id=workflow.pk, inputs={"name": "Cy"}))
    assert whole.status == RunStatus.SUCCEEDED and whole.slices == 1
    assert saved_checkpoints(whole) == 1

    settings.RUN_SLICE_STEPS = 1
    sliced = advance_until_paused(run_create(actor=acme, workflow_id=workflow.pk, inputs={"name": "Cy"}))
    assert sliced.status == RunStatus.SUCCEEDED and sliced.slices >= 2
    assert sliced.outputs == whole.outputs, "each slice resumed from the previous slice's save"
    assert saved_checkpoints(sliced) == sliced.slices


def test_a_workflow_that_calls_the_model_is_saved_after_every_step(acme, no_workers, fake_model):
    from .test_workers import chain_spec

    from apps.automations.services import workflow_create

    workflow = workflow_create(actor=acme, name="chain", spec=chain_spec(3))
    run = advance_until_paused(run_create(actor=acme, workflow_id=workflow.pk, inputs={"tag": "t"}))

    assert run.status == RunStatus.SUCCEEDED and run.slices == 1
    assert saved_checkpoints(run) >= 4, "the input and each of the three model steps"


def test_storing_the_same_artifact_again_returns_the_first_one(acme, no_workers):
    from apps.runs.models import Artifact
    from apps.runs.ports import DbArtifactStore

    workflow = workflow_from_template(acme, "trivial", seed_demo=False)
    store = DbArtifactStore(run_create(actor=acme, workflow_id=workflow.pk))

    first = store.put(name="report.html", content=b"<p>Q3</p>", media_type="text/html", node_id="render")
    again = store.put(name="report.html", content=b"<p>Q3</p>", media_type="text/html", node_id="render")
    changed = store.put(name="report.html", content=b"<p>Q4</p>", media_type="text/html", node_id="render")
    elsewhere = store.put(name="report.html", content=b"<p>Q3</p>", media_type="text/html", node_id="other")

    assert again.id == first.id
    assert len({first.id, changed.id, elsewhere.id}) == 3
    assert Artifact.objects.count() == 3
