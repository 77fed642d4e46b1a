from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from apps.runs.models import Run


class Command(BaseCommand):
    help = "Print a run's trace: its events in order."

    def add_arguments(self, parser):
        parser.add_argument("run_id")
        parser.add_argument("--full", action="store_true", help="print whole payloads")

    def handle(self, *args, **opts):
        run = Run.objects.filter(pk=opts["run_id"]).first()
        if run is None:
            raise CommandError(f"no run {opts['run_id']}")
        self.stdout.write(f"run {run.pk}: {run.status} ({run.workflow.name} v{run.version.number})")
        for event in run.events.order_by("seq"):
            payload = json.dumps(event.payload, ensure_ascii=False, default=str)
            if not opts["full"] and len(payload) > 160:
                payload = payload[:157] + "..."
            self.stdout.write(f"{event.seq:5d} {event.kind:<20} {event.node_id:<20} {payload}")
