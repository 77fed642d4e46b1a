"""Outbound notifications: finished runs are POSTed once, signed with Standard Webhooks,
retried with backoff, and never sent to a loopback or private address unless allowed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.runs.services import run_create
from apps.triggers.models import NotifyDelivery
from apps.triggers.notify import MAX_ATTEMPTS, notify_sweep
from apps.triggers.schemes import EndpointKeys, InboundRequest
from apps.triggers.schemes.standard import verify_standard
from apps.triggers.services import notify_hook_create
from tests.support import advance_until_paused

pytestmark = pytest.mark.django_db(transaction=True)


def finished_run(actor, workflow, name="Ada"):
    return advance_until_paused(run_create(actor=actor, workflow_id=workflow.pk, inputs={"name": name}))


def test_a_finished_run_is_posted_once_with_a_verifiable_signature(acme, trivial, receiver, loopback_allowed,
                                                                   no_workers):
    hook, secret = notify_hook_create(actor=acme, workflow_id=trivial.pk, url=receiver.url)
    run = finished_run(acme, trivial)

    assert notify_sweep(now=timezone.now()) == 1
    assert notify_sweep(now=timezone.now()) == 0
    [(headers, body)] = receiver.requests
    verified = verify_standard(InboundRequest(method="POST", url=receiver.url, headers=headers, body=body),
                               EndpointKeys(secrets=(secret,), settings={}), timezone.now())
    assert verified.payload["type"] == "run.finished"
    assert verified.payload["data"]["run"] == str(run.pk) and verified.payload["data"]["status"] == "succeeded"
    assert verified.payload["data"]["outputs"]["result"]["loud"] == "HELLO, ADA!"
    delivery = NotifyDelivery.objects.get()
    assert delivery.status == "sent" and delivery.message_id == headers["webhook-id"]


def test_a_failed_delivery_is_retried_after_a_backoff(acme, trivial, receiver, loopback_allowed, no_workers):
    notify_hook_create(actor=acme, workflow_id=trivial.pk, url=receiver.url)
    finished_run(acme, trivial)
    receiver.statuses = [503]
    now = timezone.now()

    notify_sweep(now=now)
    delivery = NotifyDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code == 503
    assert delivery.next_attempt_at == now + timedelta(seconds=30)

    assert notify_sweep(now=now + timedelta(seconds=10)) == 0, "not before the backoff"
    notify_sweep(now=now + timedelta(seconds=31))
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2
    assert len(receiver.requests) == 2
    assert receiver.requests[0][0]["webhook-id"] == receiver.requests[1][0]["webhook-id"], "same message id"


def test_a_delivery_gives_up_after_the_last_attempt(acme, trivial, receiver, loopback_allowed, no_workers):
    notify_hook_create(actor=acme, workflow_id=trivial.pk, url=receiver.url)
    finished_run(acme, trivial)
    receiver.statuses = [500] * MAX_ATTEMPTS
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        now += timedelta(hours=3)
        notify_sweep(now=now)

    delivery = NotifyDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_a_loopback_url_is_refused_without_the_operators_allowlist(acme, trivial, receiver, no_workers):
    notify_hook_create(actor=acme, workflow_id=trivial.pk, url=receiver.url)
    finished_run(acme, trivial)

    notify_sweep(now=timezone.now())
    delivery = NotifyDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "refusing to connect" in delivery.last_error
    assert receiver.requests == []


def test_runs_finished_before_the_hook_existed_are_not_notified(acme, trivial, receiver, loopback_allowed,
                                                                no_workers):
    finished_run(acme, trivial, name="old")
    notify_hook_create(actor=acme, workflow_id=trivial.pk, url=receiver.url)
    finished_run(acme, trivial, name="new")

    notify_sweep(now=timezone.now())
    assert [json.loads(b)["data"]["outputs"]["result"]["greeting"] for _, b in receiver.requests] == ["Hello, new!"]


def test_discovery_takes_one_query_however_many_hooks_there_are(acme, trivial, no_workers):
    import workflows.templates
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.automations.services import workflow_create
    from apps.triggers.notify import notify_discover

    other = workflow_create(actor=acme, name="other", spec=workflows.templates.load("trivial"))
    hooks = [notify_hook_create(actor=acme, workflow_id=w.pk, url=f"https://example.com/{i}")[0]
             for i, w in enumerate([trivial, trivial, other, other, other])]
    runs = [finished_run(acme, w) for w in (trivial, other, other)]
    disabled = hooks[-1]
    type(disabled).objects.filter(pk=disabled.pk).update(enabled=False)

    with CaptureQueriesContext(connection) as queries:
        assert notify_discover(now=timezone.now()) == 2 * 1 + 2 * 2
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert (statements.count("SELECT"), statements.count("INSERT")) == (1, 1), "one SELECT for every hook"
    assert sorted((d.hook_id, d.run_id) for d in NotifyDelivery.objects.all()) == sorted(
        [(h.pk, runs[0].pk) for h in hooks[:2]] + [(h.pk, r.pk) for h in hooks[2:4] for r in runs[1:]])
    assert notify_discover(now=timezone.now()) == 0
