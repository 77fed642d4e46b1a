from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from apps.common.errors import InvalidInput, Problem

from .actors import Actor
from .models import AuditEntry, Membership, Organization, Role


def audit_record(*, actor: Actor, action: str, target_type: str, target_id: object,
                 details: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        organization=actor.organization, actor_id=actor.user_id, actor_label=actor.label,
        action=action, target_type=target_type, target_id=str(target_id), details=details or {},
    )


@transaction.atomic
def organization_create(*, name: str, owner, timezone: str = "UTC", language: str = "en") -> Organization:
    name = name.strip()
    if not name:
        raise InvalidInput("organization not created", [Problem("name", "must not be empty")])
    base = slugify(name)[:60] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    org = Organization.objects.create(name=name, slug=slug, timezone=timezone, language=language)
    Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    return org


@transaction.atomic
def membership_add(*, actor: Actor, user, role: str) -> Membership:
    actor.require("manage")
    if role not in Role.values:
        raise InvalidInput("member not added", [Problem("role", f"unknown role {role!r}; one of {', '.join(Role.values)}")])
    membership, _ = Membership.objects.update_or_create(
        organization=actor.organization, user=user, defaults={"role": role})
    audit_record(actor=actor, action="membership.set", target_type="user", target_id=user.pk,
                 details={"role": role})
    return membership


def user_create(*, username: str, password: str, email: str = ""):
    return get_user_model().objects.create_user(username=username, password=password, email=email)
