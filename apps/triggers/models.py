from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.models import Organization
from apps.automations.models import Workflow
from apps.runs.models import Run


class OverlapPolicy(models.TextChoices):
    SKIP = "skip", "Skip the tick while the previous run is unfinished"
    QUEUE = "queue", "Start it after the previous run finishes"
    ALLOW = "allow", "Start it anyway"


class CatchUpPolicy(models.TextChoices):
    NONE = "none", "Run only ticks that are on time"
    LAST = "last", "Run the most recent missed tick"
    ALL = "all", "Run every missed tick, up to the limit"


class Schedule(models.Model):
    """A cron schedule that starts runs of a workflow. It owns one django-celery-beat
    PeriodicTask, kept in sync by the services; beat only says "look now", and the
    schedule itself decides which ticks are due (catch-up) and whether to start (overlap)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="schedules")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=200)
    cron = models.CharField(max_length=120, help_text="Five fields: minute hour day-of-month month day-of-week")
    timezone = models.CharField(max_length=64, default="UTC")
    inputs = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    overlap_policy = models.CharField(max_length=8, choices=OverlapPolicy.choices, default=OverlapPolicy.SKIP)
    catch_up_policy = models.CharField(max_length=8, choices=CatchUpPolicy.choices, default=CatchUpPolicy.NONE)
    catch_up_limit = models.PositiveSmallIntegerField(default=10)
    periodic_task = models.OneToOneField("django_celery_beat.PeriodicTask", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    last_tick_at = models.DateTimeField(null=True, blank=True, help_text="The latest cron tick already handled.")
    missed_ticks = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="schedule_name_unique_per_org")]


class TickOutcome(models.TextChoices):
    STARTED = "started", "Started a run"
    SKIPPED = "skipped", "Skipped (previous run unfinished)"
    QUEUED = "queued", "Queued behind the previous run"
    FAILED = "failed", "Could not start a run"


class ScheduleTick(models.Model):
    """One cron tick a schedule acted on; unique per tick, so a tick fired twice starts once."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="ticks")
    tick_at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=TickOutcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-tick_at"]
        constraints = [models.UniqueConstraint(fields=["schedule", "tick_at"], name="one_row_per_schedule_tick")]
        indexes = [models.Index(fields=["schedule", "outcome", "tick_at"])]


class WebhookSource(models.TextChoices):
    HUBSPOT = "hubspot", "HubSpot"
    SALESFORCE = "salesforce", "Salesforce"
    PIPEDRIVE = "pipedrive", "Pipedrive"
    ZOHO = "zoho", "Zoho CRM"
    STRIPE = "stripe", "Stripe"
    GENERIC = "generic", "Other"


class WebhookScheme(models.TextChoices):
    HUBSPOT = "hubspot", "HubSpot signature (v3; v1/v2 when enabled)"
    STANDARD = "standard_webhooks", "Standard Webhooks HMAC"
    STRIPE = "stripe", "Stripe-style t=…,v1=… HMAC"
    BASIC = "basic", "HTTP Basic"
    TOKEN = "shared_token", "Shared token"
    SALESFORCE = "salesforce_soap", "Salesforce outbound message (SOAP)"


class WebhookEndpoint(models.Model):
    """Where one source sends events that start one workflow: ``/hooks/<id>/``.

    Secrets (the current one and, during rotation, the previous one) are encrypted at rest.
    ``input_mapping`` maps workflow input names to JSON pointers into the verified payload.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="webhook_endpoints")
    source = models.CharField(max_length=16, choices=WebhookSource.choices)
    scheme = models.CharField(max_length=20, choices=WebhookScheme.choices)
    secrets_encrypted = models.BinaryField(default=b"", editable=False)
    settings = models.JSONField(default=dict, blank=True)
    input_mapping = models.JSONField(default=dict, blank=True)
    static_inputs = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["workflow", "source"], name="one_endpoint_per_workflow_source")]

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.pk} {self.source}/{self.scheme}>"


class DeliveryOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    DUPLICATE = "duplicate", "Duplicate"


class WebhookDelivery(models.Model):
    """Every request that reached an endpoint, accepted or not, with its raw body.

    The body and headers are kept for debugging for ``WEBHOOK_RETENTION_DAYS``, then blanked
    (``pruned_at`` set) by retention.py; the row's metadata stays, and rejected rows go.

    Deliveries and their events are written on the intake's hot path, and every foreign key
    the database checks share-locks its parent row: concurrent deliveries to one endpoint
    would all lock the same endpoint and organization rows (shared by several transactions
    at once, which PostgreSQL tracks as a multixact). So the database checks one chain, event
    → delivery → endpoint; the organization and endpoint copied onto a row are written
    from that same endpoint by the one statement that writes both (accept.py).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 db_index=False)
    received_at = models.DateTimeField()
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=b"")
    body_size = models.PositiveIntegerField(default=0)
    verified = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=DeliveryOutcome.choices)
    status_code = models.PositiveSmallIntegerField()
    error_code = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=500, blank=True)
    pruned_at = models.DateTimeField(null=True, blank=True, help_text="When the body and headers were discarded.")

    class Meta:
        ordering = ["-received_at", "-id"]
        # Only rows still holding a body: the prune finds its work without scanning the
        # (ever growing) pruned history.
        indexes = [models.Index(fields=["received_at"], condition=Q(pruned_at__isnull=True),
                                name="webhook_delivery_unpruned"),
                   # An endpoint's recent deliveries, newest first (the API's cursor order).
                   models.Index(fields=["endpoint", "received_at", "id"], name="webhook_delivery_recent")]


class WebhookEvent(models.Model):
    """One provider event of an accepted delivery (HubSpot and Salesforce batch several in
    one request). The provider's event id is unique per endpoint: a replay or a retry of an
    event already taken never starts a second run."""

    # Copied from the delivery, whose foreign key is checked (see WebhookDelivery); the
    # endpoint's index is the unique constraint's.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="events",
                                 db_constraint=False, db_index=False)
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=200)
    inputs = models.JSONField(default=dict, help_text="Workflow inputs mapped from the event.")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error_code = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_event_once_per_endpoint")]
        indexes = [models.Index(fields=["created_at"], condition=Q(run__isnull=True, error_code=""),
                                name="webhook_event_awaiting_run")]


class NotifyHook(models.Model):
    """Notify a URL when a run of the workflow finishes (Standard Webhooks signed POST)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="notify_hooks")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="notify_hooks")
    url = models.URLField(max_length=500)
    secret_encrypted = models.BinaryField(default=b"", editable=False)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class NotifyStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class NotifyDelivery(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    hook = models.ForeignKey(NotifyHook, on_delete=models.CASCADE, related_name="deliveries")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=8, choices=NotifyStatus.choices, default=NotifyStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["hook", "run"], name="one_notification_per_hook_run")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
