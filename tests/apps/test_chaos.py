"""Crash recovery with real processes: workers killed with SIGKILL, Redis restarted."""

from __future__ import annotations

import json
import random
import time

import pytest

from apps.automations.services import workflow_create
from apps.runs.models import Run, RunStatus
from apps.runs.services import run_create

from tests.support import wait_for
from .processes import restart_redis
from .test_workers import chain_spec, finished

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.chaos]

STEPS = 4


def calls_per_step(requests, tags):
    """How many times the model was asked for each (run tag, step)."""
    counts = {(tag, i): 0 for tag in tags for i in range(STEPS)}
    for body in requests:
        text = json.dumps(body["messages"])
        for tag, i in counts:
            if f"Step {i} for {tag}." in text:
                counts[(tag, i)] += 1
    return counts


def busy_worker(celery, run_ids):
    """A worker process that holds a run's lease right now (mid-slice), if any."""
    owners = Run.objects.filter(pk__in=run_ids, status="running").exclude(lease_owner="")
    pids = {int(owner.split(":")[1]) for owner in owners.values_list("lease_owner", flat=True)}
    busy = [w for w in celery.workers if w.pid in pids and w.poll() is None]
    return busy[0] if busy else None


def kill_workers_mid_slice(celery, run_ids, *, seed: int, most: int, within: float, slice_s: float,
                           poll_s: float) -> int:
    """SIGKILL whichever of two workers holds a run's lease, at a random moment up to
    ``slice_s`` into its slice, until the runs finish, ``most`` kills or ``within`` seconds.
    Returns how many workers were killed."""
    rng = random.Random(seed)
    kills = 0
    deadline = time.monotonic() + within
    while not finished(run_ids) and kills < most and time.monotonic() < deadline:
        celery.ensure_workers(2)
        victim = busy_worker(celery, run_ids)
        if victim is None:
            time.sleep(poll_s)
            continue
        time.sleep(rng.uniform(0.0, slice_s))  # somewhere inside the slice
        celery.kill(victim)
        kills += 1
        celery.ensure_workers(2)
    return kills


@pytest.fixture
def slow_model(fake_model):
    fake_model.config.ttft_s = 0.15
    yield fake_model
    fake_model.config.ttft_s = 0.0


def test_runs_finish_exactly_once_while_workers_are_killed(acme, celery, slow_model):
    celery.ensure_workers(2)
    celery.start_beat()
    workflow = workflow_create(actor=acme, name="chain", spec=chain_spec(STEPS))
    tags = [f"r{i}" for i in range(10)]
    run_ids = [run_create(actor=acme, workflow_id=workflow.pk, inputs={"tag": tag}).pk for tag in tags]

    kills = kill_workers_mid_slice(celery, run_ids, seed=20261129, most=8, within=180, slice_s=0.3, poll_s=0.05)
    wait_for(lambda: finished(run_ids), timeout=240, what="every run to finish after the kills")

    runs = list(Run.objects.filter(pk__in=run_ids))
    assert {r.status for r in runs} == {RunStatus.SUCCEEDED}, [(r.status, r.error) for r in runs]
    for run in runs:
        assert run.events.filter(kind="run.finished").count() == 1, "finished exactly once"
    assert kills >= 3, "the test killed workers in the middle of slices"
    assert sum(r.attempts for r in runs) >= 1, "killed slices were taken over after their lease expired"

    counts = calls_per_step(slow_model.requests, tags)
    assert all(n >= 1 for n in counts.values()), "every step ran"
    # A SIGKILL can interrupt at most the one model call its worker had in flight; every
    # other completed step is restored from the checkpoint, never asked again.
    repeated = sum(n - 1 for n in counts.values())
    assert repeated <= kills, f"{repeated} repeated model calls for {kills} kills"


def test_no_run_is_lost_when_redis_restarts(acme, celery, slow_model):
    celery.ensure_workers(2)
    celery.start_beat()
    workflow = workflow_create(actor=acme, name="chain", spec=chain_spec(STEPS))
    tags = [f"x{i}" for i in range(8)]
    run_ids = [run_create(actor=acme, workflow_id=workflow.pk, inputs={"tag": tag}).pk for tag in tags]
    wait_for(lambda: Run.objects.filter(pk__in=run_ids, status="running").exists(), timeout=30,
             what="runs in flight")

    restart_redis()

    wait_for(lambda: finished(run_ids), timeout=240, what="every run to finish after the Redis restart")
    runs = list(Run.objects.filter(pk__in=run_ids))
    assert {r.status for r in runs} == {RunStatus.SUCCEEDED}, [(r.status, r.error) for r in runs]
    for run in runs:
        assert run.events.filter(kind="run.finished").count() == 1
    counts = calls_per_step(slow_model.requests, tags)
    assert all(n >= 1 for n in counts.values())


def counter_spec(steps: int) -> dict:
    """``steps`` deterministic transforms in a row, each adding one to the last: the
    output is ``steps`` only if every step's result survived into the next."""
    nodes = [{"id": "t0", "type": "transform", "config": {"template": "{{ inputs.start }}"}}]
    nodes += [{"id": f"t{i}", "type": "transform", "config": {"template": f"{{{{ results.t{i - 1} | int + 1 }}}}"}}
              for i in range(1, steps + 1)]
    return {"spec_version": 1, "name": "counter",
            "inputs": {"type": "object", "properties": {"start": {"type": "integer", "default": 0}}},
            "nodes": nodes, "edges": [{"from": f"t{i}", "to": f"t{i + 1}"} for i in range(steps)],
            "outputs": {"count": f"results.t{steps}"}}


def test_deterministic_runs_saved_per_slice_replay_to_the_same_result_when_workers_die(acme, celery):
    celery.ensure_workers(2)
    celery.start_beat()
    steps = 150
    workflow = workflow_create(actor=acme, name="counter", spec=counter_spec(steps))
    run_ids = [run_create(actor=acme, workflow_id=workflow.pk).pk for _ in range(12)]

    kills = kill_workers_mid_slice(celery, run_ids, seed=7, most=6, within=120, slice_s=0.03, poll_s=0.005)
    wait_for(lambda: finished(run_ids), timeout=180, what="every counter run to finish after the kills")

    runs = list(Run.objects.filter(pk__in=run_ids))
    assert {r.status for r in runs} == {RunStatus.SUCCEEDED}, [(r.status, r.error) for r in runs]
    assert {r.outputs["count"] for r in runs} == {str(steps)}
    for run in runs:
        assert run.events.filter(kind="run.finished").count() == 1, "finished exactly once"
    assert kills >= 2, "the test killed workers in the middle of slices"
    assert sum(r.attempts for r in runs) >= 1, "killed slices were replayed after their lease expired"
