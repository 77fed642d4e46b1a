"""Starting, cancelling and deciding on runs; recovering runs whose worker died."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import workflows
from apps.accounts.actors import Actor
from apps.accounts.services import audit_record
from apps.automations.models import Workflow
from apps.common.errors import Conflict, InvalidInput, NotFound, Problem

from .dispatch import enqueue
from .models import FINISHED, Approval, ApprovalStatus, Run, RunStatus, TriggerKind
from .signals import announce_finished

log = logging.getLogger(__name__)


def run_create(*, actor: Actor, workflow_id: int, inputs: dict[str, Any] | None = None,
               trigger: str = TriggerKind.DASHBOARD, trigger_ref: str = "",
               idempotency_key: str | None = None) -> Run:
    """Create a run pinned to the workflow's current version and enqueue it on commit.

    The same idempotency key in the same organization returns the run it created first.
    """
    actor.require("run")
    inputs = inputs or {}
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()[:200] or None
        existing = Run.objects.filter(organization=actor.organization, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    workflow = (Workflow.objects.select_related("current_version")
                .filter(organization=actor.organization, pk=workflow_id).first())
    if workflow is None or workflow.current_version is None:
        raise NotFound("workflow not found")
    if workflow.archived_at is not None:
        raise NotFound("workflow not found: it was deleted, and a deleted workflow cannot be run")
    if not isinstance(inputs, dict):
        raise InvalidInput("run not started", [Problem("inputs", "must be an object")])
    from .runtime import loaded_spec

    spec = loaded_spec(workflow.current_version.checksum, workflow.current_version.spec)
    try:
        workflows.initial_state(spec, inputs)
    except workflows.InputError as exc:
        raise InvalidInput("run not started: the inputs do not match the workflow's input schema",
                           [Problem(str(e.path), str(e.message)) for e in exc.errors]) from None
    try:
        with transaction.atomic():
            run = Run.objects.create(
                organization=actor.organization, workflow=workflow, version=workflow.current_version,
                trigger=trigger, trigger_ref=trigger_ref[:200], inputs=inputs, idempotency_key=idempotency_key,
                created_by_id=actor.user_id)
            audit_record(actor=actor, action="run.start", target_type="run", target_id=run.pk,
                         details={"workflow": workflow.pk, "version": workflow.current_version.number,
                                  "trigger": trigger})
            enqueue(run.pk)
    except IntegrityError:
        # Two requests with the same key raced; the other one won.
        existing = Run.objects.filter(organization=actor.organization, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    return run


@transaction.atomic
def run_cancel(*, actor: Actor, run_id) -> Run:
    """Request cancellation: immediate when no worker holds the run, else at the next step."""
    run = Run.objects.select_for_update().filter(organization=actor.organization, pk=run_id).first()
    if run is None:
        raise NotFound("run not found")
    actor.require("run")
    if run.status in FINISHED:
        raise Conflict(f"the run already {run.status}; nothing to cancel")
    run.cancel_requested = True
    fields = ["cancel_requested"]
    lease_free = not run.lease_owner or (run.lease_expires_at and run.lease_expires_at < timezone.now())
    if run.status in (RunStatus.QUEUED, RunStatus.WAITING_APPROVAL) or lease_free:
        run.status = RunStatus.CANCELLED
        run.finished_at = timezone.now()
        fields += ["status", "finished_at"]
        run.approvals.filter(status=ApprovalStatus.PENDING).update(status=ApprovalStatus.CANCELLED)
        transaction.on_commit(lambda: announce_finished(run, RunStatus.CANCELLED))
    run.save(update_fields=fields)
    audit_record(actor=actor, action="run.cancel", target_type="run", target_id=run.pk)
    return run


@transaction.atomic
def approval_decide(*, actor: Actor, approval_id: int, approve: bool, arguments: dict[str, Any] | None = None,
                    reason: str = "") -> Approval:
    """Record one person's decision. A rejection settles it; approvals count until the
    required number of distinct approvers is reached. When the last pending approval of
    the run is settled, the run is resumed with the decisions."""
    approval = (Approval.objects.select_for_update().select_related("run")
                .filter(organization=actor.organization, pk=approval_id).first())
    if approval is None:
        raise NotFound("approval not found")
    actor.require("approve")
    if approval.status != ApprovalStatus.PENDING:
        raise Conflict(f"this approval was already {approval.status}")
    run = Run.objects.select_for_update().get(pk=approval.run_id)
    if run.status != RunStatus.WAITING_APPROVAL:
        raise Conflict(f"the run is {run.status}, not waiting for approval")
    if arguments is not None and not isinstance(arguments, dict):
        raise InvalidInput("decision not recorded", [Problem("arguments", "must be an object")])
    voter = actor.label or f"user:{actor.user_id}"
    if voter in approval.approved_by:
        raise Conflict("you already approved this; another approver is needed")

    now = timezone.now()
    if arguments is not None:
        approval.edited_arguments = arguments
    approval.reason = reason[:2000]
    approval.decided_by_id = actor.user_id
    if approve:
        approval.approved_by = [*approval.approved_by, voter]
        if len(approval.approved_by) >= approval.required_approvers:
            approval.status, approval.decided_at = ApprovalStatus.APPROVED, now
    else:
        approval.status, approval.decided_at = ApprovalStatus.REJECTED, now
    approval.save()
    audit_record(actor=actor, action="approval.approve" if approve else "approval.reject",
                 target_type="approval", target_id=approval.pk,
                 details={"run": str(run.pk), "edited": arguments is not None, "reason": reason[:200]})

    if run.approvals.filter(status=ApprovalStatus.PENDING).exists():
        return approval
    answers = {}
    # The engine answers only the interrupts still pending in the checkpoint.
    for settled in run.approvals.filter(status__in=[ApprovalStatus.APPROVED, ApprovalStatus.REJECTED]):
        requested_args = settled.requested.get("arguments")
        answers[settled.interrupt_id] = {
            "decision": "approve" if settled.status == ApprovalStatus.APPROVED else "reject",
            "arguments": settled.edited_arguments if settled.edited_arguments is not None else requested_args,
            "reason": settled.reason,
            "decided_by": list(settled.approved_by) or [voter],
        }
    run.resume_value = answers
    run.status = RunStatus.QUEUED
    run.save(update_fields=["resume_value", "status"])
    enqueue(run.pk)
    return approval


def runs_sweep() -> int:
    """Re-enqueue runs whose worker died (lease expired) or whose nudge was lost.

    PostgreSQL is the source of truth. A run whose lease expired is always re-sent. A run
    queued or between slices that nobody touched for a sweep interval is re-sent only when
    the broker queue is empty: a backlog is work waiting its turn, while an empty queue with
    stale queued runs means their messages were lost (a Redis restart). Claiming is
    exclusive, so an extra message is harmless either way.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.RUN_SWEEP_SECONDS)
    conditions = Q(status=RunStatus.RUNNING, lease_expires_at__lt=now) & ~Q(lease_owner="")
    if _broker_queue_length() == 0:
        conditions |= Q(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], lease_owner="") & (
            Q(lease_expires_at__lt=stale) | Q(lease_expires_at__isnull=True, created_at__lt=stale))
    run_ids = list(Run.objects.filter(conditions).values_list("pk", flat=True)[:1000])
    for run_id in run_ids:
        enqueue(run_id)
    if run_ids:
        log.info("sweeper re-enqueued %d runs", len(run_ids))
    return len(run_ids)


def _broker_queue_length() -> int:
    if settings.RUN_EXECUTION != "celery":
        return 0
    from .broker import redis_client

    try:
        return int(redis_client().llen(settings.CELERY_TASK_DEFAULT_QUEUE))
    except Exception:  # noqa: BLE001 - if Redis cannot answer, assume messages were lost
        return 0
