"""The beat-driven sweep task, run in this process: every job it wires together gets done."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from apps.runs.services import run_create
from apps.triggers.models import NotifyDelivery, ScheduleTick, WebhookEvent
from apps.triggers.schedules import schedule_create
from apps.triggers.services import notify_hook_create, webhook_endpoint_create
from apps.triggers.tasks import sweep
from config.celery import app
from tests.support import advance_until_paused

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_one_sweep_fires_due_schedules_starts_lost_events_and_sends_notifications(acme, trivial, eager, no_workers,
                                                                                  monkeypatch):
    from datetime import timedelta

    from apps.triggers import events, intake

    # The delivery's nudge is lost (and so cannot run eagerly in the nudger's own thread).
    monkeypatch.setattr(intake, "nudge_workers", lambda: None)
    schedule = schedule_create(actor=acme, workflow_id=trivial.pk, name="every minute", cron_expression="* * * * *",
                               now=timezone.now() - timedelta(minutes=1, seconds=30))
    endpoint, secret = webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source="zoho",
                                               scheme="shared_token")
    Client().post(f"/hooks/{endpoint.pk}/", b'{"x": 1}', content_type="application/json", HTTP_X_WEBHOOK_TOKEN=secret)
    monkeypatch.setattr(events, "STALE_AFTER", timedelta(0))  # the sweep does not wait for a late nudge
    notify_hook_create(actor=acme, workflow_id=trivial.pk, url="http://127.0.0.1:9/unreachable")
    finished = advance_until_paused(run_create(actor=acme, workflow_id=trivial.pk))

    sweep()

    assert ScheduleTick.objects.filter(schedule=schedule, outcome="started").count() == 1
    assert WebhookEvent.objects.get().run_id is not None
    notification = NotifyDelivery.objects.get(run=finished)
    assert notification.attempts == 1 and notification.status == "failed"
    assert "refusing to connect" in notification.last_error, "loopback is refused without the operator's allowlist"


def test_run_triggers_once_does_the_sweep_without_celery(acme, trivial, no_workers):
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command

    schedule = schedule_create(actor=acme, workflow_id=trivial.pk, name="every minute", cron_expression="* * * * *",
                               now=timezone.now() - timedelta(minutes=1, seconds=30))
    out = StringIO()
    call_command("run_triggers", once=True, stdout=out)

    assert ScheduleTick.objects.filter(schedule=schedule, outcome="started").count() == 1
    assert "trigger action" in out.getvalue()
