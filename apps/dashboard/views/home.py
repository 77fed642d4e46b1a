"""Switching organization, and the page for a user who belongs to none."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts.actors import actor_for_user
from apps.common.errors import NotFound

from ..access import SESSION_KEY


@login_required
@require_POST
def switch_organization(request):
    try:
        actor = actor_for_user(user=request.user, organization_id=int(request.POST.get("organization", "")))
    except (NotFound, ValueError):
        raise Http404("organization not found") from None
    request.session[SESSION_KEY] = actor.organization.pk
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    # Object pages belong to the old organization; the list pages make sense in any.
    return redirect(target if target.count("/") <= 2 else "/")


@login_required
def no_organization(request):
    return render(request, "dashboard/no_organization.html")
