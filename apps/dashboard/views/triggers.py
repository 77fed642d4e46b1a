"""Schedules (cron with a preview in words and the next run times) and webhook endpoints
(the secret shown once, recent deliveries with their verification and run)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.automations.selectors import workflow_list
from apps.common.errors import InvalidInput
from apps.triggers.schedules import schedule_create, schedule_delete, schedule_update
from apps.triggers.selectors import (schedule_get, schedule_list, webhook_delivery_list, webhook_endpoint_get,
                                     webhook_endpoint_list)
from apps.triggers.services import webhook_endpoint_create, webhook_endpoint_rotate_secret

from ..access import org_view
from ..cron_preview import preview
from ..forms import problems_to_form
from ..pages import page
from ..trigger_forms import ScheduleForm, WebhookForm


# The schedule services call it ``cron_expression``; the form calls it ``cron``.
_SCHEDULE_FIELDS = {"cron_expression": "cron"}


@org_view
def schedules(request):
    rows = list(schedule_list(actor=request.actor).order_by("name"))
    return page(request, "dashboard/triggers/schedules.html",
                {"schedules": [(s, preview(s.cron, s.timezone, count=1)) for s in rows]})


@org_view
def cron_preview(request):
    """The preview partial, refreshed as the cron field is typed in."""
    tz = request.GET.get("timezone") or request.actor.organization.timezone
    return render(request, "dashboard/triggers/_cron_preview.html",
                  {"preview": preview(request.GET.get("cron", ""), tz), "tz": tz})


def _schedule_form(request, schedule=None):
    initial = {"timezone": request.actor.organization.timezone, "enabled": True}
    if schedule is not None:
        initial = {"workflow": schedule.workflow_id, "name": schedule.name, "cron": schedule.cron,
                   "timezone": schedule.timezone, "overlap_policy": schedule.overlap_policy,
                   "inputs": json.dumps(schedule.inputs), "enabled": schedule.enabled}
    return ScheduleForm(workflow_list(actor=request.actor).select_related(None).only("pk", "name"), request.POST or None, initial=initial)


@org_view
@require_http_methods(["GET", "POST"])
def schedule_edit(request, schedule_id: int | None = None):
    schedule = schedule_get(actor=request.actor, schedule_id=schedule_id) if schedule_id else None
    form = _schedule_form(request, schedule)
    if request.method == "POST":
        request.actor.require("edit")
        if form.is_valid():
            d = form.cleaned_data
            try:
                if schedule is None:
                    schedule = schedule_create(actor=request.actor, workflow_id=int(d["workflow"]), name=d["name"],
                                               cron_expression=d["cron"], timezone=d["timezone"], inputs=d["inputs"],
                                               enabled=d["enabled"], overlap_policy=d["overlap_policy"])
                else:
                    schedule_update(actor=request.actor, schedule_id=schedule.pk, name=d["name"],
                                    cron_expression=d["cron"], timezone=d["timezone"], inputs=d["inputs"],
                                    enabled=d["enabled"], overlap_policy=d["overlap_policy"])
            except InvalidInput as exc:
                problems_to_form(form, exc.problems, aliases=_SCHEDULE_FIELDS)
            else:
                messages.success(request, _("Schedule saved."))
                return redirect("dashboard:schedules")
    cron_text = form["cron"].value() or ""
    tz = form["timezone"].value() or request.actor.organization.timezone
    ticks = list(schedule.ticks.select_related("run")[:20]) if schedule else []
    return page(request, "dashboard/triggers/schedule_form.html",
                {"form": form, "schedule": schedule, "preview": preview(cron_text, tz) if cron_text else None,
                 "tz": tz, "ticks": ticks}, status=400 if form.errors else 200)


@org_view
@require_POST
def schedule_remove(request, schedule_id: int):
    schedule_delete(actor=request.actor, schedule_id=schedule_id)
    messages.success(request, _("Schedule deleted."))
    return redirect("dashboard:schedules")


@org_view
def webhooks(request):
    return page(request, "dashboard/triggers/webhooks.html",
                {"endpoints": list(webhook_endpoint_list(actor=request.actor).defer("secrets_encrypted"))})


def _hook_url(request, endpoint) -> str:
    return request.build_absolute_uri(f"/hooks/{endpoint.pk}/")


@org_view
@require_http_methods(["GET", "POST"])
def webhook_new(request):
    request.actor.require("manage")
    form = WebhookForm(workflow_list(actor=request.actor).select_related(None).only("pk", "name"), request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            endpoint, secret = webhook_endpoint_create(
                actor=request.actor, workflow_id=int(d["workflow"]), source=d["source"], scheme=d["scheme"],
                settings=d["settings"], input_mapping=d["input_mapping"])
        except InvalidInput as exc:
            problems_to_form(form, exc.problems)
        else:
            # The secret is in this one response and nowhere else: no redirect, no session.
            return page(request, "dashboard/triggers/webhook_secret.html",
                        {"endpoint": endpoint, "secret": secret, "url": _hook_url(request, endpoint)})
    return page(request, "dashboard/triggers/webhook_new.html", {"form": form}, status=400 if form.errors else 200)


@org_view
def webhook_detail(request, endpoint_id):
    endpoint = webhook_endpoint_get(actor=request.actor, endpoint_id=endpoint_id)
    deliveries = list(webhook_delivery_list(actor=request.actor, endpoint_id=endpoint.pk).defer("headers")[:50])
    return page(request, "dashboard/triggers/webhook_detail.html",
                {"endpoint": endpoint, "deliveries": deliveries, "url": _hook_url(request, endpoint)})


@org_view
@require_POST
def webhook_rotate(request, endpoint_id):
    endpoint, secret = webhook_endpoint_rotate_secret(actor=request.actor, endpoint_id=endpoint_id)
    return page(request, "dashboard/triggers/webhook_secret.html",
                {"endpoint": endpoint, "secret": secret, "url": _hook_url(request, endpoint), "rotated": True})

