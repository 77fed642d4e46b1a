"""The accepting INSERT is its own connection health check: a delivery that meets a pooled
connection the server has dropped is sent again on a new one, and accepted once."""

from __future__ import annotations

import json
import time

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client

from apps.triggers.models import WebhookEvent
from apps.triggers.services import webhook_endpoint_create

from .hubspot import hubspot_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hook(acme, trivial):
    return webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source="hubspot", scheme="hubspot")


def deliver(endpoint, secret, event_id: int):
    return hubspot_post(Client(), f"/hooks/{endpoint.pk}/", secret, json.dumps([{"eventId": event_id}]).encode())


def drop_connection() -> None:
    """What a database restart or an idle-connection timeout does to a pooled connection."""
    pid = connection.connection.info.backend_pid
    s = connection.settings_dict
    with psycopg.connect(host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], password=s["PASSWORD"],
                         dbname=s["NAME"], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return
            time.sleep(0.05)
    raise AssertionError("the backend did not go away")


def test_a_delivery_on_a_dropped_connection_is_sent_again_and_accepted_once(hook, no_workers):
    endpoint, secret = hook
    assert deliver(endpoint, secret, 1).status_code == 202
    drop_connection()
    connection.health_check_done = False  # a new request on the pooled connection (close_old_connections)

    assert deliver(endpoint, secret, 2).status_code == 202
    assert list(WebhookEvent.objects.order_by("id").values_list("event_id", flat=True)) == ["hubspot:1", "hubspot:2"]


def test_a_connection_lost_after_it_was_checked_is_an_error_not_a_silent_resend(hook, no_workers):
    endpoint, secret = hook
    assert deliver(endpoint, secret, 1).status_code == 202
    drop_connection()
    connection.health_check_done = True  # already used in this request: nothing says it was dead before

    try:
        with pytest.raises(OperationalError):
            deliver(endpoint, secret, 2)
    finally:
        connection.close()
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == ["hubspot:1"]
