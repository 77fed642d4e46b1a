from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.models import Organization
from apps.automations.models import Workflow, WorkflowVersion


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING_APPROVAL = "waiting_approval", "Waiting for approval"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


class TriggerKind(models.TextChoices):
    DASHBOARD = "dashboard", "Dashboard"
    API = "api", "API"
    SCHEDULE = "schedule", "Schedule"
    WEBHOOK = "webhook", "Webhook"
    CLI = "cli", "Command line"


class Run(models.Model):
    """One execution of a pinned workflow version. PostgreSQL is its source of truth;
    the broker only carries nudges to advance it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="runs")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(WorkflowVersion, on_delete=models.PROTECT, related_name="runs")
    trigger = models.CharField(max_length=16, choices=TriggerKind.choices)
    trigger_ref = models.CharField(max_length=200, blank=True)
    inputs = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    # Execution bookkeeping: a lease held by one worker at a time, crash-recovery attempts.
    attempts = models.PositiveIntegerField(default=0)
    slices = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    resume_value = models.JSONField(null=True, blank=True)

    outputs = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)

    model_calls = models.PositiveIntegerField(default=0)
    tool_calls = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    cached_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    model_seconds = models.FloatField(default=0.0)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                                    name="run_idempotency_key_unique_per_org"),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["workflow", "-created_at"]),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class RunEvent(models.Model):
    """Append-only trace of a run, ordered by ``seq``."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=48)
    node_id = models.CharField(max_length=120, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="run_event_seq_unique")]


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class Approval(models.Model):
    """A person's go-ahead the run is waiting for (one per LangGraph interrupt)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="approvals")
    interrupt_id = models.CharField(max_length=64)
    node_id = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=300, blank=True)
    tool = models.CharField(max_length=120, blank=True)
    requested = models.JSONField(default=dict)
    required_approvers = models.PositiveSmallIntegerField(default=1)
    approved_by = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    edited_arguments = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["run", "interrupt_id"], name="approval_per_interrupt")]


class Artifact(models.Model):
    """Big outputs (reports, charts, CSV, fetched pages) kept outside the graph state."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.CASCADE, related_name="artifacts")
    node_id = models.CharField(max_length=120, blank=True)
    name = models.CharField(max_length=255)
    media_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class WriteRecord(models.Model):
    """Writes already performed, by idempotency key: a resumed run consults it first."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="writes")
    key = models.CharField(max_length=200, unique=True)
    result = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)


class ConnectorWrite(models.Model):
    """Write-ahead record of a connector write whose remote API takes no idempotency key
    (``connectors.ledger``): reserved before the call, completed after, so a repeat after
    a crash returns the first result or refuses when the outcome is unknown."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    state = models.CharField(max_length=16)
    result = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="connector_write_key_unique")]
