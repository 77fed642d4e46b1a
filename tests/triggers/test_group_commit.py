"""Deliveries that arrive together are written together (apps/triggers/accept.py), and
each is still answered on its own: only after the commit that holds it, with its own
dedupe, endpoint check and error.

To make a batch form on purpose, the deliveries table is locked from another connection:
the first delivery's write waits on the lock (it leads), the next ones queue behind it,
and releasing the lock lets the first commit alone and the rest commit as one batch.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

import pytest
from django.db import DataError, connection, connections, transaction
from django.test import Client
from django.utils import timezone

from apps.automations.services import workflow_create
from apps.triggers import accept
from apps.triggers.endpoints import endpoint_read
from apps.triggers.models import DeliveryOutcome, WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.triggers.services import webhook_endpoint_create
from tests.support import wait_for
import workflows.templates

from .hubspot import hubspot_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hook(acme, trivial):
    return webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source="hubspot", scheme="hubspot",
                                   input_mapping={"name": "/propertyValue"})


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


def in_thread(pool: ThreadPoolExecutor, fn, *args) -> Future:
    def run():
        try:
            return fn(*args)
        finally:
            connection.close()  # each thread's own connection, not left open past the test database
    return pool.submit(run)


def deliver(endpoint, secret, event_id: int):
    body = json.dumps([{"eventId": event_id, "propertyValue": f"stage-{event_id}"}]).encode()
    return hubspot_post(Client(), f"/hooks/{endpoint.pk}/", secret, body)


@contextmanager
def deliveries_table_locked():
    holder = connections.create_connection("default")
    holder.ensure_connection()
    try:
        with holder.connection.transaction():
            holder.connection.execute(f"LOCK TABLE {WebhookDelivery._meta.db_table} IN EXCLUSIVE MODE")
            yield
    finally:
        holder.close()


def a_write_is_waiting_on_the_lock() -> bool:
    return writes_waiting(1)


def writes_waiting(n: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] >= n


def queued(n: int):
    wait_for(lambda: len(accept._group._waiting) >= n, timeout=30, interval=0.01, what=f"{n} queued deliveries")


def transactions_that_wrote(deliveries) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT xmin::text) FROM {WebhookDelivery._meta.db_table} WHERE id = ANY(%s)",
                       [list(deliveries)])
        return cursor.fetchone()[0]


def test_deliveries_arriving_together_commit_as_one_batch_and_each_is_answered_after_it(hook, pool, no_workers):
    endpoint, secret = hook
    with deliveries_table_locked():
        first = in_thread(pool, deliver, endpoint, secret, 1)
        wait_for(a_write_is_waiting_on_the_lock, timeout=30, interval=0.01, what="the first write to wait")
        rest = [in_thread(pool, deliver, endpoint, secret, i) for i in range(2, 7)]
        queued(5)
        assert not any(f.done() for f in [first, *rest])  # nobody is answered before their commit
    responses = [f.result(timeout=30) for f in [first, *rest]]

    assert [r.status_code for r in responses] == [202] * 6
    ids = [r.json()["delivery"] for r in responses]
    assert len(set(ids)) == 6
    assert transactions_that_wrote(ids) == 2  # the first alone, the five that queued behind it together
    assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == [f"hubspot:{i}" for i in range(1, 7)]
    assert {e.delivery_id: e.inputs for e in WebhookEvent.objects.all()} == {
        r.json()["delivery"]: {"name": f"stage-{i}"} for i, r in enumerate(responses, 1)}


def test_the_same_event_twice_in_one_batch_is_accepted_once(hook, pool, no_workers):
    endpoint, secret = hook
    with deliveries_table_locked():
        first = in_thread(pool, deliver, endpoint, secret, 1)
        wait_for(a_write_is_waiting_on_the_lock, timeout=30, interval=0.01, what="the first write to wait")
        twins = [in_thread(pool, deliver, endpoint, secret, 7) for _ in range(2)]
        queued(2)
    assert first.result(timeout=30).status_code == 202
    twins = [f.result(timeout=30) for f in twins]

    assert sorted(r.status_code for r in twins) == [202, 409]
    duplicate = next(r for r in twins if r.status_code == 409)
    assert duplicate.json()["error"]["code"] == "duplicate_event"
    assert WebhookDelivery.objects.get(pk=duplicate.json()["delivery"]).outcome == DeliveryOutcome.DUPLICATE
    assert WebhookEvent.objects.filter(event_id="hubspot:7").count() == 1


def test_a_delivery_whose_endpoint_was_disabled_while_it_waited_is_refused_alone(acme, hook, pool, no_workers):
    endpoint, secret = hook
    other_workflow = workflow_create(actor=acme, name="other", spec=workflows.templates.load("trivial"))
    other, other_secret = webhook_endpoint_create(actor=acme, workflow_id=other_workflow.pk, source="hubspot",
                                                  scheme="hubspot", input_mapping={"name": "/propertyValue"})
    # Both endpoints are remembered from a first delivery, as on a busy server.
    assert deliver(endpoint, secret, 1).status_code == 202
    assert deliver(other, other_secret, 1).status_code == 202

    with deliveries_table_locked():
        first = in_thread(pool, deliver, endpoint, secret, 2)
        wait_for(a_write_is_waiting_on_the_lock, timeout=30, interval=0.01, what="the first write to wait")
        to_other = in_thread(pool, deliver, other, other_secret, 2)
        to_endpoint = in_thread(pool, deliver, endpoint, secret, 3)
        queued(2)
        WebhookEndpoint.objects.filter(pk=other.pk).update(enabled=False)

    assert first.result(timeout=30).status_code == 202
    assert to_endpoint.result(timeout=30).status_code == 202
    assert to_other.result(timeout=30).status_code == 404
    assert WebhookDelivery.objects.filter(endpoint=other).count() == 1  # the one before it was disabled
    assert WebhookEvent.objects.filter(endpoint=endpoint).count() == 3


def acceptance(endpoint, event_id: str, *, remote_addr: str = "203.0.113.9") -> accept.Acceptance:
    now = timezone.now()
    return accept.Acceptance(
        endpoint_id=endpoint.pk, version=endpoint_read(endpoint.pk).version,
        organization_id=endpoint.organization_id, received_at=now, remote_addr=remote_addr, headers="{}",
        body=b"{}", body_size=2, events=json.dumps([{"event_id": event_id, "inputs": {}}]))


def test_a_delivery_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_accepted(hook, pool):
    endpoint, _ = hook
    with deliveries_table_locked():
        first = in_thread(pool, accept.delivery_accept, acceptance(endpoint, "a"))
        wait_for(a_write_is_waiting_on_the_lock, timeout=30, interval=0.01, what="the first write to wait")
        refused = in_thread(pool, accept.delivery_accept, acceptance(endpoint, "b", remote_addr="not an address"))
        queued(1)
        last = in_thread(pool, accept.delivery_accept, acceptance(endpoint, "c"))
        queued(2)

    assert first.result(timeout=30)[1] == 1
    assert last.result(timeout=30)[1] == 1
    with pytest.raises(DataError, match="inet"):
        refused.result(timeout=30)
    assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == ["a", "c"]
    assert WebhookDelivery.objects.count() == 2


def test_a_batch_is_bounded_by_count_and_by_the_bodies_it_carries(hook):
    endpoint, _ = hook
    group = accept.GroupCommit(max_batch=3, max_bytes=100)
    small = [accept._Waiter(acceptance(endpoint, str(i))) for i in range(5)]
    group._waiting = list(small)
    assert group._take() == small[:3]
    assert group._take() == small[3:]

    big = [accept._Waiter(replace(acceptance(endpoint, str(i)), body=b"x" * 60)) for i in range(3)]
    group._waiting = list(big)
    assert group._take() == big[:1]  # two would carry 120 bytes
    huge = accept._Waiter(replace(acceptance(endpoint, "huge"), body=b"x" * 500))
    group._waiting = [huge, *big[1:]]
    assert group._take() == [huge]  # a body over the bound still goes, alone


def test_a_delivery_received_inside_a_transaction_never_joins_a_batch(hook, pool):
    """Written alone on the caller's transaction: it rolls back with it, and it never
    carries another request's delivery into that transaction (nor rides on another's)."""
    endpoint, _ = hook

    def inside_a_transaction_that_fails():
        with pytest.raises(RuntimeError), transaction.atomic():
            assert accept.delivery_accept(acceptance(endpoint, "rolled-back"))[1] == 1
            raise RuntimeError("the caller's transaction fails")

    with deliveries_table_locked():
        first = in_thread(pool, accept.delivery_accept, acceptance(endpoint, "first"))
        wait_for(a_write_is_waiting_on_the_lock, timeout=30, interval=0.01, what="the first write to wait")
        rolled_back = in_thread(pool, inside_a_transaction_that_fails)
        # Its own write, waiting on the lock, rather than a place in the queue.
        wait_for(lambda: writes_waiting(2), timeout=30, interval=0.01, what="the transaction's write to wait")
        after = in_thread(pool, accept.delivery_accept, acceptance(endpoint, "after"))
        queued(1)
        assert len(accept._group._waiting) == 1

    assert first.result(timeout=30)[1] == 1
    assert after.result(timeout=30)[1] == 1
    rolled_back.result(timeout=30)
    assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == ["after", "first"]
    assert WebhookDelivery.objects.count() == 2
