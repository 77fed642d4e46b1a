"""What the database still guarantees about webhook deliveries and events now that only
the event → delivery → endpoint foreign keys are checked (see WebhookDelivery)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from apps.triggers.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.triggers.services import webhook_endpoint_create, webhook_endpoint_delete

from .hubspot import hubspot_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def delivered(acme, trivial, no_workers):
    endpoint, secret = webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source="hubspot",
                                               scheme="hubspot", input_mapping={"name": "/propertyValue"})
    body = json.dumps([{"eventId": 1, "propertyValue": "won"}]).encode()
    assert hubspot_post(Client(), f"/hooks/{endpoint.pk}/", secret, body).status_code == 202
    return endpoint


def test_deleting_an_endpoint_deletes_its_deliveries_and_events(acme, delivered):
    webhook_endpoint_delete(actor=acme, endpoint_id=delivered.pk)
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert not WebhookEvent.objects.exists()


def test_an_event_of_a_delivery_that_does_not_exist_is_refused(delivered):
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(organization_id=delivered.organization_id, endpoint=delivered,
                                    delivery_id=10**9, event_id="orphan", created_at=timezone.now())
    assert not WebhookEvent.objects.filter(event_id="orphan").exists()


def test_a_delivery_to_an_endpoint_that_does_not_exist_is_refused(delivered):
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(organization_id=delivered.organization_id, endpoint_id=uuid.uuid4(),
                                       received_at=timezone.now(), outcome="rejected", status_code=401)
