"""The accepting write of webhook intake: several deliveries per statement when they
arrive together (group commit).

A delivery is answered 202 only once it is durable, and on PostgreSQL that costs a commit
per statement: a round trip, a WAL flush and the transaction's own bookkeeping (writing
deliveries in batches cut PostgreSQL's CPU per delivery by about a third in
bench/webhooks_intake.py). When several request threads of one process
reach this write at the same moment, the first one in (the leader) writes every delivery
waiting so far in one statement while the others wait for it; each is still answered only
after the commit that holds its own row. A delivery that arrives alone is written at once,
so grouping never adds a wait, and the leader writes one batch only: whoever is waiting
when it is done leads the next one.

One statement per batch also keeps every check of the single write: each delivery is
inserted only if its endpoint row is still enabled and still holds the version it was
verified against, and its events are deduplicated on (endpoint, event id), between
deliveries of the same batch too (the first one written takes the event).

Grouping only happens outside a transaction: a delivery received inside the caller's
transaction must commit or roll back with it, so it is written alone on that transaction.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from apps.common.db import fetchall_prepared

from .endpoints import VERSION_SQL
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent

log = logging.getLogger(__name__)

# A batch is bounded so that one statement stays a reasonable size: by count, and by the
# raw bodies it carries (each at most WEBHOOK_MAX_BODY_BYTES).
MAX_BATCH = 32
MAX_BATCH_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Acceptance:
    """One verified delivery to write. ``headers`` and ``events`` are JSON text; ``events``
    is a list of ``{"event_id": ..., "inputs": {...}}``."""

    endpoint_id: object
    version: str
    organization_id: int
    received_at: datetime
    remote_addr: str | None
    headers: str
    body: bytes
    body_size: int
    events: str


@lru_cache(maxsize=MAX_BATCH)
def _accept_sql(size: int) -> str:
    """The statement that writes ``size`` deliveries: one per batch size, each prepared
    once per connection. Rows of plain parameters rather than arrays, which psycopg
    adapts in Python at several times the cost."""
    endpoint, delivery, event = (WebhookEndpoint._meta.db_table, WebhookDelivery._meta.db_table,
                                 WebhookEvent._meta.db_table)
    row = ("%s::uuid, %s::text, %s::bigint, %s::timestamptz, %s::inet, %s::jsonb, %s::bytea, %s::integer, "
           "%s::jsonb")
    values = ",\n".join(f"({n}, {row})" for n in range(size))
    # The delivery ids are drawn before the INSERT so that each result row can be matched to
    # its delivery (an INSERT ... SELECT cannot return the columns it did not insert). The
    # version check reads the endpoint row in the same statement, so under the same snapshot.
    return f"""
        WITH x (n, endpoint_id, version, organization_id, received_at, remote_addr, headers, body, body_size,
                events) AS (
            VALUES {values}
        ), ok AS MATERIALIZED (
            SELECT nextval(pg_get_serial_sequence('{delivery}', 'id')) AS id, x.*
            FROM x
            WHERE EXISTS (SELECT FROM {endpoint} WHERE id = x.endpoint_id AND enabled AND {VERSION_SQL} = x.version)
        ), d AS (
            INSERT INTO {delivery} (id, organization_id, endpoint_id, received_at, remote_addr, headers, body,
                                    body_size, verified, outcome, status_code, error_code, error)
            SELECT id, organization_id, endpoint_id, received_at, remote_addr, headers, body, body_size,
                   true, 'accepted', 202, '', ''
            FROM ok
        ), e AS (
            INSERT INTO {event} (organization_id, endpoint_id, delivery_id, event_id, inputs, error_code, error,
                                 created_at)
            SELECT ok.organization_id, ok.endpoint_id, ok.id, v.event_id, v.inputs, '', '', ok.received_at
            FROM ok, ROWS FROM (jsonb_to_recordset(ok.events) AS (event_id text, inputs jsonb))
                     WITH ORDINALITY AS v(event_id, inputs, i)
            ORDER BY ok.n, v.i
            ON CONFLICT (endpoint_id, event_id) DO NOTHING
            RETURNING delivery_id
        )
        SELECT ok.n, ok.id, (SELECT count(*) FROM e WHERE e.delivery_id = ok.id) FROM ok
    """


def _write(db, batch: list[Acceptance]) -> list[tuple[int, int] | None]:
    """Write ``batch`` in one statement; per delivery ``(delivery id, new events)``, or None
    when its endpoint row no longer agrees (nothing of it written)."""
    params = []
    for a in batch:
        params += (a.endpoint_id, a.version, a.organization_id, a.received_at, a.remote_addr, a.headers, a.body,
                   a.body_size, a.events)
    outcomes: list[tuple[int, int] | None] = [None] * len(batch)
    for n, delivery_id, accepted in fetchall_prepared(db, _accept_sql(len(batch)), params):
        outcomes[n] = (delivery_id, accepted)
    return outcomes


class _Waiter:
    __slots__ = ("acceptance", "done", "lead", "outcome", "error")

    def __init__(self, acceptance: Acceptance):
        self.acceptance = acceptance
        # Held until the waiter is answered or made the leader: a bare lock as a one-shot
        # latch, all in C, where an Event costs a Condition's Python code on both sides.
        # Only a waiter that does not lead has one.
        self.done: threading.Lock | None = None
        self.lead = False
        self.outcome: tuple[int, int] | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Deliveries waiting to be written by one process, and whether a leader is writing."""

    def __init__(self, max_batch: int = MAX_BATCH, max_bytes: int = MAX_BATCH_BYTES):
        self.max_batch, self.max_bytes = max_batch, max_bytes
        self._lock = threading.Lock()
        self._waiting: list[_Waiter] = []
        self._leading = False

    def accept(self, db, acceptance: Acceptance) -> tuple[int, int] | None:
        """Write ``acceptance`` (alone or with others) and return once it committed."""
        me = _Waiter(acceptance)
        with self._lock:
            self._waiting.append(me)
            lead = not self._leading
            if lead:
                self._leading = True
            else:
                me.done = threading.Lock()
                me.done.acquire()
        if not lead:
            me.done.acquire()
            if not me.lead:
                if me.error is not None:
                    raise me.error
                return me.outcome
        batch = self._take()
        try:
            outcomes = self._write_batch(db, batch)
        except BaseException as exc:  # whatever happened, nobody in the batch may wait forever
            outcomes = [exc] * len(batch)
        finally:
            self._pass_lead()
        for waiter, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                waiter.error = outcome
            else:
                waiter.outcome = outcome
            if waiter is not me:
                waiter.done.release()
        if me.error is not None:
            raise me.error
        return me.outcome

    def _take(self) -> list[_Waiter]:
        """The waiting deliveries, in arrival order, up to the batch bounds; the leader's own
        is first, since a leader is either the first arrival or the oldest one waiting."""
        with self._lock:
            size = total = 0
            for waiter in self._waiting:
                total += len(waiter.acceptance.body)
                if size and (size == self.max_batch or total > self.max_bytes):
                    break
                size += 1
            batch, self._waiting = self._waiting[:size], self._waiting[size:]
        return batch

    def _pass_lead(self) -> None:
        with self._lock:
            if self._waiting:
                successor = self._waiting[0]
                successor.lead = True
                successor.done.release()
            else:
                self._leading = False

    @staticmethod
    def _write_batch(db, batch: list[_Waiter]) -> list[tuple[int, int] | None | BaseException]:
        """A batch that fails is written again one delivery at a time, so that a delivery
        the database refuses fails alone and an error reaches every request it concerns."""
        try:
            return _write(db, [w.acceptance for w in batch])
        except DatabaseError as exc:
            if len(batch) == 1:
                return [exc]
            log.warning("a batch of %d webhook deliveries failed (%s); writing them one by one", len(batch), exc)
        outcomes: list[tuple[int, int] | None | BaseException] = []
        for waiter in batch:
            try:
                outcomes.append(_write(db, [waiter.acceptance])[0])
            except DatabaseError as exc:
                outcomes.append(exc)
        return outcomes


_group = GroupCommit()


def delivery_accept(acceptance: Acceptance) -> tuple[int, int] | None:
    """Write an accepted delivery and its events on PostgreSQL: ``(delivery id, events not
    seen before)``, or None, with nothing written, when the endpoint row no longer agrees
    with the version the delivery was verified against."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.in_atomic_block:
        return _write(db, [acceptance])[0]
    return _group.accept(db, acceptance)
