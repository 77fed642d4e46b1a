"""Do beat's part without Celery (the embedded mode): every few seconds fire due schedules,
start queued ticks and waiting webhook events, and send due notifications; hourly, prune
old webhook bodies (retention.py)."""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...events import events_sweep
from ...notify import notify_sweep
from ...retention import deliveries_prune
from ...schedules import schedules_drain, schedules_fire_due

PRUNE_EVERY = timedelta(hours=1)


class Command(BaseCommand):
    help = "Run the triggers sweep in this process (for deployments without celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between sweeps")
        parser.add_argument("--once", action="store_true", help="sweep once and exit")

    def handle(self, *args, interval: float, once: bool, **options):
        pruned_at = None
        while True:
            now = timezone.now()
            if pruned_at is None or now - pruned_at >= PRUNE_EVERY:
                deliveries_prune(now=now)
                pruned_at = now
            done = (schedules_fire_due(now=now) + schedules_drain(now=now) + events_sweep(now=now)
                    + notify_sweep(now=now))
            if done:
                self.stdout.write(f"{now:%H:%M:%S} {done} trigger action(s)")
            if once:
                return
            time.sleep(interval)
