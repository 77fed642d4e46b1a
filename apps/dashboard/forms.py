"""Forms of the dashboard that are not generated from a schema."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.common.errors import Problem

POLICIES = [("approve", _("Ask a person before each write")), ("auto", _("Write without asking")),
            ("deny", _("Never write (read-only)"))]


class TemplateSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    write_policy = forms.ChoiceField(label=_("Writes to your CRM/ERP"), choices=POLICIES, initial="approve")
    required_approvers = forms.IntegerField(label=_("People who must approve a write"), min_value=1, max_value=10,
                                            initial=1)


class ApprovalDecisionForm(forms.Form):
    arguments = forms.CharField(label=_("Arguments (JSON, editable)"), required=False,
                                widget=forms.Textarea(attrs={"rows": 16, "class": "mono", "spellcheck": "false"}))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.TextInput(attrs={"placeholder": _("Why (required to reject)")}))
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])

    def clean_arguments(self):
        text = self.cleaned_data["arguments"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("This is not valid JSON: %(error)s"), params={"error": exc.msg}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The arguments must be a JSON object ({…})."))
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why you reject it; the run's author will read it."))
        return cleaned


class YamlForm(forms.Form):
    text = forms.CharField(label=_("Workflow YAML"), strip=False,
                           widget=forms.Textarea(attrs={"rows": 30, "class": "mono", "spellcheck": "false"}))
    note = forms.CharField(label=_("What changed"), required=False, max_length=300)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("YAML file"), required=False)
    text = forms.CharField(label=_("…or paste YAML"), required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 12, "class": "mono", "spellcheck": "false"}))
    name = forms.CharField(label=_("Name (optional; taken from the file otherwise)"), required=False, max_length=200)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            try:
                cleaned["text"] = upload.read(1024 * 1024).decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", _("The file is not UTF-8 text."))
        if not (cleaned.get("text") or "").strip() and not self.errors:
            self.add_error("text", _("Choose a file or paste the YAML."))
        return cleaned


def problems_to_form(form: forms.Form, problems: Iterable[Problem], *,
                     aliases: Mapping[str, str] | None = None) -> None:
    """Put each service problem on the field its path starts with (``settings.url`` on
    ``settings``; ``aliases`` maps a service's path to the form's field name), or, with its
    path, among the non-field errors when the form has no such field."""
    for problem in problems:
        name = (aliases or {}).get(problem.path, problem.path.split(".")[0])
        if name in form.fields:
            form.add_error(name, problem.message)
        else:
            form.add_error(None, str(problem))
