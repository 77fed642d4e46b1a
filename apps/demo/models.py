from __future__ import annotations

from django.db import models

from apps.accounts.models import Organization


class DemoRecord(models.Model):
    """One record of the demo CRM+ERP (account, contact, deal, order, invoice, activity)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=32)
    record_id = models.CharField(max_length=40)
    number = models.PositiveIntegerField()
    data = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "entity", "record_id"],
                                               name="demo_record_unique")]
        indexes = [models.Index(fields=["organization", "entity", "number"])]


class DemoWrite(models.Model):
    """Idempotency keys of demo writes: a repeated key performs nothing."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    entity = models.CharField(max_length=32)
    record_id = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="demo_write_key_unique")]
