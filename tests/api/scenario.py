"""One organization with one object of every kind the API exposes, set up through services."""

from __future__ import annotations

from dataclasses import dataclass

import workflows.templates
from django.test import Client

from apps.api.services import api_token_create
from apps.automations.services import connection_create, workflow_create
from apps.runs.models import Approval, Run
from apps.runs.ports import DbArtifactStore
from apps.runs.services import run_create
from apps.triggers.schedules import schedule_create
from apps.triggers.models import WebhookDelivery
from apps.triggers.services import notify_hook_create, webhook_endpoint_create


@dataclass
class World:
    workflow_id: int
    run_id: str
    approval_id: int
    artifact_id: str
    connection_id: int
    schedule_id: int
    endpoint_id: str
    hook_id: int
    token_id: int
    delivery_id: int

    def ids(self) -> dict[str, object]:
        return {"workflow_id": self.workflow_id, "number": 1, "run_id": self.run_id, "approval_id": self.approval_id,
                "artifact_id": self.artifact_id, "connection_id": self.connection_id,
                "schedule_id": self.schedule_id, "endpoint_id": self.endpoint_id, "hook_id": self.hook_id,
                "token_id": self.token_id, "delivery_id": self.delivery_id}


def build_world(actor, *, name: str = "trivial") -> World:
    """Every object of the organization; the approval is attached to a queued run directly,
    as the engine would on an interrupt (no model needed)."""
    workflow = workflow_create(actor=actor, name=name, spec=workflows.templates.load("trivial"))
    run = run_create(actor=actor, workflow_id=workflow.pk)
    Run.objects.filter(pk=run.pk).update(status="waiting_approval")
    approval = Approval.objects.create(organization=actor.organization, run=run, interrupt_id="i-1",
                                       title="Send it?", requested={"arguments": {"body": "hi"}})
    artifact = DbArtifactStore(run).put(name="a.txt", content=b"x", media_type="text/plain")
    connection = connection_create(actor=actor, name="demo", connector_type="demo", settings={}, secrets={})
    schedule = schedule_create(actor=actor, workflow_id=workflow.pk, name="nightly", cron_expression="0 2 * * *")
    endpoint, secret = webhook_endpoint_create(actor=actor, workflow_id=workflow.pk, source="zoho",
                                               scheme="shared_token")
    Client().post(f"/hooks/{endpoint.pk}/", b'{"deal": 1}', content_type="application/json",
                  HTTP_X_WEBHOOK_TOKEN=secret)
    hook, _ = notify_hook_create(actor=actor, workflow_id=workflow.pk, url="https://example.com/done")
    token, _ = api_token_create(actor=actor, name="other")
    return World(workflow_id=workflow.pk, run_id=str(run.pk), approval_id=approval.pk, artifact_id=artifact.id,
                 connection_id=connection.pk, schedule_id=schedule.pk, endpoint_id=str(endpoint.pk),
                 hook_id=hook.pk, token_id=token.pk, delivery_id=WebhookDelivery.objects.get(endpoint=endpoint).pk)
