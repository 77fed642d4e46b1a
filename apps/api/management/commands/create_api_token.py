"""Create an API token for a user in an organization and print it (once)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.actors import actor_for_user
from apps.accounts.models import Organization
from apps.common.errors import ServiceError

from ...services import api_token_create


class Command(BaseCommand):
    help = "Create an API token; the token is printed once and only its digest is stored."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username")
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--role", help="the token's role (at most the user's own); default: the user's role")
        parser.add_argument("--name", default="cli", help="a label to recognise the token by")

    def handle(self, *args, user, org, role, name, **options):
        account = get_user_model().objects.filter(username=user).first()
        organization = Organization.objects.filter(slug=org).first()
        if account is None or organization is None:
            raise CommandError("no such user or organization")
        try:
            actor = actor_for_user(user=account, organization_id=organization.pk)
            row, token = api_token_create(actor=actor, name=name, role=role)
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"token {row.prefix}… for {user} in {org} as {row.role}; store it now, it is not shown again")
        self.stdout.write(token)
