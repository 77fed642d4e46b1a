"""Schedules, webhook endpoints, notify hooks and usage through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
import workflows.templates
from django.test import Client
from django.utils import timezone

from apps.automations.services import workflow_create
from apps.runs.services import run_create
from apps.triggers.models import WebhookDelivery, WebhookEndpoint
from apps.triggers.retention import deliveries_prune

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trivial(acme):
    return workflow_create(actor=acme, name="trivial", spec=workflows.templates.load("trivial"))


def test_a_schedule_shows_its_next_run_times_and_can_be_changed(owner_api, trivial):
    response = owner_api.post("/api/v1/schedules/", {"name": "daily", "workflow": trivial.pk, "cron": "0 6 * * *",
                                                     "timezone": "Europe/Berlin", "overlap_policy": "queue"},
                              format="json")
    assert response.status_code == 201, response.content
    schedule = response.json()
    assert len(schedule["next_runs"]) == 5
    assert all(t.endswith(("T05:00:00+00:00", "T04:00:00+00:00")) for t in schedule["next_runs"])

    changed = owner_api.patch(f"/api/v1/schedules/{schedule['id']}/", {"enabled": False}, format="json").json()
    assert changed["enabled"] is False and changed["next_runs"] == [] and changed["overlap_policy"] == "queue"
    bad = owner_api.patch(f"/api/v1/schedules/{schedule['id']}/", {"cron": "every day"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["problems"][0]["path"] == "cron"
    assert owner_api.delete(f"/api/v1/schedules/{schedule['id']}/").status_code == 204


def test_a_webhook_endpoint_shows_its_secret_once_and_its_deliveries(owner_api, trivial, no_workers):
    response = owner_api.post("/api/v1/webhook-endpoints/", {"workflow": trivial.pk, "source": "zoho",
                                                             "scheme": "shared_token"}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    secret, url = created["secret"], created["url"]
    assert url.endswith(f"/hooks/{created['id']}/")
    assert "secret" not in owner_api.get(f"/api/v1/webhook-endpoints/{created['id']}/").json()
    assert secret.encode() not in bytes(WebhookEndpoint.objects.get().secrets_encrypted)

    Client().post(url, b'{"a": 1}', content_type="application/json", HTTP_X_WEBHOOK_TOKEN=secret)
    Client().post(url, b'{"a": 2}', content_type="application/json", HTTP_X_WEBHOOK_TOKEN="wrong")
    deliveries = owner_api.get(f"/api/v1/webhook-endpoints/{created['id']}/deliveries/").json()["results"]
    assert [(d["outcome"], d["status_code"]) for d in deliveries] == [("rejected", 401), ("accepted", 202)]
    assert len(deliveries[1]["events"]) == 1 and deliveries[0]["events"] == []
    raw = owner_api.get(f"/api/v1/webhook-endpoints/{created['id']}/deliveries/{deliveries[0]['id']}/").json()
    assert raw["body"] == '{"a": 2}' and raw["error_code"] == "bad_signature"

    second = owner_api.post("/api/v1/webhook-endpoints/", {"workflow": trivial.pk, "source": "zoho",
                                                           "scheme": "shared_token"}, format="json")
    assert second.status_code == 400, "one endpoint per (workflow, source)"


def test_rotating_an_endpoint_secret_returns_the_new_one(owner_api, trivial):
    created = owner_api.post("/api/v1/webhook-endpoints/", {"workflow": trivial.pk, "source": "generic",
                                                            "scheme": "standard_webhooks"}, format="json").json()
    assert created["secret"].startswith("whsec_")
    rotated = owner_api.post(f"/api/v1/webhook-endpoints/{created['id']}/rotate-secret/", {}, format="json").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]


def test_an_endpoint_with_unknown_settings_is_refused(owner_api, trivial):
    response = owner_api.post("/api/v1/webhook-endpoints/", {"workflow": trivial.pk, "source": "salesforce",
                                                             "scheme": "salesforce_soap", "settings": {"orgid": "x"}},
                              format="json")
    assert response.status_code == 400
    paths = {p["path"] for p in response.json()["error"]["problems"]}
    assert paths == {"settings.orgid", "settings.organization_id"}


def test_a_notify_hook_returns_its_signing_secret_once(owner_api, trivial):
    created = owner_api.post("/api/v1/notify-hooks/", {"workflow": trivial.pk, "url": "https://example.com/hook"},
                             format="json")
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    listed = owner_api.get("/api/v1/notify-hooks/").json()["results"]
    assert [h["url"] for h in listed] == ["https://example.com/hook"] and "secret" not in listed[0]
    assert owner_api.delete(f"/api/v1/notify-hooks/{created.json()['id']}/").status_code == 204


def test_usage_counts_runs_by_status_and_workflow(acme, owner_api, trivial, no_workers):
    for _ in range(2):
        run_create(actor=acme, workflow_id=trivial.pk)

    usage = owner_api.get("/api/v1/usage/").json()
    assert usage["totals"]["runs"] == 2 and usage["by_status"] == {"queued": 2}
    assert usage["by_workflow"][0]["workflow_name"] == "trivial" and usage["by_workflow"][0]["runs"] == 2


def test_a_schedules_ticks_say_which_run_each_started(acme, owner_api, trivial, no_workers):
    from datetime import UTC, datetime, timedelta

    from apps.triggers.schedules import schedule_create, schedule_fire

    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    schedule = schedule_create(actor=acme, workflow_id=trivial.pk, name="hourly", cron_expression="0 * * * *",
                               now=t0 - timedelta(minutes=1))
    schedule_fire(schedule_id=schedule.pk, now=t0)
    schedule_fire(schedule_id=schedule.pk, now=t0 + timedelta(hours=1))

    ticks = owner_api.get(f"/api/v1/schedules/{schedule.pk}/ticks/").json()["results"]
    assert [(t["tick_at"][11:16], t["outcome"]) for t in ticks] == [("09:00", "skipped"), ("08:00", "started")]
    run = owner_api.get(f"/api/v1/runs/{ticks[1]['run']}/").json()
    assert run["trigger"] == "schedule" and run["trigger_ref"].endswith("T08:00:00+00:00")



def test_a_pruned_delivery_says_its_body_and_headers_were_removed_not_empty(owner_api, trivial, no_workers):
    created = owner_api.post("/api/v1/webhook-endpoints/", {"workflow": trivial.pk, "source": "zoho",
                                                            "scheme": "shared_token"}, format="json").json()
    for body in (b'{"a": 1}', b'{"a": 2}'):
        Client().post(created["url"], body, content_type="application/json", HTTP_X_WEBHOOK_TOKEN=created["secret"])
    old, recent = WebhookDelivery.objects.order_by("received_at", "id")
    WebhookDelivery.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=400))
    deliveries_prune(now=timezone.now())

    base = f"/api/v1/webhook-endpoints/{created['id']}/deliveries/"
    listed = {d["id"]: d for d in owner_api.get(base).json()["results"]}
    pruned, kept = owner_api.get(f"{base}{old.pk}/").json(), owner_api.get(f"{base}{recent.pk}/").json()

    assert listed[old.pk]["pruned_at"] is not None and listed[old.pk]["headers"] is None
    assert (pruned["body"], pruned["body_base64"], pruned["headers"]) == (None, None, None)
    assert pruned["pruned_at"] and pruned["body_size"] == len(b'{"a": 1}') and pruned["outcome"] == "accepted"
    assert listed[recent.pk]["pruned_at"] is None and kept["pruned_at"] is None
    assert kept["body"] == '{"a": 2}' and kept["headers"] is not None
