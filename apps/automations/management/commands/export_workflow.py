from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.automations.selectors import workflow_get_by_name
from apps.automations.services import workflow_export_yaml
from apps.common.cli import cli_actor
from apps.common.errors import ServiceError


class Command(BaseCommand):
    help = "Print a workflow's current version as YAML (import_workflow reads it back)."

    def add_arguments(self, parser):
        parser.add_argument("workflow")
        parser.add_argument("--org")

    def handle(self, *args, **opts):
        actor = cli_actor(opts["org"])
        try:
            workflow = workflow_get_by_name(actor=actor, name=opts["workflow"])
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(workflow_export_yaml(workflow=workflow), ending="")
