"""Raw webhook bodies are kept for WEBHOOK_RETENTION_DAYS, then blanked; old rejections
are deleted; what a delivery was, and dedupe by event id, outlive the body."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apps.triggers.models import WebhookDelivery, WebhookEvent
from apps.triggers.retention import deliveries_prune
from apps.triggers.services import webhook_endpoint_create

from .hubspot import hubspot_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hook(acme, trivial):
    endpoint, secret = webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source="hubspot",
                                               scheme="hubspot", input_mapping={"name": "/propertyValue"})
    return endpoint, secret


def deliver(hook, event_id: int, *, secret: str | None = None):
    endpoint, real_secret = hook
    body = json.dumps([{"eventId": event_id, "propertyValue": f"stage-{event_id}"}]).encode()
    return hubspot_post(Client(), f"/hooks/{endpoint.pk}/", secret or real_secret, body)


def aged(response, days: float) -> WebhookDelivery:
    """Pretend the delivery answered by ``response`` arrived ``days`` ago."""
    delivery_id = response.json()["delivery"]
    WebhookDelivery.objects.filter(pk=delivery_id).update(received_at=timezone.now() - timedelta(days=days))
    return WebhookDelivery.objects.get(pk=delivery_id)


def test_bodies_past_retention_are_blanked_and_recent_ones_kept(hook, no_workers):
    old = aged(deliver(hook, 1), days=31)
    recent = aged(deliver(hook, 2), days=29)

    result = deliveries_prune(now=timezone.now())

    assert (result.blanked, result.deleted) == (1, 0)
    old_after, recent_after = WebhookDelivery.objects.get(pk=old.pk), WebhookDelivery.objects.get(pk=recent.pk)
    assert bytes(old_after.body) == b"" and old_after.headers == {} and old_after.pruned_at is not None
    assert (old_after.outcome, old_after.status_code, old_after.body_size, old_after.received_at) == \
           (old.outcome, old.status_code, old.body_size, old.received_at), "the metadata stays"
    assert old_after.events.get().event_id == "hubspot:1"
    assert bytes(recent_after.body) == bytes(recent.body) != b""
    assert recent_after.headers == recent.headers != {} and recent_after.pruned_at is None


def test_rejected_deliveries_past_retention_are_deleted(hook, no_workers):
    old = aged(deliver(hook, 1, secret="not-the-secret"), days=31)
    recent = aged(deliver(hook, 2, secret="not-the-secret"), days=1)
    assert old.outcome == recent.outcome == "rejected"

    assert deliveries_prune(now=timezone.now()).deleted == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_replay_of_a_pruned_deliverys_event_is_still_refused(hook, no_workers):
    assert deliver(hook, 7).status_code == 202

    assert deliveries_prune(now=timezone.now() + timedelta(days=31)).blanked == 1
    assert bytes(WebhookDelivery.objects.get().body) == b""

    replay = deliver(hook, 7)
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "duplicate_event"
    assert WebhookEvent.objects.count() == 1


def test_the_retention_period_is_the_setting(hook, no_workers, settings):
    settings.WEBHOOK_RETENTION_DAYS = 7
    aged(deliver(hook, 1), days=8)
    aged(deliver(hook, 2), days=6)

    assert deliveries_prune(now=timezone.now()).blanked == 1


def test_a_large_backlog_is_pruned_in_batches_until_done(hook, no_workers):
    for i in range(5):
        aged(deliver(hook, i), days=40)
    aged(deliver(hook, 99, secret="not-the-secret"), days=40)

    result = deliveries_prune(now=timezone.now(), batch_size=2)

    assert (result.blanked, result.deleted) == (5, 1)
    assert not WebhookDelivery.objects.filter(pruned_at__isnull=True).exists()
    assert deliveries_prune(now=timezone.now(), batch_size=2).blanked == 0, "pruned rows are not visited again"


def test_the_command_prints_what_it_did(hook, no_workers):
    aged(deliver(hook, 1), days=31)
    aged(deliver(hook, 2, secret="not-the-secret"), days=31)
    aged(deliver(hook, 3), days=1)
    out = StringIO()

    call_command("prune_webhook_deliveries", stdout=out)

    assert "1 blanked, 1 rejected deleted" in out.getvalue()
    assert WebhookDelivery.objects.filter(pruned_at__isnull=True).count() == 1


def test_beat_runs_the_prune_task():
    from config.celery import app

    entry = app.conf.beat_schedule["prune-webhook-deliveries"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= 24 * 3600
