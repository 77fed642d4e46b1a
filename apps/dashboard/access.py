"""Who is looking: the signed-in user's actor in the organization chosen in the session.

Every dashboard view is wrapped by :func:`org_view`, so scoping, the organization's time
zone and the mapping of service errors to HTTP answers live in one place.
"""

from __future__ import annotations

import zoneinfo
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone, translation

from apps.accounts.actors import Actor, actor_for_user
from apps.accounts.models import Membership
from apps.common.errors import NotFound, PermissionDenied

SESSION_KEY = "farside_org_id"
_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def current_actor(request) -> Actor | None:
    """The actor for the organization in the session, else for the user's first one."""
    org_id = request.session.get(SESSION_KEY)
    if org_id is not None:
        try:
            return actor_for_user(user=request.user, organization_id=org_id)
        except NotFound:
            request.session.pop(SESSION_KEY, None)
    first = (Membership.objects.filter(user_id=request.user.pk).order_by("organization__name")
             .values_list("organization_id", flat=True).first())
    if first is None:
        return None
    request.session[SESSION_KEY] = first
    return actor_for_user(user=request.user, organization_id=first)


def org_view(view):
    """Login required; ``request.actor`` set; NotFound is a 404 and a refused role a 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        actor = current_actor(request)
        if actor is None:
            return redirect("dashboard:no_organization")
        request.actor = actor
        try:
            tz = zoneinfo.ZoneInfo(actor.organization.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = zoneinfo.ZoneInfo("UTC")
        timezone.activate(tz)
        # A person's own choice (the language switcher's cookie) wins; else the organization's.
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and actor.organization.language in _LANGUAGES:
            translation.activate(actor.organization.language)
            request.LANGUAGE_CODE = actor.organization.language
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except PermissionDenied as exc:
            raise HttpForbidden(exc.message) from None

    return wrapper
