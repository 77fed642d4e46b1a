"""Connections: list, add, check, rotate secrets. Secrets are typed once and never shown."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.automations.selectors import connection_get, connection_list
from apps.automations.services import (connection_create, connection_delete, connection_rotate_secrets,
                                       connection_test)
from apps.common.errors import InvalidInput

from ..access import org_view
from ..connection_forms import ConnectionForm, RotateForm, connector_help
from ..forms import problems_to_form
from ..pages import page


@org_view
def connection_list_view(request):
    return page(request, "dashboard/connections/list.html",
                {"connections": list(connection_list(actor=request.actor).defer("secrets_encrypted"))})


@org_view
@require_http_methods(["GET", "POST"])
def connection_new(request):
    request.actor.require("manage")
    initial_type = request.GET.get("type", "")
    form = ConnectionForm(request.POST or None, initial={"connector_type": initial_type})
    if request.method == "POST" and form.is_valid():
        try:
            connection = connection_create(actor=request.actor, name=form.cleaned_data["name"],
                                           connector_type=form.cleaned_data["connector_type"],
                                           settings=form.cleaned_data["settings"], secrets=form.cleaned_data["secrets"])
        except InvalidInput as exc:
            problems_to_form(form, exc.problems)
        else:
            messages.success(request, _("Connection saved. Its secrets are encrypted and will not be shown again."))
            return redirect("dashboard:connection_detail", connection_id=connection.pk)
    chosen = form["connector_type"].value() or (form.fields["connector_type"].choices or [("", "")])[0][0]
    return page(request, "dashboard/connections/new.html",
                {"form": form, "help": connector_help(chosen), "chosen": chosen},
                status=400 if form.errors else 200)


@org_view
@require_http_methods(["GET", "POST"])
def connection_detail(request, connection_id: int):
    connection = connection_get(actor=request.actor, connection_id=connection_id)
    form = RotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        connection_rotate_secrets(actor=request.actor, connection=connection, secrets=form.cleaned_data["secrets"])
        messages.success(request, _("Secrets replaced."))
        return redirect("dashboard:connection_detail", connection_id=connection.pk)
    return page(request, "dashboard/connections/detail.html",
                {"connection": connection, "form": form, "help": connector_help(connection.connector_type)},
                status=400 if form.errors else 200)


@org_view
@require_POST
def connection_check(request, connection_id: int):
    connection = connection_test(actor=request.actor, connection_id=connection_id)
    level = {True: messages.SUCCESS, False: messages.ERROR, None: messages.INFO}[connection.last_test_ok]
    messages.add_message(request, level, connection.last_test_message)
    return redirect("dashboard:connection_detail", connection_id=connection.pk)


@org_view
@require_POST
def connection_remove(request, connection_id: int):
    connection = connection_delete(actor=request.actor, connection_id=connection_id)
    messages.success(request, _("Connection “%(name)s” deleted.") % {"name": connection.name})
    return redirect("dashboard:connection_list")
