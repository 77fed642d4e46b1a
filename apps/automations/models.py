from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.models import Organization


class Workflow(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workflows")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    template = models.CharField(max_length=64, blank=True)
    current_version = models.ForeignKey("WorkflowVersion", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Deleting a workflow archives it: its runs are history and pin its versions. An
    # archived workflow is gone from every selector, cannot run, and frees its name.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], condition=Q(archived_at__isnull=True),
                                               name="workflow_name_unique_per_org")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkflowVersion(models.Model):
    """An immutable spec. Runs pin one, so editing a workflow never changes a running run."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    checksum = models.CharField(max_length=64)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow", "number"], name="version_number_unique")]
        ordering = ["-number"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("a WorkflowVersion is immutable; create a new version instead")
        super().save(*args, **kwargs)


class Connection(models.Model):
    """An organization's account on an external system. Secrets are Fernet-encrypted."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="connections")
    name = models.CharField(max_length=200)
    connector_type = models.CharField(max_length=32)
    settings = models.JSONField(default=dict, blank=True)
    secrets_encrypted = models.BinaryField(default=b"", editable=False)
    secret_names = models.JSONField(default=list, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="connection_name_unique_per_org")]
        ordering = ["name"]

    def __repr__(self) -> str:  # never let a secret reach a log through repr()
        return f"<Connection {self.pk} {self.connector_type} {self.name!r}>"
