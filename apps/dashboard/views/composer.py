"""The composer: the graph and forms to change it, the YAML view with problems at their
lines, versions with a readable diff, and import/export."""

from __future__ import annotations

import yaml
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

import workflows
from apps.automations.selectors import workflow_get
from apps.automations.services import check_spec, workflow_export_yaml, workflow_import_yaml, workflow_update_spec
from apps.common.errors import InvalidInput, Problem

from .. import spec_edits
from ..access import org_view
from ..composer_forms import ComposerForms
from ..forms import ImportForm, YamlForm
from ..graph import layout
from ..pages import page
from ..yaml_lines import annotate


def _problems(exc: InvalidInput) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in exc.problems]


@org_view
@require_http_methods(["GET", "POST"])
def yaml_edit(request, workflow_id: int):
    workflow = workflow_get(actor=request.actor, workflow_id=workflow_id)
    text = workflows.dump_yaml(workflow.current_version.spec)
    form = YamlForm(request.POST or None, initial={"text": text})
    problems: list[tuple[str, str]] = []
    checked = False
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        request.actor.require("edit")
        try:
            spec = yaml.safe_load(text)
            if not isinstance(spec, dict):
                raise InvalidInput("invalid", [Problem("", _("The YAML must be a mapping (key: value)."))])
            if request.POST.get("action") == "check":
                check_spec(spec)
                checked = True
            else:
                version = workflow_update_spec(actor=request.actor, workflow=workflow, spec=spec,
                                               note=form.cleaned_data["note"])
                messages.success(request, _("Saved as version %(n)s.") % {"n": version.number})
                return redirect("dashboard:workflow_detail", workflow_id=workflow.pk)
        except yaml.YAMLError:
            pass  # annotate() places the parser's own message at its line
        except InvalidInput as exc:
            problems = _problems(exc)
    lines, loose = annotate(text, problems)
    has_problems = bool(loose) or any(line.problems for line in lines)
    context = {"workflow": workflow, "form": form, "lines": lines, "loose": loose, "checked": checked,
               "has_problems": has_problems}
    template = "dashboard/composer/_yaml_lines.html" if request.htmx else "dashboard/composer/yaml.html"
    return page(request, template, context, status=400 if has_problems else 200)


@org_view
def versions(request, workflow_id: int):
    workflow = workflow_get(actor=request.actor, workflow_id=workflow_id)
    all_versions = list(workflow.versions.select_related("created_by").order_by("-number"))
    by_number = {v.number: v for v in all_versions}

    def pick(name: str, default):
        try:
            return by_number.get(int(request.GET.get(name, "")), default)
        except ValueError:
            return default

    new = pick("b", all_versions[0] if all_versions else None)
    older = [v for v in all_versions if new and v.number < new.number]
    old = pick("a", older[0] if older else None)
    diff = spec_edits.diff_lines(old.spec, new.spec) if old and new else []
    return page(request, "dashboard/composer/versions.html",
                {"workflow": workflow, "versions": all_versions, "old": old, "new": new, "diff": diff})


@org_view
def export(request, workflow_id: int):
    workflow = workflow_get(actor=request.actor, workflow_id=workflow_id)
    response = HttpResponse(workflow_export_yaml(workflow=workflow), content_type="application/yaml; charset=utf-8")
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in workflow.name) or "workflow"
    response["Content-Disposition"] = f'attachment; filename="{name}.yaml"'
    return response


@org_view
@require_http_methods(["GET", "POST"])
def import_yaml(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    lines, loose = [], []
    if request.method == "POST":
        request.actor.require("edit")
        if form.is_valid():
            try:
                workflow = workflow_import_yaml(actor=request.actor, text=form.cleaned_data["text"],
                                                name=form.cleaned_data["name"] or None)
            except InvalidInput as exc:
                text = form.cleaned_data["text"]
                # An exported file holds the spec under "spec:"; its problems' paths are the spec's.
                # (Text that is not YAML arrives here too, with a problem at no path.)
                try:
                    data = yaml.safe_load(text)
                except yaml.YAMLError:
                    data = None
                prefix = "spec." if isinstance(data, dict) and isinstance(data.get("spec"), dict) else ""
                lines, loose = annotate(text, [(f"{prefix}{p}" if p and p != "name" else p, m)
                                               for p, m in _problems(exc)])
            else:
                messages.success(request, _("Imported “%(name)s”.") % {"name": workflow.name})
                return redirect("dashboard:workflow_detail", workflow_id=workflow.pk)
    failed = bool(form.errors or loose or any(line.problems for line in lines))
    return page(request, "dashboard/composer/import.html", {"form": form, "lines": lines, "loose": loose},
                status=400 if failed else 200)


@org_view
@require_http_methods(["GET", "POST"])
def composer(request, workflow_id: int):
    workflow = workflow_get(actor=request.actor, workflow_id=workflow_id)
    spec = workflow.current_version.spec
    forms = ComposerForms(spec, request.POST if request.method == "POST" else None,
                          selected=request.GET.get("node", ""))
    problems: list[str] = []
    if request.method == "POST":
        request.actor.require("edit")
        edited = forms.apply(request.POST.get("action", ""))
        if edited is not None:
            try:
                version = workflow_update_spec(actor=request.actor, workflow=workflow, spec=edited,
                                               note=forms.note)
            except InvalidInput as exc:
                problems = [str(p) for p in exc.problems]
            else:
                if not request.htmx:
                    messages.success(request, _("Saved as version %(n)s.") % {"n": version.number})
                    return redirect("dashboard:composer", workflow_id=workflow.pk)
                workflow.current_version = version
                spec = version.spec
                forms = ComposerForms(spec, None)
    context = {"workflow": workflow, "spec": spec, "picture": layout(spec), "forms": forms, "problems": problems,
               "edges": list(enumerate(spec.get("edges") or []))}
    template = "dashboard/composer/_composer.html" if request.htmx else "dashboard/composer/composer.html"
    return page(request, template, context, status=400 if problems or forms.has_errors else 200)
