from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.automations.services import workflow_import_yaml
from apps.common.cli import cli_actor
from apps.common.errors import ServiceError


class Command(BaseCommand):
    help = "Create a workflow (or a new version of it) from an exported YAML file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--org")
        parser.add_argument("--name", help="override the name in the file")

    def handle(self, *args, **opts):
        actor = cli_actor(opts["org"])
        try:
            text = Path(opts["file"]).read_text()
        except OSError as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc}") from None
        try:
            workflow = workflow_import_yaml(actor=actor, text=text, name=opts["name"])
        except ServiceError as exc:
            raise CommandError("\n  ".join([exc.message, *map(str, exc.problems)])) from None
        self.stdout.write(f"workflow {workflow.name!r} is at version {workflow.current_version.number}")
