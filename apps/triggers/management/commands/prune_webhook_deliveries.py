"""Blank the raw bodies of old webhook deliveries and delete old rejected ones now,
instead of waiting for beat (see retention.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...retention import deliveries_prune


class Command(BaseCommand):
    help = "Apply WEBHOOK_RETENTION_DAYS to webhook deliveries: blank old bodies, delete old rejections."

    def handle(self, *args, **options):
        result = deliveries_prune(now=timezone.now())
        self.stdout.write(f"deliveries received before {result.cutoff:%Y-%m-%d %H:%M} UTC: "
                          f"{result.blanked} blanked, {result.deleted} rejected deleted")
