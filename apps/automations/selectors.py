from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.actors import Actor
from apps.common.errors import NotFound

from .models import Connection, Workflow, WorkflowVersion


def workflow_list(*, actor: Actor) -> QuerySet[Workflow]:
    """The organization's workflows; deleted (archived) ones are gone, as if they never were."""
    return (Workflow.objects.filter(organization=actor.organization, archived_at__isnull=True)
            .select_related("current_version"))


def workflow_get(*, actor: Actor, workflow_id: int) -> Workflow:
    workflow = workflow_list(actor=actor).filter(pk=workflow_id).first()
    if workflow is None:
        raise NotFound("workflow not found")
    return workflow


def workflow_get_by_name(*, actor: Actor, name: str) -> Workflow:
    workflow = workflow_list(actor=actor).filter(name=name).first()
    if workflow is None:
        raise NotFound(f"workflow {name!r} not found")
    return workflow


def workflow_version_get(*, actor: Actor, version_id: int) -> WorkflowVersion:
    version = WorkflowVersion.objects.filter(organization=actor.organization, pk=version_id).first()
    if version is None:
        raise NotFound("workflow version not found")
    return version


def connection_list(*, actor: Actor) -> QuerySet[Connection]:
    return Connection.objects.filter(organization=actor.organization)


def connection_get(*, actor: Actor, connection_id: int) -> Connection:
    connection = connection_list(actor=actor).filter(pk=connection_id).first()
    if connection is None:
        raise NotFound("connection not found")
    return connection
