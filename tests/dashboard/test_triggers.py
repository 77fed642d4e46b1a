"""Schedules with a readable preview, and webhooks whose secret is shown once."""

from __future__ import annotations

import pytest

from apps.triggers.models import Schedule, WebhookEndpoint

from tests.support import workflow_from_template
from .helpers import post_form

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    actor.organization.timezone = "Asia/Tokyo"
    actor.organization.save()
    return workflow_from_template(actor, "trivial", seed_demo=False), signed_in(user), actor


def test_the_cron_preview_says_it_in_words_with_the_next_five_times_in_the_org_time_zone(setup):
    _, browser, _ = setup
    html = browser.get("/schedules/preview/", {"cron": "0 8 * * 1-5"}).content.decode()
    assert "At 08:00, Monday through Friday" in html and "Asia/Tokyo" in html
    assert html.count("<time") == 5 and html.count(" 08:00</time>") == 5


def test_a_bad_cron_is_refused_next_to_the_field_and_the_rest_is_kept(setup):
    workflow, browser, _ = setup
    response = post_form(browser, "/schedules/new/",
                         {"workflow": workflow.pk, "name": "Mornings", "cron": "every morning", "timezone": "Asia/Tokyo",
                          "overlap_policy": "skip", "inputs": "{}", "enabled": "on"})
    html = response.content.decode()
    assert response.status_code == 400 and "expected five numeric fields" in html
    assert 'value="Mornings"' in html and not Schedule.objects.exists()


def test_a_schedule_is_saved_and_its_next_run_shows_on_the_workflow_list(setup):
    workflow, browser, _ = setup
    response = post_form(browser, "/schedules/new/",
                         {"workflow": workflow.pk, "name": "Mornings", "cron": "30 7 * * *", "timezone": "Asia/Tokyo",
                          "overlap_policy": "queue", "inputs": '{"name": "team"}', "enabled": "on"})
    assert response.status_code == 302
    schedule = Schedule.objects.get()
    assert (schedule.cron, schedule.overlap_policy, schedule.inputs) == ("30 7 * * *", "queue", {"name": "team"})
    assert " 07:30</time>" in browser.get("/workflows/").content.decode()


def test_a_webhook_secret_is_shown_once(setup):
    workflow, browser, _ = setup
    response = post_form(browser, "/webhooks/new/", {"workflow": workflow.pk, "source": "generic",
                                                     "scheme": "shared_token", "settings": "{}",
                                                     "input_mapping": "{}"})
    html = response.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    secret = html.split('id="webhook-secret">')[1].split("<")[0]
    assert response.status_code == 200 and len(secret) >= 20 and f"/hooks/{endpoint.pk}/" in html
    assert secret not in browser.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert secret not in browser.get("/webhooks/").content.decode()


def test_a_webhook_with_unknown_settings_is_refused_at_the_field(setup):
    workflow, browser, _ = setup
    response = post_form(browser, "/webhooks/new/", {"workflow": workflow.pk, "source": "generic",
                                                     "scheme": "shared_token", "settings": '{"colour": "red"}',
                                                     "input_mapping": "{}"})
    assert response.status_code == 400 and "not a setting of the shared_token scheme" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_webhook_page_lists_deliveries_with_verification_and_the_run_started(setup):
    from django.utils import timezone

    from apps.runs.services import run_create
    from apps.triggers.models import WebhookDelivery, WebhookEvent
    from apps.triggers.services import webhook_endpoint_create

    workflow, browser, actor = setup
    endpoint, _ = webhook_endpoint_create(actor=actor, workflow_id=workflow.pk, source="hubspot", scheme="shared_token")
    run = run_create(actor=actor, workflow_id=workflow.pk, trigger="webhook")
    now = timezone.now()
    good = WebhookDelivery.objects.create(organization=actor.organization, endpoint=endpoint, received_at=now,
                                          verified=True, outcome="accepted", status_code=202)
    WebhookEvent.objects.create(organization=actor.organization, endpoint=endpoint, delivery=good, event_id="evt-1",
                                run=run, created_at=now)
    WebhookDelivery.objects.create(organization=actor.organization, endpoint=endpoint, received_at=now,
                                   verified=False, outcome="rejected", status_code=401, error="bad signature")

    html = browser.get(f"/webhooks/{endpoint.pk}/").content.decode()

    assert "evt-1" in html and f"/runs/{run.pk}/" in html
    assert "bad signature" in html and html.count('class="bad">✗') == 1


def test_the_cron_preview_in_japanese_names_the_days(setup):
    from django.utils import translation

    from apps.dashboard.cron_preview import preview

    with translation.override("ja"):
        assert preview("0 8 * * 1-5", "Asia/Tokyo").sentence == "月曜日から金曜日の 08:00"
        assert preview("30 7 * * *", "Asia/Tokyo").sentence == "毎日 07:30"
        assert preview("*/15 * * * *", "Asia/Tokyo").sentence == "15 分ごと"
        assert len(preview("5 4 1-7 * 1", "Asia/Tokyo").next_times) == 5
