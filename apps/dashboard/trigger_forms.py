"""Forms for schedules and webhook endpoints."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.triggers.models import OverlapPolicy, WebhookScheme, WebhookSource


def _json_object(text: str, *, what: str):
    text = (text or "").strip() or "{}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(_("This is not valid JSON: %(error)s"), params={"error": exc.msg}) from None
    if not isinstance(value, dict):
        raise forms.ValidationError(_("%(what)s must be a JSON object ({…})."), params={"what": what})
    return value


class ScheduleForm(forms.Form):
    workflow = forms.ChoiceField(label=_("Workflow"))
    name = forms.CharField(label=_("Name"), max_length=200)
    cron = forms.CharField(label=_("When (cron: minute hour day month weekday)"), max_length=120,
                           widget=forms.TextInput(attrs={"class": "mono", "placeholder": "0 8 * * 1-5"}))
    timezone = forms.CharField(label=_("Time zone"), max_length=64)
    overlap_policy = forms.ChoiceField(label=_("If the previous run is still going"),
                                       choices=[(OverlapPolicy.SKIP, _("Skip this time")),
                                                (OverlapPolicy.QUEUE, _("Start after it finishes")),
                                                (OverlapPolicy.ALLOW, _("Start anyway"))])
    inputs = forms.CharField(label=_("Inputs (JSON)"), required=False, initial="{}",
                             widget=forms.Textarea(attrs={"rows": 4, "class": "mono", "spellcheck": "false"}))
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, workflows, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workflow"].choices = [(w.pk, w.name) for w in workflows]

    def clean_inputs(self):
        return _json_object(self.cleaned_data["inputs"], what=_("Inputs"))


class WebhookForm(forms.Form):
    workflow = forms.ChoiceField(label=_("Workflow it starts"))
    source = forms.ChoiceField(label=_("Sent by"), choices=WebhookSource.choices)
    scheme = forms.ChoiceField(label=_("How requests are verified"), choices=WebhookScheme.choices)
    settings = forms.CharField(label=_("Scheme settings (JSON)"), required=False, initial="{}",
                               widget=forms.Textarea(attrs={"rows": 3, "class": "mono", "spellcheck": "false"}))
    input_mapping = forms.CharField(label=_("Inputs from the payload (JSON: input name → JSON pointer)"),
                                    required=False, initial="{}",
                                    widget=forms.Textarea(attrs={"rows": 3, "class": "mono", "spellcheck": "false"}))

    def __init__(self, workflows, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workflow"].choices = [(w.pk, w.name) for w in workflows]

    def clean_settings(self):
        return _json_object(self.cleaned_data["settings"], what=_("Settings"))

    def clean_input_mapping(self):
        return _json_object(self.cleaned_data["input_mapping"], what=_("The mapping"))
