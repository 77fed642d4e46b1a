"""Finished runs are reacted to at once through the engine's run_finished signal: with real
worker processes and no beat (so no triggers sweep), a hooked workflow's run is notified
and a schedule tick queued behind a run starts when it finishes; a workflow that nobody
follows costs the engine no query and no message."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import workflows.templates
from apps.automations.services import workflow_create
from apps.runs.models import Run, RunStatus
from apps.runs.services import run_create
from apps.runs.signals import announce_finished
from apps.triggers.models import NotifyDelivery, ScheduleTick
from apps.triggers.schedules import schedule_create, schedule_fire
from apps.triggers.services import notify_hook_create
from tests.apps.processes import purge_queue
from tests.support import advance_until_paused, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def workers(celery):
    """The session's worker processes (they may post to loopback, where the receiver is),
    stopped with any beat: nothing runs the triggers sweep. The test starts workers once its
    hooks and schedules exist."""
    celery.stop_all()
    purge_queue()
    yield celery
    celery.stop_all()
    purge_queue()


def queued_task_names() -> list[str]:
    raw = redis.Redis.from_url(settings.REDIS_URL).lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)
    return [json.loads(message)["headers"]["task"] for message in raw]


def test_a_hooked_workflows_finished_run_is_notified_at_once_without_the_sweep(acme, trivial, receiver, workers):
    hook, _ = notify_hook_create(actor=acme, workflow_id=trivial.pk, url=receiver.url)
    workers.ensure_workers(1)

    run = run_create(actor=acme, workflow_id=trivial.pk, inputs={"name": "Ada"})

    wait_for(lambda: receiver.requests, timeout=60, what="the notification")
    received_at = timezone.now()
    assert workers.beat is None, "no beat, so no triggers sweep ran"
    run.refresh_from_db()
    [(headers, body)] = receiver.requests
    data = json.loads(body)["data"]
    assert data["run"] == str(run.pk) and data["status"] == "succeeded"
    # The sender records the answer just after the receiver got the request.
    wait_for(lambda: NotifyDelivery.objects.filter(hook=hook, run=run, status="sent", attempts=1).exists(),
             timeout=10, what="the delivery to be recorded as sent")
    print(f"\nnotified {(received_at - run.finished_at).total_seconds() * 1000:.0f} ms after the run finished "
          f"(the sweep runs every {settings.CELERY_BEAT_SCHEDULE['sweep-triggers']['schedule']:.0f} s)")


def test_a_queued_schedule_tick_starts_as_soon_as_the_previous_run_finishes(acme, trivial, workers):
    schedule = schedule_create(actor=acme, workflow_id=trivial.pk, name="hourly", cron_expression="0 * * * *",
                               overlap_policy="queue", inputs={"name": "Ada"}, now=T0 - timedelta(minutes=30))
    # Both ticks are handled before any worker runs: the first run is still queued, so the
    # second tick waits behind it.
    schedule_fire(schedule_id=schedule.pk, now=T0)
    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=1))
    assert list(ScheduleTick.objects.filter(schedule=schedule).order_by("tick_at")
                .values_list("outcome", flat=True)) == ["started", "queued"]

    workers.ensure_workers(1)

    second = wait_for(lambda: ScheduleTick.objects.filter(schedule=schedule, tick_at=T0 + timedelta(hours=1),
                                                          outcome="started").first(),
                      timeout=60, what="the queued tick to start")
    assert workers.beat is None, "no beat, so no triggers sweep ran"
    first = Run.objects.get(trigger_ref__endswith="T08:00:00+00:00")
    assert first.status == RunStatus.SUCCEEDED
    wait_for(lambda: Run.objects.filter(pk=second.run_id, status=RunStatus.SUCCEEDED).exists(), timeout=60,
             what="the second run to finish")


def test_a_workflow_nobody_follows_costs_no_query_and_no_message_when_its_run_finishes(acme, trivial, no_workers):
    quiet = workflow_create(actor=acme, name="quiet", spec=workflows.templates.load("trivial"))
    notify_hook_create(actor=acme, workflow_id=trivial.pk, url="https://example.com/done")
    hooked_run = advance_until_paused(run_create(actor=acme, workflow_id=trivial.pk, inputs={"name": "Ada"}))
    quiet_run = advance_until_paused(run_create(actor=acme, workflow_id=quiet.pk, inputs={"name": "Bo"}))
    assert hooked_run.status == quiet_run.status == RunStatus.SUCCEEDED
    assert queued_task_names().count("triggers.run_finished") == 1, "the hooked workflow's run is reacted to"
    purge_queue()

    with CaptureQueriesContext(connection) as queries:
        announce_finished(quiet_run, quiet_run.status)
    assert len(queries) == 0
    assert queued_task_names() == []
    assert not NotifyDelivery.objects.filter(run=quiet_run).exists()

    announce_finished(hooked_run, hooked_run.status)  # the same path does send for a followed workflow
    assert queued_task_names() == ["triggers.run_finished"]


def test_the_followed_set_is_read_at_most_once_per_ttl(acme, trivial, no_workers):
    from apps.triggers.reactions import FollowedWorkflows

    followed = FollowedWorkflows(ttl=0.5)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            assert trivial.pk not in followed
    assert len(queries) == 1

    notify_hook_create(actor=acme, workflow_id=trivial.pk, url="https://example.com/done")
    assert trivial.pk not in followed, "stale until the TTL passes (the sweep covers that window)"
    time.sleep(0.6)
    assert trivial.pk in followed


def test_in_the_embedded_mode_a_thread_of_this_process_sends_the_notification(acme, trivial, receiver,
                                                                              loopback_allowed, no_workers,
                                                                              settings):
    notify_hook_create(actor=acme, workflow_id=trivial.pk, url=receiver.url)
    run = run_create(actor=acme, workflow_id=trivial.pk, inputs={"name": "Ada"})
    settings.RUN_EXECUTION = "inprocess"  # after run_create, so no run thread pool starts here
    purge_queue()

    advance_until_paused(run)

    wait_for(lambda: NotifyDelivery.objects.filter(run=run, status="sent").exists(), timeout=10,
             what="the notification")
    assert len(receiver.requests) == 1
    assert queued_task_names() == [], "no broker involved"
