"""Rendering a dashboard page: the navigation context is lazy, so partials that do not
show the navigation cost no queries for it."""

from __future__ import annotations

from typing import Any

from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from apps.accounts.models import Membership
from apps.runs.selectors import approval_list


def _memberships(request):
    return list(Membership.objects.filter(user_id=request.user.pk).select_related("organization")
                .order_by("organization__name"))


def _pending_approvals(request) -> int:
    return approval_list(actor=request.actor, pending_only=True).count()


def permissions(actor) -> dict[str, bool]:
    """What the actor's role allows, for templates to offer only the actions that will work."""
    return {name: actor.can(name) for name in ("run", "edit", "approve", "manage")}


def page(request, template: str, context: dict[str, Any] | None = None, *, status: int = 200):
    context = dict(context or {})
    context.setdefault("actor", request.actor)
    context.setdefault("nav", template.split("/")[1].removesuffix(".html"))
    context["may"] = permissions(request.actor)
    context["nav_memberships"] = SimpleLazyObject(lambda: _memberships(request))
    context["nav_pending"] = SimpleLazyObject(lambda: _pending_approvals(request))
    return render(request, template, context, status=status)
