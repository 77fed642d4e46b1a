from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.accounts.actors import Actor
from apps.common.errors import NotFound

from .models import Approval, ApprovalStatus, Artifact, Run, RunEvent


def run_list(*, actor: Actor, workflow_id: int | None = None, status: str | None = None,
             trigger: str | None = None) -> QuerySet[Run]:
    runs = Run.objects.filter(organization=actor.organization).select_related("workflow", "version")
    if workflow_id is not None:
        runs = runs.filter(workflow_id=workflow_id)
    if status:
        runs = runs.filter(status=status)
    if trigger:
        runs = runs.filter(trigger=trigger)
    return runs


def run_get(*, actor: Actor, run_id) -> Run:
    try:
        run = run_list(actor=actor).filter(pk=run_id).first()
    except (ValueError, TypeError):  # not a UUID: it cannot exist
        run = None
    if run is None:
        raise NotFound("run not found")
    return run


def run_events(*, run: Run, after_seq: int = 0, limit: int = 500, query: str = "") -> list[RunEvent]:
    """Events of a run the caller already fetched (through ``run_get``) after ``after_seq``;
    with ``query``, only those whose reasoning, content, error or tool mentions it."""
    events = RunEvent.objects.filter(run=run, seq__gt=after_seq)
    if query:
        events = events.filter(Q(payload__reasoning__icontains=query) | Q(payload__content__icontains=query)
                               | Q(payload__error__icontains=query) | Q(payload__tool__icontains=query))
    return list(events.order_by("seq")[:limit])


def approval_list(*, actor: Actor, pending_only: bool = True) -> QuerySet[Approval]:
    approvals = Approval.objects.filter(organization=actor.organization).select_related("run", "run__workflow")
    if pending_only:
        approvals = approvals.filter(status=ApprovalStatus.PENDING)
    return approvals


def approval_get(*, actor: Actor, approval_id: int) -> Approval:
    approval = approval_list(actor=actor, pending_only=False).filter(pk=approval_id).first()
    if approval is None:
        raise NotFound("approval not found")
    return approval


def artifact_get(*, actor: Actor, artifact_id) -> Artifact:
    try:
        artifact = Artifact.objects.filter(organization=actor.organization, pk=artifact_id).first()
    except (ValueError, TypeError):
        artifact = None
    if artifact is None:
        raise NotFound("artifact not found")
    return artifact
