from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

import workflows.templates
from apps.accounts.actors import actor_for_user
from apps.accounts.models import Organization
from apps.accounts.services import organization_create, user_create
from apps.automations.models import Connection, Workflow
from apps.automations.services import connection_create, workflow_create
from apps.demo import profiles
from apps.demo.management.commands.demo_outbox import SLACK_PATH
from apps.demo.store import demo_seed


class Command(BaseCommand):
    help = "Create the demo organization and user, seed the demo CRM, add a workflow per template."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo")
        parser.add_argument("--outbox-port", type=int, default=2525,
                            help="port of the local mail sink (manage.py demo_outbox) the demo email uses")
        parser.add_argument("--slack-port", type=int, default=2526,
                            help="port of the local Slack webhook (manage.py demo_outbox) the demo Slack uses")
        parser.add_argument("--local-model", action="store_true",
                            help="the demo runs on the embedded CPU model: add the workflows with its profile "
                                 "(window, output cap, small agent budgets; see apps/demo/profiles.py)")

    @transaction.atomic
    def handle(self, *args, **opts):
        User = get_user_model()
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            user = user_create(username=opts["username"], password=opts["password"], email="demo@example.com")
        org = Organization.objects.filter(memberships__user=user).first()
        if org is None:
            org = organization_create(name="Demo Company", owner=user)
        actor = actor_for_user(user=user, organization_id=org.pk)
        seeded = demo_seed(organization_id=org.pk)
        if not Connection.objects.filter(organization=org, connector_type="email").exists():
            connection_create(actor=actor, name="Demo outbox", connector_type="email", secrets={},
                              settings={"host": "127.0.0.1", "port": opts["outbox_port"], "security": "none",
                                        "from_address": "reports@demo.farside.invalid", "from_name": "Farside"})
        if not Connection.objects.filter(organization=org, connector_type="slack").exists():
            connection_create(actor=actor, name="Demo Slack", connector_type="slack", settings={},
                              secrets={"webhook_url": f"http://127.0.0.1:{opts['slack_port']}{SLACK_PATH}"})
        created = []
        for name in workflows.templates.names():
            spec = workflows.templates.load(name)
            title = spec.get("title") or name
            description = spec.get("description", "")
            if opts["local_model"]:
                spec, description = profiles.local_model(spec), f"{description} {profiles.NOTE}".strip()
            if not Workflow.objects.filter(organization=org, name=title, archived_at__isnull=True).exists():
                workflow_create(actor=actor, name=title, spec=spec, description=description, template=name)
                created.append(title)
        self.stdout.write(f"demo organization {org.name!r} (slug {org.slug}); user {user.username!r}")
        if seeded:
            self.stdout.write(f"seeded the demo CRM with {seeded} records")
        if created:
            self.stdout.write("workflows: " + ", ".join(created))
