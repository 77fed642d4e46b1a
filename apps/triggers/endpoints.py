"""The endpoint rows intake reads, remembered in process memory.

Every delivery needs its endpoint's scheme, secrets and mapping, and endpoints change
rarely, so reading the row (and decrypting its secrets) per delivery is mostly waste. A
remembered row is only ever a guess, though, and intake never acts on the guess alone:

- a delivery is accepted by an INSERT that carries the ``version`` (a digest of every
  column read here) it was verified and mapped with, and inserts nothing unless the
  endpoint row, read by that same statement, is still enabled and still has that digest
  (intake.py); otherwise the row is read again;
- a delivery the remembered row would refuse is verified again against a fresh read
  before it is refused and recorded.

So a disabled endpoint, a rotated secret or a changed mapping takes effect with the next
delivery, however it was changed (``save()``, ``QuerySet.update()``, SQL). ``TTL`` only
bounds how long an endpoint that stopped receiving is held in memory.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection

from apps.automations.crypto import decrypt_secrets

from .models import WebhookEndpoint
from .schemes import EndpointKeys

TTL = 60.0
MAX_ENTRIES = 4096

# The digest of what intake reads from a row: computed by PostgreSQL when reading, and
# compared by the accepting INSERT. A content digest rather than ``updated_at``, which
# QuerySet.update() leaves alone.
VERSION_SQL = ("md5(ROW(organization_id, source, scheme, secrets_encrypted, settings, input_mapping, "
               "static_inputs)::text)")


@dataclass(frozen=True)
class IntakeEndpoint:
    """The columns of a WebhookEndpoint that intake reads."""

    pk: object
    organization_id: int
    source: str
    scheme: str
    secrets_encrypted: bytes
    settings: dict
    input_mapping: dict
    static_inputs: dict
    version: str

    def keys(self) -> EndpointKeys:
        return EndpointKeys(secrets=_decrypted(self.secrets_encrypted), settings=self.settings or {})


@lru_cache(maxsize=MAX_ENTRIES)
def _decrypted(ciphertext: bytes) -> tuple[str, ...]:
    """Keyed by the ciphertext: a rotated secret is a new ciphertext, so never a stale hit."""
    stored = decrypt_secrets(ciphertext)
    return tuple(s for s in (stored.get("current"), stored.get("previous")) if s)


_remembered: dict[object, tuple[IntakeEndpoint, float]] = {}
_lock = threading.Lock()


def endpoint_remembered(endpoint_id) -> IntakeEndpoint | None:
    entry = _remembered.get(endpoint_id)
    if entry is None or entry[1] < time.monotonic():
        return None
    return entry[0]


def endpoint_forget(endpoint_id) -> None:
    with _lock:
        _remembered.pop(endpoint_id, None)


def endpoint_read(endpoint_id) -> IntakeEndpoint | None:
    """The enabled endpoint from the database, remembered for the next delivery. Plain SQL:
    the ORM spends six times the CPU building and reading the same query."""
    if connection.vendor != "postgresql":  # the embedded SQLite mode
        row = (WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True).order_by()
               .values_list("id", "organization_id", "source", "scheme", "secrets_encrypted", "settings",
                            "input_mapping", "static_inputs").first())
        if row is not None:
            row = (*row, hashlib.md5(repr(row).encode()).hexdigest())
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, organization_id, source, scheme, secrets_encrypted, settings, input_mapping, "
                           f"static_inputs, {VERSION_SQL} FROM {WebhookEndpoint._meta.db_table} "
                           f"WHERE id = %s AND enabled", [endpoint_id])
            row = cursor.fetchone()
    if row is None:
        endpoint_forget(endpoint_id)
        return None
    endpoint = IntakeEndpoint(*row[:4], bytes(row[4]),
                              *(json.loads(v) if isinstance(v, str) else v for v in row[5:8]), row[8])
    with _lock:
        if len(_remembered) >= MAX_ENTRIES:
            _remembered.clear()
        _remembered[endpoint_id] = (endpoint, time.monotonic() + TTL)
    return endpoint


def endpoint_unchanged(endpoint: IntakeEndpoint) -> bool:
    """Whether the row is still enabled and holds what ``endpoint`` says (the SQLite mode's
    check; on PostgreSQL the accepting INSERT makes it itself)."""
    fresh = endpoint_read(endpoint.pk)
    return fresh is not None and fresh.version == endpoint.version
