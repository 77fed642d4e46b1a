"""Connection forms: settings as JSON, secrets as name/value pairs typed once and never shown again."""

from __future__ import annotations

import inspect
import json

from django import forms
from django.utils.translation import gettext_lazy as _

SECRET_ROWS = 3


def connector_choices() -> list[tuple[str, str]]:
    from connectors.registry import connector_types

    return [(name, name) for name in sorted(connector_types()) if name != "demo"]


def connector_help(connector_type: str) -> str:
    """The connector's own description of its settings and secrets (its docstring)."""
    from connectors.registry import connector_types

    cls = connector_types().get(connector_type)
    return inspect.getdoc(cls) or "" if cls else ""


class SecretsMixin:
    """``secret_name_N`` / ``secret_value_N`` rows; values are password inputs, never re-rendered."""

    def add_secret_fields(self) -> None:
        for i in range(SECRET_ROWS):
            self.fields[f"secret_name_{i}"] = forms.CharField(label=_("Secret name"), required=False, max_length=100)
            self.fields[f"secret_value_{i}"] = forms.CharField(
                label=_("Secret value"), required=False, widget=forms.PasswordInput(render_value=False))

    def secret_rows(self):
        return [(self[f"secret_name_{i}"], self[f"secret_value_{i}"]) for i in range(SECRET_ROWS)]

    def clean_secrets(self) -> dict[str, str]:
        secrets: dict[str, str] = {}
        for i in range(SECRET_ROWS):
            name = (self.cleaned_data.get(f"secret_name_{i}") or "").strip()
            value = self.cleaned_data.get(f"secret_value_{i}") or ""
            if name and not value:
                self.add_error(f"secret_value_{i}", _("Type the value of %(name)s.") % {"name": name})
            elif value and not name:
                self.add_error(f"secret_name_{i}", _("Name this secret (e.g. password, access_token)."))
            elif name:
                secrets[name] = value
        return secrets


class ConnectionForm(SecretsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    connector_type = forms.ChoiceField(label=_("System"), choices=())
    settings = forms.CharField(label=_("Settings (JSON)"), required=False, initial="{}",
                               widget=forms.Textarea(attrs={"rows": 6, "class": "mono", "spellcheck": "false"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connector_type"].choices = connector_choices()
        self.add_secret_fields()

    def clean_settings(self):
        text = (self.cleaned_data.get("settings") or "").strip() or "{}"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("This is not valid JSON: %(error)s (line %(line)s)"),
                                        params={"error": exc.msg, "line": exc.lineno}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Settings must be a JSON object ({…})."))
        return value

    def clean(self):
        cleaned = super().clean()
        cleaned["secrets"] = self.clean_secrets()
        return cleaned


class RotateForm(SecretsMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_secret_fields()

    def clean(self):
        cleaned = super().clean()
        cleaned["secrets"] = self.clean_secrets()
        if not cleaned["secrets"] and not self.errors:
            raise forms.ValidationError(_("Give at least one secret; the new set replaces all old secrets."))
        return cleaned
