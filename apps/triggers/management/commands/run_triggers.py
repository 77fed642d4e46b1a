"""Do beat's part without Celery (the embedded mode): every few seconds fire due schedules,
start queued ticks and waiting webhook events, and send due notifications."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...events import events_sweep
from ...notify import notify_sweep
from ...schedules import schedules_drain, schedules_fire_due


class Command(BaseCommand):
    help = "Run the triggers sweep in this process (for deployments without celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between sweeps")
        parser.add_argument("--once", action="store_true", help="sweep once and exit")

    def handle(self, *args, interval: float, once: bool, **options):
        while True:
            now = timezone.now()
            done = (schedules_fire_due(now=now) + schedules_drain(now=now) + events_sweep(now=now)
                    + notify_sweep(now=now))
            if done:
                self.stdout.write(f"{now:%H:%M:%S} {done} trigger action(s)")
            if once:
                return
            time.sleep(interval)
