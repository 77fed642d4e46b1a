"""Members and roles of the current organization."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import Membership, Role
from apps.accounts.services import membership_add
from apps.common.errors import InvalidInput

from ..access import org_view
from ..forms import problems_to_form
from ..pages import page


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Username of an existing user"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise forms.ValidationError(_("No user with this username."))
        self.user = user
        return name


@org_view
@require_http_methods(["GET", "POST"])
def members(request):
    form = MemberForm(request.POST or None)
    if request.method == "POST":
        request.actor.require("manage")
        if form.is_valid():
            try:
                membership_add(actor=request.actor, user=form.user, role=form.cleaned_data["role"])
            except InvalidInput as exc:
                problems_to_form(form, exc.problems)
            else:
                messages.success(request, _("Member saved."))
                return redirect("dashboard:members")
    rows = list(Membership.objects.filter(organization=request.actor.organization)
                .select_related("user").order_by("user__username"))
    return page(request, "dashboard/members.html", {"memberships": rows, "form": form},
                status=400 if form.errors else 200)
