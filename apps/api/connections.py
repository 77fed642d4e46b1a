"""Checking that a connection works, for the API's "test" action."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.accounts.services import audit_record
from apps.automations.crypto import decrypt_secrets
from apps.automations.models import Connection
from apps.automations.selectors import connection_get


def connection_test(*, actor: Actor, connection_id: int) -> Connection:
    """Build the connector from the stored settings and secrets and, when its type offers
    a live check (it overrides ``Connector._check``), run it through ``check()``. The outcome is stored on the connection;
    ``last_test_ok`` stays empty when the type has no live check, so nobody mistakes
    "the settings were accepted" for "the remote system answered"."""
    actor.require("manage")
    connection = connection_get(actor=actor, connection_id=connection_id)
    from connectors.base import Connector, ConnectorError
    from connectors.registry import connector_class

    ok: bool | None
    try:
        cls = connector_class(connection.connector_type)
        connector = cls(settings=connection.settings, secrets=decrypt_secrets(connection.secrets_encrypted))
        try:
            if type(connector)._check is not Connector._check:
                connector.check()
                ok, message = True, "the remote system answered"
            else:
                ok, message = None, f"settings accepted; {connection.connector_type} connections have no live check yet"
        finally:
            connector.close()
    except ConnectorError as exc:
        ok, message = False, str(exc)
    except (KeyError, TypeError, ValueError) as exc:
        ok, message = False, f"the connection's settings are not usable: {exc}"
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(
            last_tested_at=timezone.now(), last_test_ok=ok, last_test_message=message[:500])
        audit_record(actor=actor, action="connection.test", target_type="connection", target_id=connection.pk,
                     details={"ok": ok})
    connection.refresh_from_db()
    return connection
