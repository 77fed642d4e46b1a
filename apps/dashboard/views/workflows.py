"""Workflows: the list, the template gallery, creating from a template, a workflow's page,
and the run-now form generated from its input schema."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.automations.selectors import connection_list, workflow_get
from apps.automations.services import workflow_create, workflow_delete
from apps.common.errors import InvalidInput
from apps.runs.services import run_create

from .. import selectors, templates_catalog
from ..access import org_view
from ..forms import TemplateSettingsForm
from ..graph import layout
from ..pages import page
from ..schema_forms import SchemaForm


@org_view
def workflow_list(request):
    workflows = list(selectors.workflow_list_with_last_run(actor=request.actor))
    next_runs = selectors.next_scheduled(actor=request.actor)
    for workflow in workflows:
        workflow.next_run_at = next_runs.get(workflow.pk)
    return page(request, "dashboard/workflows/list.html", {"workflows": workflows})


@org_view
def gallery(request):
    return page(request, "dashboard/workflows/gallery.html", {"cards": templates_catalog.cards()})


def _add_problems(settings_form, inputs_form, problems) -> list[str]:
    loose = []
    for problem in problems:
        if problem.path == "name":
            settings_form.add_error("name", problem.message)
        elif problem.path.startswith("inputs.properties."):
            key = problem.path.split(".")[2]
            if key in inputs_form.fields:
                inputs_form.add_error(key, problem.message)
            else:
                loose.append(str(problem))
        else:
            loose.append(str(problem))
    return loose


@org_view
@require_http_methods(["GET", "POST"])
def create_from_template(request, template: str):
    try:
        card = templates_catalog.card(template)
    except KeyError:
        raise Http404("no such template") from None
    request.actor.require("edit")
    schema = card.spec.get("inputs") or {}
    settings_form = TemplateSettingsForm(request.POST or None, initial={"name": card.title})
    # Here the inputs are defaults for every run, so none has to be given now.
    inputs_form = SchemaForm(schema, request.POST or None, request.FILES or None, prefix="inputs", all_optional=True)
    problems: list[str] = []
    if request.method == "POST" and settings_form.is_valid() & inputs_form.is_valid():
        spec = templates_catalog.customised(
            card.spec, defaults=inputs_form.cleaned_inputs(),
            write_policy=settings_form.cleaned_data["write_policy"],
            required_approvers=settings_form.cleaned_data["required_approvers"])
        try:
            workflow = workflow_create(actor=request.actor, name=settings_form.cleaned_data["name"], spec=spec,
                                       description=settings_form.cleaned_data["description"] or card.description,
                                       template=template)
        except InvalidInput as exc:
            problems = _add_problems(settings_form, inputs_form, exc.problems)
        else:
            messages.success(request, _("Workflow “%(name)s” created.") % {"name": workflow.name})
            return redirect("dashboard:workflow_detail", workflow_id=workflow.pk)
    have = set(connection_list(actor=request.actor).values_list("connector_type", flat=True))
    needed = [{"type": t, "present": t in have or t == "demo"} for t in card.connector_types]
    return page(request, "dashboard/workflows/create.html", {
        "card": card, "settings_form": settings_form, "inputs_form": inputs_form, "problems": problems,
        "needed_connections": needed}, status=400 if problems or settings_form.errors or inputs_form.errors else 200)


@org_view
def workflow_detail(request, workflow_id: int):
    workflow = workflow_get(actor=request.actor, workflow_id=workflow_id)
    spec = workflow.current_version.spec if workflow.current_version else {}
    runs, _cursor = selectors.run_page(actor=request.actor, workflow_id=workflow.pk, size=10)
    # While the latest run of the current version is going, the picture shows where it is.
    current = next((r for r in runs[:1] if not r.is_finished and r.version_id == workflow.current_version_id), None)
    states = selectors.run_node_states(run=current) if current else {}
    return page(request, "dashboard/workflows/detail.html", {
        "workflow": workflow, "spec": spec, "picture": layout(spec, states), "runs": runs, "current_run": current,
        "version_count": workflow.versions.count()})


@org_view
@require_POST
def workflow_remove(request, workflow_id: int):
    workflow = workflow_delete(actor=request.actor, workflow_id=workflow_id)
    messages.success(request, _("Workflow “%(name)s” deleted. Its past runs stay in the run history.")
                     % {"name": workflow.name})
    return redirect("dashboard:workflow_list")


@org_view
@require_http_methods(["GET", "POST"])
def run_now(request, workflow_id: int):
    workflow = workflow_get(actor=request.actor, workflow_id=workflow_id)
    schema = (workflow.current_version.spec.get("inputs") or {}) if workflow.current_version else {}
    form = SchemaForm(schema, request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            run = run_create(actor=request.actor, workflow_id=workflow.pk, inputs=form.cleaned_inputs())
        except InvalidInput as exc:
            problems = form.add_problems(exc.problems)
        else:
            return redirect("dashboard:run_detail", run_id=run.pk)
    return page(request, "dashboard/workflows/run_now.html",
                {"workflow": workflow, "form": form, "problems": problems},
                status=400 if form.errors or problems else 200)
