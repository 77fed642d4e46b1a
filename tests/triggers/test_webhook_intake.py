"""Webhooks in, end to end over HTTP: verified deliveries start one run with mapped inputs;
everything else is a clear 4xx, recorded with its reason, and starts nothing."""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.test import Client

from apps.runs.models import Run
from apps.triggers.events import events_start_pending
from apps.triggers.models import WebhookDelivery, WebhookEvent
from apps.triggers.schemes import standard
from apps.triggers.schemes.salesforce import ACK
from apps.triggers.services import webhook_endpoint_create, webhook_endpoint_rotate_secret

from .hubspot import hubspot_post

pytestmark = pytest.mark.django_db(transaction=True)

HUBSPOT_EVENTS = [{"eventId": 101, "subscriptionType": "deal.propertyChange", "portalId": 62515,
                   "objectId": 8812, "propertyName": "dealstage", "propertyValue": "closedwon"}]


def start_runs() -> int:
    """What the worker does once it is nudged: start the runs of accepted deliveries."""
    return events_start_pending()


def make_endpoint(actor, workflow, scheme, source="hubspot", **kw):
    endpoint, secret = webhook_endpoint_create(actor=actor, workflow_id=workflow.pk, source=source, scheme=scheme,
                                               **kw)
    return endpoint, secret, f"/hooks/{endpoint.pk}/"


@pytest.fixture
def hubspot_hook(acme, trivial):
    return make_endpoint(acme, trivial, "hubspot", input_mapping={"name": "/propertyValue"})


def test_a_signed_hubspot_delivery_starts_one_run_with_mapped_inputs(hubspot_hook, no_workers):
    endpoint, secret, path = hubspot_hook
    response = hubspot_post(Client(), path, secret, json.dumps(HUBSPOT_EVENTS).encode())

    assert response.status_code == 202, response.content
    delivery = WebhookDelivery.objects.get()
    assert response.json() == {"delivery": delivery.pk, "status": "accepted", "events": 1, "new_events": 1}
    assert start_runs() == 1 and start_runs() == 0
    run = Run.objects.get()
    assert run.trigger == "webhook" and run.inputs == {"name": "closedwon"}
    assert delivery.verified and delivery.outcome == "accepted"
    assert bytes(delivery.body) == json.dumps(HUBSPOT_EVENTS).encode()
    event = WebhookEvent.objects.get()
    assert event.event_id == "hubspot:101" and event.run_id == run.pk and event.delivery_id == delivery.pk
    assert run.trigger_ref == f"webhook:{endpoint.pk}:{delivery.pk}:hubspot:101"


def test_a_hubspot_batch_starts_one_run_per_event_and_skips_events_already_taken(hubspot_hook, no_workers):
    _, secret, path = hubspot_hook
    second = {**HUBSPOT_EVENTS[0], "eventId": 102, "propertyValue": "contractsent"}
    hubspot_post(Client(), path, secret, json.dumps(HUBSPOT_EVENTS).encode())

    response = hubspot_post(Client(), path, secret, json.dumps([HUBSPOT_EVENTS[0], second]).encode())
    assert response.status_code == 202 and response.json()["new_events"] == 1
    assert start_runs() == 2
    assert sorted(Run.objects.values_list("inputs__name", flat=True)) == ["closedwon", "contractsent"]


def test_the_same_hubspot_event_twice_is_refused_as_a_duplicate(hubspot_hook, no_workers):
    _, secret, path = hubspot_hook
    body = json.dumps(HUBSPOT_EVENTS).encode()
    assert hubspot_post(Client(), path, secret, body).status_code == 202

    again = hubspot_post(Client(), path, secret, body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_event"
    start_runs()
    assert Run.objects.count() == 1
    assert list(WebhookDelivery.objects.order_by("id").values_list("outcome", flat=True)) == ["accepted", "duplicate"]


def rejected(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    delivery = WebhookDelivery.objects.get(pk=response.json()["delivery"])
    assert delivery.outcome == "rejected" and delivery.error_code == code
    assert not delivery.events.exists() and start_runs() == 0
    assert not Run.objects.exists()


def test_a_tampered_body_is_refused_and_recorded(hubspot_hook, no_workers):
    _, secret, path = hubspot_hook
    body = json.dumps(HUBSPOT_EVENTS).encode()
    rejected(hubspot_post(Client(), path, secret, body.replace(b"closedwon", b"closedlost"), sign_body=body),
             401, "bad_signature")
    assert b"closedlost" in bytes(WebhookDelivery.objects.get().body), "the raw delivery is kept for inspection"


def test_a_signature_made_with_another_secret_is_refused(hubspot_hook, no_workers):
    _, _, path = hubspot_hook
    rejected(hubspot_post(Client(), path, "not-the-secret", json.dumps(HUBSPOT_EVENTS).encode()), 401,
             "bad_signature")


@pytest.mark.parametrize("offset_ms, code", [(-6 * 60_000, "stale_timestamp"), (6 * 60_000, "future_timestamp")])
def test_timestamps_outside_the_window_are_refused(hubspot_hook, no_workers, offset_ms, code):
    _, secret, path = hubspot_hook
    ts = int(time.time() * 1000) + offset_ms
    rejected(hubspot_post(Client(), path, secret, json.dumps(HUBSPOT_EVENTS).encode(), ts_ms=ts), 401, code)


def test_a_missing_signature_is_refused(hubspot_hook, no_workers):
    _, _, path = hubspot_hook
    rejected(Client().post(path, json.dumps(HUBSPOT_EVENTS), content_type="application/json"), 401,
             "missing_signature")


@pytest.mark.parametrize("body", [b"{not json", b'[{"eventId": 1, "propertyValue": NaN}]', b"\xff\xfe",
                                  b"[" * 100_000])
def test_a_signed_body_that_is_not_json_is_refused(hubspot_hook, no_workers, body):
    _, secret, path = hubspot_hook
    rejected(hubspot_post(Client(), path, secret, body), 400, "malformed_body")


def test_a_payload_without_the_mapped_field_is_refused(hubspot_hook, no_workers):
    _, secret, path = hubspot_hook
    rejected(hubspot_post(Client(), path, secret, b'[{"eventId": 7}]'), 422, "mapping_failed")


def test_an_oversize_body_is_refused_without_being_read(hubspot_hook, no_workers, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 2048
    _, secret, path = hubspot_hook
    body = json.dumps([{**HUBSPOT_EVENTS[0], "propertyValue": "x" * 4000}]).encode()
    rejected(hubspot_post(Client(), path, secret, body), 413, "body_too_large")
    delivery = WebhookDelivery.objects.get()
    assert bytes(delivery.body) == b"" and delivery.body_size == len(body)


def test_an_unknown_endpoint_is_404_and_a_get_is_405(hubspot_hook):
    assert Client().post("/hooks/00000000-0000-0000-0000-000000000000/", b"{}",
                         content_type="application/json").status_code == 404
    assert Client().get(hubspot_hook[2]).status_code == 405


def test_standard_webhooks_accept_the_previous_secret_until_the_next_rotation(acme, trivial, no_workers):
    endpoint, old, path = make_endpoint(acme, trivial, "standard_webhooks", source="generic",
                                        input_mapping={"name": "/name"})
    _, new = webhook_endpoint_rotate_secret(actor=acme, endpoint_id=endpoint.pk)

    def post(secret, msg_id):
        ts = int(time.time())
        body = json.dumps({"name": msg_id}).encode()
        return Client().post(path, body, content_type="application/json", HTTP_WEBHOOK_ID=msg_id,
                             HTTP_WEBHOOK_TIMESTAMP=str(ts),
                             HTTP_WEBHOOK_SIGNATURE=standard.standard_sign(secret, msg_id, ts, body))

    assert post(new, "msg_1").status_code == 202
    assert post(old, "msg_2").status_code == 202
    webhook_endpoint_rotate_secret(actor=acme, endpoint_id=endpoint.pk)
    assert post(old, "msg_3").status_code == 401
    start_runs()
    assert sorted(Run.objects.values_list("inputs__name", flat=True)) == ["msg_1", "msg_2"]


def test_stripe_style_deliveries_dedupe_by_event_id(acme, trivial, no_workers):
    _, secret, path = make_endpoint(acme, trivial, "stripe", source="stripe", secret="whsec_test_secret")
    body = b'{"id": "evt_1", "object": "event", "type": "invoice.paid"}'

    def post():
        t = int(time.time())
        return Client().post(path, body, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=f"t={t},v1={standard.stripe_sign(secret, t, body)}")

    assert post().status_code == 202
    assert post().status_code == 409
    start_runs()
    assert Run.objects.count() == 1


def test_pipedrive_basic_auth_needs_the_right_user_and_password(acme, trivial, no_workers):
    _, secret, path = make_endpoint(acme, trivial, "basic", source="pipedrive", settings={"username": "pd"},
                                    static_inputs={"name": "pipedrive"})

    def post(user, password, body=b'{"meta": {"id": 1}}'):
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        return Client().post(path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}")

    assert post("pd", "wrong").status_code == 401
    assert post("other", secret).status_code == 401
    assert post("pd", secret).status_code == 202
    start_runs()
    assert Run.objects.get().inputs == {"name": "pipedrive"}


def test_zoho_shared_token_in_a_header_or_the_query_string(acme, trivial, no_workers):
    _, secret, path = make_endpoint(acme, trivial, "shared_token", source="zoho",
                                    settings={"event_id_pointer": "/id"})

    assert Client().post(path, b'{"id": 1}', content_type="application/json",
                         HTTP_X_WEBHOOK_TOKEN=secret).status_code == 202
    assert Client().post(f"{path}?token={secret}", b'{"id": 2}', content_type="application/json").status_code == 202
    assert Client().post(path, b'{"id": 3}', content_type="application/json",
                         HTTP_X_WEBHOOK_TOKEN="nope").status_code == 401
    assert Client().post(f"{path}?token={secret}", b'{"id": 2}',
                         content_type="application/json").status_code == 409


SALESFORCE_MESSAGE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <ActionId>04k5g000000XXXXAAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/58.0/00D5g</EnterpriseUrl>
   <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/58.0/00D5g</PartnerUrl>
   <Notification>
    <Id>04l5g00000ABCDEAA1</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>0065g00000Zz9QAAS</sf:Id>
     <sf:Name>Acme renewal</sf:Name>
     <sf:StageName>Closed Won</sf:StageName>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>"""
ORG_ID = "00D5g000004ABCDEAA"


@pytest.fixture
def salesforce_hook(acme, trivial):
    return make_endpoint(acme, trivial, "salesforce_soap", source="salesforce",
                         settings={"organization_id": ORG_ID, "ip_allowlist": ["127.0.0.0/8"]},
                         input_mapping={"name": "/notification/fields/Name"})


def test_a_salesforce_outbound_message_is_acknowledged_and_starts_a_run(salesforce_hook, no_workers):
    _, _, path = salesforce_hook
    body = SALESFORCE_MESSAGE.format(org=ORG_ID).encode()
    response = Client().post(path, body, content_type="text/xml; charset=utf-8", HTTP_SOAPACTION='""')

    assert response.status_code == 200 and response.content == ACK
    start_runs()
    assert Run.objects.get().inputs == {"name": "Acme renewal"}
    again = Client().post(path, body, content_type="text/xml; charset=utf-8")
    assert again.status_code == 200 and again.content == ACK, "a retry is acknowledged so Salesforce stops"
    start_runs()
    assert Run.objects.count() == 1
    assert WebhookDelivery.objects.filter(outcome="duplicate").count() == 1


def test_a_salesforce_message_from_another_org_or_address_is_refused(salesforce_hook, no_workers):
    _, _, path = salesforce_hook
    rejected(Client().post(path, SALESFORCE_MESSAGE.format(org="00D000000000001AAA").encode(),
                           content_type="text/xml"), 403, "wrong_organization")
    WebhookDelivery.objects.all().delete()
    rejected(Client(REMOTE_ADDR="203.0.113.9").post(path, SALESFORCE_MESSAGE.format(org=ORG_ID).encode(),
                                                    content_type="text/xml"), 403, "ip_not_allowed")


def test_a_salesforce_message_with_an_entity_declaration_is_refused(salesforce_hook, no_workers):
    _, _, path = salesforce_hook
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
            + SALESFORCE_MESSAGE.format(org=ORG_ID).split("?>", 1)[1])
    rejected(Client().post(path, bomb.encode(), content_type="text/xml"), 400, "malformed_body")


def test_inputs_the_workflow_refuses_are_recorded_on_the_delivery_and_start_nothing(acme, trivial, no_workers):
    _, secret, path = make_endpoint(acme, trivial, "shared_token", source="zoho", input_mapping={"name": "/n"})
    response = Client().post(path, b'{"n": 42}', content_type="application/json", HTTP_X_WEBHOOK_TOKEN=secret)

    assert response.status_code == 202
    assert start_runs() == 0
    event = WebhookEvent.objects.get()
    assert event.error_code == "inputs_rejected" and "inputs.name" in event.error
    assert not Run.objects.exists()


def test_a_delivery_whose_nudge_was_lost_is_started_by_the_sweep(hubspot_hook, no_workers):
    from datetime import timedelta

    from django.utils import timezone

    from apps.triggers.events import events_sweep

    _, secret, path = hubspot_hook
    hubspot_post(Client(), path, secret, json.dumps(HUBSPOT_EVENTS).encode())
    assert events_sweep(now=timezone.now()) == 0, "too recent: its nudge may still be on the way"
    assert events_sweep(now=timezone.now() + timedelta(minutes=1)) == 1
    assert Run.objects.count() == 1


def test_with_a_worker_running_a_verified_delivery_becomes_a_finished_run(hubspot_hook, celery):
    from tests.support import wait_for

    celery.ensure_workers(1)
    _, secret, path = hubspot_hook
    try:
        assert hubspot_post(Client(), path, secret, json.dumps(HUBSPOT_EVENTS).encode()).status_code == 202
        run = wait_for(lambda: Run.objects.filter(status="succeeded").first(), timeout=60,
                       what="the worker to start and finish the delivery's run")
    finally:
        celery.stop_all()
    assert run.outputs["result"]["greeting"] == "Hello, closedwon!"
    assert WebhookEvent.objects.get().run_id == run.pk


def test_a_request_without_a_client_address_is_still_recorded(hubspot_hook, no_workers):
    _, secret, path = hubspot_hook
    response = hubspot_post(Client(REMOTE_ADDR=""), path, secret, json.dumps(HUBSPOT_EVENTS).encode())

    assert response.status_code == 202
    assert WebhookDelivery.objects.get().remote_addr is None


def test_a_nul_character_in_the_mapped_data_or_event_id_is_refused_not_a_server_error(acme, trivial, no_workers):
    endpoint, secret, path = make_endpoint(acme, trivial, "shared_token", source="zoho",
                                           input_mapping={"name": "/n"}, settings={"event_id_pointer": "/id"})

    response = Client().post(path, json.dumps({"n": "a\u0000b", "id": 1}), content_type="application/json",
                             HTTP_X_WEBHOOK_TOKEN=secret)
    assert response.status_code == 422 and response.json()["error"]["code"] == "mapping_failed"
    response = Client().post(path, json.dumps({"n": "ok", "id": "a\u0000b"}), content_type="application/json",
                             HTTP_X_WEBHOOK_TOKEN=secret)
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_body"


def test_the_portable_write_used_on_sqlite_dedupes_the_same_way(hubspot_hook, no_workers, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", "sqlite")  # the embedded mode's code path, on this database
    _, secret, path = hubspot_hook
    second = {**HUBSPOT_EVENTS[0], "eventId": 102, "propertyValue": "contractsent"}

    assert hubspot_post(Client(), path, secret, json.dumps(HUBSPOT_EVENTS).encode()).status_code == 202
    response = hubspot_post(Client(), path, secret, json.dumps([HUBSPOT_EVENTS[0], second]).encode())
    assert response.status_code == 202 and response.json()["new_events"] == 1
    assert hubspot_post(Client(), path, secret, json.dumps([second]).encode()).status_code == 409
    assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == ["hubspot:101", "hubspot:102"]
