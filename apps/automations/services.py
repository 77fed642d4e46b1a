"""Writes for workflows, their versions and connections."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

import workflows
from apps.accounts.actors import Actor
from apps.accounts.services import audit_record
from apps.common.errors import InvalidInput, NotFound, Problem

from .crypto import decrypt_secrets, encrypt_secrets
from .models import Connection, Workflow, WorkflowVersion
from .selectors import connection_get


def spec_checksum(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_spec(spec_data: Any) -> None:
    """Validate a spec with the workflow compiler; every problem is reported with its path."""
    try:
        workflows.load_spec(spec_data)
    except workflows.SpecError as exc:
        raise InvalidInput("the workflow spec is invalid",
                           [Problem(str(e.path), str(e.message)) for e in exc.errors]) from None


@transaction.atomic
def workflow_create(*, actor: Actor, name: str, spec: dict[str, Any], description: str = "",
                    template: str = "") -> Workflow:
    actor.require("edit")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("workflow not created", [Problem("name", "must not be empty")])
    check_spec(spec)
    if Workflow.objects.filter(organization=actor.organization, name=name, archived_at__isnull=True).exists():
        raise InvalidInput("workflow not created", [Problem("name", f"a workflow named {name!r} already exists")])
    workflow = Workflow.objects.create(organization=actor.organization, name=name, description=description,
                                       template=template, created_by_id=actor.user_id)
    _version_add(actor=actor, workflow=workflow, spec=spec, note="created")
    audit_record(actor=actor, action="workflow.create", target_type="workflow", target_id=workflow.pk)
    return workflow


@transaction.atomic
def workflow_update_spec(*, actor: Actor, workflow: Workflow, spec: dict[str, Any], note: str = "") -> WorkflowVersion:
    """Save a new version; an identical spec returns the current version unchanged."""
    workflow = (Workflow.objects.select_for_update()
                .filter(pk=workflow.pk, organization=actor.organization, archived_at__isnull=True).first())
    if workflow is None:
        raise NotFound("workflow not found")
    actor.require("edit")
    check_spec(spec)
    current = workflow.current_version
    if current is not None and current.checksum == spec_checksum(spec):
        return current
    version = _version_add(actor=actor, workflow=workflow, spec=spec, note=note)
    audit_record(actor=actor, action="workflow.update", target_type="workflow", target_id=workflow.pk,
                 details={"version": version.number})
    return version


def _version_add(*, actor: Actor, workflow: Workflow, spec: dict[str, Any], note: str) -> WorkflowVersion:
    last = workflow.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = WorkflowVersion.objects.create(
        organization=actor.organization, workflow=workflow, number=last + 1, spec=spec,
        checksum=spec_checksum(spec), note=note[:300], created_by_id=actor.user_id)
    workflow.current_version = version
    workflow.save(update_fields=["current_version", "updated_at"])
    return version


@transaction.atomic
def workflow_delete(*, actor: Actor, workflow_id: int) -> Workflow:
    """Delete a workflow for its users: archive it, and stop its triggers.

    Its runs stay (they are history, and they pin its versions), so the row is kept with
    ``archived_at`` set; every selector then treats it as missing and ``run_create``
    refuses it. Runs already going finish normally. Its schedules are disabled, and its
    webhook endpoints and notify hooks stop (a delivery to an endpoint answers 410).
    Editors may delete, as they may create: nothing is destroyed, and it is audited.
    Returns the archived workflow.
    """
    workflow = (Workflow.objects.select_for_update()
                .filter(organization=actor.organization, pk=workflow_id, archived_at__isnull=True).first())
    # Not found before not allowed: another organization's workflow must not answer 403.
    if workflow is None:
        raise NotFound("workflow not found")
    actor.require("edit")
    workflow.archived_at = timezone.now()
    workflow.save(update_fields=["archived_at", "updated_at"])
    # Triggers depend on workflows, not the other way round; this is the one call back.
    from apps.triggers.services import workflow_triggers_stop

    stopped = workflow_triggers_stop(workflow_id=workflow.pk)
    audit_record(actor=actor, action="workflow.delete", target_type="workflow", target_id=workflow.pk,
                 details={"name": workflow.name, **stopped})
    return workflow


def workflow_import_yaml(*, actor: Actor, text: str, name: str | None = None) -> Workflow:
    """Create a workflow from exported YAML, or add a version when the name exists.
    A member who may not edit is refused before the file is read."""
    actor.require("edit")
    try:
        data = workflows.load_yaml(text)
    except workflows.SpecError as exc:
        raise InvalidInput("the YAML file is invalid", [Problem(str(e.path), str(e.message)) for e in exc.errors]) from None
    spec = data.get("spec", data)
    name = name or data.get("name") or spec.get("name")
    if not name:
        raise InvalidInput("workflow not imported", [Problem("name", "the file names no workflow; pass a name")])
    existing = Workflow.objects.filter(organization=actor.organization, name=name, archived_at__isnull=True).first()
    if existing is not None:
        workflow_update_spec(actor=actor, workflow=existing, spec=spec, note="imported")
        return existing
    return workflow_create(actor=actor, name=name, spec=spec, description=data.get("description", ""))


def workflow_export_yaml(*, workflow: Workflow) -> str:
    return workflows.dump_yaml({"name": workflow.name, "description": workflow.description,
                                "spec": workflow.current_version.spec})


@transaction.atomic
def connection_create(*, actor: Actor, name: str, connector_type: str, settings: dict[str, Any],
                      secrets: dict[str, str]) -> Connection:
    actor.require("manage")
    from connectors.registry import connector_types

    problems = []
    if not (name or "").strip():
        problems.append(Problem("name", "must not be empty"))
    if connector_type not in connector_types():
        problems.append(Problem("connector_type", f"unknown connector type {connector_type!r}"))
    if Connection.objects.filter(organization=actor.organization, name=name).exists():
        problems.append(Problem("name", f"a connection named {name!r} already exists"))
    if problems:
        raise InvalidInput("connection not created", problems)
    try:
        connection = Connection.objects.create(
            organization=actor.organization, name=name.strip(), connector_type=connector_type,
            settings=settings, secrets_encrypted=encrypt_secrets(secrets), secret_names=sorted(secrets))
    except IntegrityError:
        raise InvalidInput("connection not created", [Problem("name", "already exists")]) from None
    audit_record(actor=actor, action="connection.create", target_type="connection", target_id=connection.pk,
                 details={"type": connector_type, "secret_names": sorted(secrets)})
    return connection


@transaction.atomic
def connection_rotate_secrets(*, actor: Actor, connection: Connection, secrets: dict[str, str]) -> Connection:
    if connection.organization_id != actor.organization.pk:
        raise NotFound("connection not found")
    actor.require("manage")
    connection.secrets_encrypted = encrypt_secrets(secrets)
    connection.secret_names = sorted(secrets)
    connection.updated_at = timezone.now()
    connection.save(update_fields=["secrets_encrypted", "secret_names", "updated_at"])
    audit_record(actor=actor, action="connection.rotate", target_type="connection", target_id=connection.pk,
                 details={"secret_names": sorted(secrets)})
    return connection


@transaction.atomic
def connection_delete(*, actor: Actor, connection_id: int) -> Connection:
    """Delete a connection and its encrypted secrets; runs needing its type then fail with
    "no <type> connection", which tells a person what to add back. Returns the deleted
    connection (without a primary key), for the caller's message."""
    connection = Connection.objects.filter(organization=actor.organization, pk=connection_id).first()
    if connection is None:
        raise NotFound("connection not found")
    actor.require("manage")
    details = {"type": connection.connector_type, "name": connection.name}
    connection.delete()
    audit_record(actor=actor, action="connection.delete", target_type="connection", target_id=connection_id,
                 details=details)
    return connection


def connection_test(*, actor: Actor, connection_id: int) -> Connection:
    """Build the connector from the stored settings and secrets and, when its type offers a
    live check (it overrides ``Connector._check``), run it through ``check()``. The outcome is
    stored on the connection; ``last_test_ok`` stays empty when the type has no live check, so
    nobody mistakes "the settings were accepted" for "the remote system answered"."""
    connection = connection_get(actor=actor, connection_id=connection_id)
    actor.require("manage")
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
                ok, message = (None, f"settings accepted; {connection.connector_type} connections "
                                     "have no live check yet")
        finally:
            connector.close()
    except ConnectorError as exc:
        ok, message = False, str(exc)
    except (KeyError, TypeError, ValueError) as exc:
        ok, message = False, f"the connection's settings are not usable: {exc}"
    connection.last_tested_at, connection.last_test_ok, connection.last_test_message = timezone.now(), ok, message[:500]
    with transaction.atomic():
        connection.save(update_fields=["last_tested_at", "last_test_ok", "last_test_message"])
        audit_record(actor=actor, action="connection.test", target_type="connection", target_id=connection.pk,
                     details={"ok": ok})
    return connection
