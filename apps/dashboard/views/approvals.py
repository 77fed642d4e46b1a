"""The approvals inbox: what the agent wants to write, why, with arguments a person may edit."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.common.errors import Conflict, InvalidInput
from apps.runs.selectors import approval_get, approval_list
from apps.runs.services import approval_decide

from ..access import org_view
from ..forms import ApprovalDecisionForm, problems_to_form
from ..pages import page
from ..templatetags.dashboard import pretty_json


@org_view
def inbox(request):
    show = request.GET.get("show", "pending")
    approvals = list(approval_list(actor=request.actor, pending_only=show != "all")
                     .defer("run__inputs", "run__outputs", "run__resume_value")[:200])
    return page(request, "dashboard/approvals/inbox.html", {"approvals": approvals, "show": show})


@org_view
@require_http_methods(["GET", "POST"])
def decide(request, approval_id: int):
    approval = approval_get(actor=request.actor, approval_id=approval_id)
    initial = {"arguments": pretty_json(approval.requested.get("arguments") or {}), "decision": "approve"}
    form = ApprovalDecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        arguments = form.cleaned_data["arguments"]
        if arguments == (approval.requested.get("arguments") or {}):
            arguments = None  # unchanged: record it as approved as asked, not as edited
        try:
            approval_decide(actor=request.actor, approval_id=approval.pk,
                            approve=form.cleaned_data["decision"] == "approve", arguments=arguments,
                            reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            problems_to_form(form, exc.problems)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("dashboard:run_detail", run_id=approval.run_id)
    return page(request, "dashboard/approvals/decide.html", {"approval": approval, "form": form},
                status=400 if form.errors else 200)
