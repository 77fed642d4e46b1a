"""Deleting a workflow archives it: gone from every selector, refused by run_create, its
schedules, webhook endpoints and notify hooks stopped, while its past runs stay history
and a run already going finishes normally."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

import workflows.templates
from apps.accounts.actors import Actor
from apps.accounts.models import AuditEntry
from apps.automations.selectors import workflow_get, workflow_list
from apps.automations.services import workflow_create, workflow_delete
from apps.common.errors import NotFound, PermissionDenied
from apps.runs.models import Run, RunStatus
from apps.runs.selectors import run_get, run_list
from apps.runs.services import run_create
from apps.triggers.models import NotifyDelivery, ScheduleTick, WebhookDelivery, WebhookEvent
from apps.triggers.notify import notify_discover
from apps.triggers.schedules import schedule_create, schedule_fire, schedule_update
from apps.triggers.selectors import notify_hook_list, schedule_list, webhook_endpoint_list
from apps.triggers.services import notify_hook_create, webhook_endpoint_create
from tests.support import advance_until_paused

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_a_deleted_workflow_is_gone_and_cannot_run_but_its_past_runs_stay(acme, trivial, no_workers):
    past = advance_until_paused(run_create(actor=acme, workflow_id=trivial.pk, inputs={"name": "Ada"}))

    workflow_delete(actor=acme, workflow_id=trivial.pk)

    assert trivial.pk not in set(workflow_list(actor=acme).values_list("pk", flat=True))
    with pytest.raises(NotFound):
        workflow_get(actor=acme, workflow_id=trivial.pk)
    with pytest.raises(NotFound, match="it was deleted"):
        run_create(actor=acme, workflow_id=trivial.pk, inputs={"name": "Ada"})
    assert run_get(actor=acme, run_id=past.pk).status == RunStatus.SUCCEEDED
    assert list(run_list(actor=acme)) == [past]
    entry = AuditEntry.objects.get(action="workflow.delete")
    assert entry.target_id == str(trivial.pk) and entry.details["name"] == "trivial"


def test_a_run_already_going_finishes_normally(acme, trivial, no_workers):
    going = run_create(actor=acme, workflow_id=trivial.pk, inputs={"name": "Ada"})

    workflow_delete(actor=acme, workflow_id=trivial.pk)

    assert advance_until_paused(going).status == RunStatus.SUCCEEDED


def test_its_name_can_be_used_again(acme, trivial):
    workflow_delete(actor=acme, workflow_id=trivial.pk)

    again = workflow_create(actor=acme, name="trivial", spec=workflows.templates.load("trivial"))

    assert workflow_get(actor=acme, workflow_id=again.pk).name == "trivial"


def test_another_organizations_workflow_is_not_found_and_a_viewer_may_not_delete(acme, trivial, make_org):
    stranger, _ = make_org("Other")
    with pytest.raises(NotFound):
        workflow_delete(actor=stranger, workflow_id=trivial.pk)
    with pytest.raises(PermissionDenied):
        workflow_delete(actor=Actor(organization=acme.organization, role="viewer"), workflow_id=trivial.pk)
    assert workflow_get(actor=acme, workflow_id=trivial.pk).archived_at is None


def test_its_schedules_are_disabled_and_their_queued_ticks_given_up(acme, trivial, no_workers):
    schedule = schedule_create(actor=acme, workflow_id=trivial.pk, name="hourly", cron_expression="0 * * * *",
                               overlap_policy="queue", inputs={"name": "Ada"}, now=T0 - timedelta(minutes=30))
    schedule_fire(schedule_id=schedule.pk, now=T0)
    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=1))

    workflow_delete(actor=acme, workflow_id=trivial.pk)

    schedule.refresh_from_db()
    assert not schedule.enabled and not PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled
    assert ScheduleTick.objects.get(schedule=schedule, tick_at=T0 + timedelta(hours=1)).outcome == "failed"
    assert schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=2)) == []
    assert not schedule_list(actor=acme).exists()
    with pytest.raises(NotFound):
        schedule_update(actor=acme, schedule_id=schedule.pk, enabled=True)


def test_a_webhook_to_its_endpoint_answers_410_and_is_recorded_as_rejected(acme, trivial, no_workers):
    endpoint, secret = webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source="zoho",
                                               scheme="shared_token", static_inputs={"name": "Ada"})

    workflow_delete(actor=acme, workflow_id=trivial.pk)
    response = Client().post(f"/hooks/{endpoint.pk}/", b'{"deal": 1}', content_type="application/json",
                             HTTP_X_WEBHOOK_TOKEN=secret)

    assert response.status_code == 410
    assert json.loads(response.content)["error"]["code"] == "workflow_deleted"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.outcome, delivery.status_code, delivery.error_code) == ("rejected", 410, "workflow_deleted")
    assert not WebhookEvent.objects.exists() and not Run.objects.exists()
    assert not webhook_endpoint_list(actor=acme).exists()
    unknown = Client().post("/hooks/00000000-0000-0000-0000-000000000000/", b"{}", content_type="application/json")
    assert unknown.status_code == 404 and WebhookDelivery.objects.count() == 1


def test_its_notify_hooks_stop(acme, trivial, no_workers):
    notify_hook_create(actor=acme, workflow_id=trivial.pk, url="https://example.com/done")
    going = run_create(actor=acme, workflow_id=trivial.pk, inputs={"name": "Ada"})

    workflow_delete(actor=acme, workflow_id=trivial.pk)
    advance_until_paused(going)

    assert notify_discover(now=timezone.now()) == 0
    assert not NotifyDelivery.objects.exists()
    assert not notify_hook_list(actor=acme).exists()
