from __future__ import annotations

from django.db.models import QuerySet

from .actors import Actor
from .models import AuditEntry, Membership


def audit_list(*, actor: Actor) -> QuerySet[AuditEntry]:
    actor.require("manage")
    return AuditEntry.objects.filter(organization=actor.organization).select_related("actor")


def member_list(*, actor: Actor) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=actor.organization).select_related("user").order_by("user__username")
