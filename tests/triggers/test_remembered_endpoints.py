"""Intake remembers endpoints between deliveries, but a change to the row (disabled, secret
rotated, mapping edited) takes effect with the very next delivery, however it was made."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from apps.automations.crypto import encrypt_secrets
from apps.runs.models import Run
from apps.triggers import endpoints, intake
from apps.triggers.events import events_start_pending
from apps.triggers.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.triggers.services import webhook_endpoint_create, webhook_endpoint_rotate_secret, webhook_endpoint_update

from .hubspot import hubspot_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hook(acme, trivial):
    return webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source="hubspot", scheme="hubspot",
                                   input_mapping={"name": "/propertyValue"})


def deliver(endpoint, secret, event_id: int):
    body = json.dumps([{"eventId": event_id, "propertyValue": f"stage-{event_id}", "other": f"o-{event_id}"}]).encode()
    return hubspot_post(Client(), f"/hooks/{endpoint.pk}/", secret, body)


@pytest.fixture
def reads(monkeypatch):
    """Count reads of endpoint rows and decryptions of their secrets."""
    counts = {"read": 0, "decrypt": 0}

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(intake, "endpoint_read", counted("read", intake.endpoint_read))
    monkeypatch.setattr(endpoints, "decrypt_secrets", counted("decrypt", endpoints.decrypt_secrets))
    endpoints._decrypted.cache_clear()
    return counts


def test_deliveries_after_the_first_neither_read_the_row_nor_decrypt_the_secret(hook, reads, no_workers):
    endpoint, secret = hook
    assert [deliver(endpoint, secret, i).status_code for i in range(5)] == [202] * 5
    assert reads == {"read": 1, "decrypt": 1}
    assert WebhookEvent.objects.count() == 5


def test_an_endpoint_disabled_behind_the_services_back_is_404_at_once(hook, no_workers):
    endpoint, secret = hook
    assert deliver(endpoint, secret, 1).status_code == 202
    # QuerySet.update() does not touch updated_at; intake must notice anyway.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)

    assert deliver(endpoint, secret, 2).status_code == 404
    assert WebhookDelivery.objects.count() == 1


def test_a_rotated_secret_refuses_the_old_one_at_once(acme, hook, no_workers):
    endpoint, old = hook
    assert deliver(endpoint, old, 1).status_code == 202
    _, new = webhook_endpoint_rotate_secret(actor=acme, endpoint_id=endpoint.pk, keep_previous=False)

    assert deliver(endpoint, old, 2).status_code == 401
    assert deliver(endpoint, new, 3).status_code == 202


def test_a_secret_replaced_in_the_database_directly_is_honoured_at_once(hook, no_workers):
    endpoint, old = hook
    assert deliver(endpoint, old, 1).status_code == 202
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secrets_encrypted=encrypt_secrets({"current": "brand-new"}))

    assert deliver(endpoint, old, 2).status_code == 401
    assert deliver(endpoint, "brand-new", 3).status_code == 202


def test_an_edited_mapping_applies_to_the_next_delivery(acme, hook, no_workers):
    endpoint, secret = hook
    assert deliver(endpoint, secret, 1).status_code == 202
    webhook_endpoint_update(actor=acme, endpoint_id=endpoint.pk, input_mapping={"name": "/other"})

    assert deliver(endpoint, secret, 2).status_code == 202
    events_start_pending()
    assert sorted(Run.objects.values_list("inputs__name", flat=True)) == ["o-2", "stage-1"]


def test_a_change_racing_the_insert_writes_nothing_and_asks_for_a_resend(hook, no_workers, monkeypatch):
    endpoint, secret = hook
    verify = intake._events

    def verify_then_disable(*args, **kwargs):
        events = verify(*args, **kwargs)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
        return events

    monkeypatch.setattr(intake, "_events", verify_then_disable)
    response = deliver(endpoint, secret, 1)

    assert response.status_code == 503 and response.json()["error"]["code"] == "endpoint_changed"
    assert not WebhookDelivery.objects.exists() and not WebhookEvent.objects.exists()


def test_the_sqlite_write_checks_a_remembered_endpoint_too(hook, no_workers, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", "sqlite")  # the embedded mode's code path, on this database
    endpoint, secret = hook
    assert deliver(endpoint, secret, 1).status_code == 202
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(input_mapping={"name": "/other"})

    assert deliver(endpoint, secret, 2).status_code == 202
    assert WebhookEvent.objects.get(event_id="hubspot:2").inputs == {"name": "o-2"}
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    assert deliver(endpoint, secret, 3).status_code == 404
