"""Django forms generated from a workflow's input schema (a JSON schema object).

Each property becomes a field a business user understands: text, number, yes/no, a
choice, a list (one item a line) or JSON for anything nested. Long text fields (format
``textarea``, or ``x-upload: true``) also take a file, e.g. a meeting transcript.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

FILE_SUFFIX = "__file"
UPLOAD_LIMIT = 2 * 1024 * 1024


def _label(name: str, prop: dict[str, Any]) -> str:
    return str(prop.get("title") or name.replace("_", " ").capitalize())


_LONG_TEXT_NAMES = ("transcript", "body", "text", "notes", "content", "document")


def _is_long_text(name: str, prop: dict[str, Any]) -> bool:
    return prop.get("format") in ("textarea", "multiline") or bool(prop.get("x-upload")) \
        or (prop.get("maxLength") or 0) > 300 or any(word in name.lower() for word in _LONG_TEXT_NAMES)


def field_for(name: str, prop: dict[str, Any], *, required: bool) -> forms.Field:
    kind = prop.get("type")
    common = {"label": _label(name, prop), "required": required, "help_text": prop.get("description", "")}
    if "enum" in prop:
        return forms.ChoiceField(choices=[(v, v) for v in prop["enum"]], **common)
    if kind == "string" and prop.get("format") == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "string" and prop.get("format") == "email":
        return forms.EmailField(**common)
    if kind == "integer":
        return forms.IntegerField(min_value=prop.get("minimum"), max_value=prop.get("maximum"), **common)
    if kind == "number":
        return forms.FloatField(min_value=prop.get("minimum"), max_value=prop.get("maximum"), **common)
    if kind == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    if kind == "array":
        common["help_text"] = common["help_text"] or _("One per line.")
        return ListField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == "object":
        return forms.JSONField(widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}), **common)
    widget = forms.Textarea(attrs={"rows": 8}) if _is_long_text(name, prop) else forms.TextInput()
    return forms.CharField(widget=widget, strip=False, max_length=prop.get("maxLength"),
                           min_length=prop.get("minLength"), **common)


class ListField(forms.CharField):
    """One item a line (commas also separate), for an array of strings."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


class SchemaForm(forms.Form):
    """``SchemaForm(schema, data, files, initial=...)``; ``cleaned_inputs()`` gives the run inputs."""

    def __init__(self, schema: dict[str, Any], *args, use_defaults: bool = True, all_optional: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema if isinstance(schema, dict) else {}
        required = set(self.schema.get("required") or [])
        self.properties = self.schema.get("properties") or {}
        self._text_or_file: set[str] = set()
        for name, prop in self.properties.items():
            prop = prop if isinstance(prop, dict) else {}
            has_default = "default" in prop
            # A field with a default need not be typed in: leaving it empty means the default.
            self.fields[name] = field_for(name, prop,
                                          required=name in required and not has_default and not all_optional)
            if use_defaults and has_default and name not in self.initial:
                self.fields[name].initial = prop["default"]
            if isinstance(self.fields[name].widget, forms.Textarea) and prop.get("type") == "string":
                # Typed or uploaded: required means one of the two, checked in clean().
                if self.fields[name].required:
                    self.fields[name].required = False
                    self._text_or_file.add(name)
                self.fields[name + FILE_SUFFIX] = forms.FileField(
                    label=_("…or upload a file"), required=False,
                    help_text=_("A text file (UTF-8); it replaces what is typed above."))

    def clean(self):
        cleaned = super().clean()
        for name in list(self.properties):
            upload = cleaned.get(name + FILE_SUFFIX)
            if upload is None:
                if name in self._text_or_file and not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("Type the text or upload a file."))
                continue
            if upload.size > UPLOAD_LIMIT:
                self.add_error(name + FILE_SUFFIX, _("The file is larger than 2 MB."))
                continue
            try:
                cleaned[name] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error(name + FILE_SUFFIX, _("The file is not UTF-8 text."))
        return cleaned

    def cleaned_inputs(self) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        for name, prop in self.properties.items():
            value = self.cleaned_data.get(name)
            if value in (None, "", []) and not (isinstance(prop, dict) and prop.get("type") == "boolean"):
                continue  # leave it out so the schema's default applies
            inputs[name] = value.isoformat() if isinstance(value, date) else value
        return inputs

    def add_problems(self, problems) -> list[str]:
        """Put service problems (paths like ``inputs.name``) next to their fields;
        return the messages that belong to no field."""
        loose = []
        for problem in problems:
            key = problem.path.removeprefix("inputs").lstrip(".").split(".")[0].split("[")[0]
            if key in self.fields:
                self.add_error(key, problem.message)
            else:
                loose.append(str(problem))
        return loose
