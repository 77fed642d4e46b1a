"""The composer's small forms: add, configure and remove a node; connect and disconnect."""

from __future__ import annotations

from typing import Any

import yaml
from django import forms
from django.utils.translation import gettext_lazy as _

from . import spec_edits

NODE_TYPES = ["fetch", "llm", "agent", "compute", "transform", "chart", "branch", "map", "approval", "deliver"]


def parse_config(text: str) -> dict[str, Any]:
    """A node's config typed as YAML (or JSON, which is YAML too)."""
    try:
        value = yaml.safe_load(text or "{}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise forms.ValidationError(_("This is not valid YAML%(where)s: %(problem)s"),
                                    params={"where": where, "problem": getattr(exc, "problem", exc)}) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise forms.ValidationError(_("A node's config is a mapping (key: value)."))
    return value


def _node_choices(spec) -> list[tuple[str, str]]:
    return [(n["id"], n["id"]) for n in spec.get("nodes", []) if isinstance(n, dict) and "id" in n]


class AddNodeForm(forms.Form):
    node_id = forms.RegexField(label=_("Id"), regex=r"^[a-z][a-z0-9_]{0,62}$",
                               error_messages={"invalid": _("Lower-case letters, digits and _; start with a letter.")})
    type = forms.ChoiceField(label=_("Type"), choices=[(t, t) for t in NODE_TYPES])
    title = forms.CharField(label=_("Title"), required=False, max_length=120)
    after = forms.ChoiceField(label=_("After"), required=False)
    config = forms.CharField(label=_("Config (YAML)"), required=False, initial="{}",
                             widget=forms.Textarea(attrs={"rows": 5, "class": "mono", "spellcheck": "false"}))

    def __init__(self, spec, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["after"].choices = [("", "—"), *_node_choices(spec)]
        self.spec = spec

    def clean_node_id(self):
        node_id = self.cleaned_data["node_id"]
        if node_id in dict(_node_choices(self.spec)):
            raise forms.ValidationError(_("A node with this id exists."))
        return node_id

    def clean_config(self):
        return parse_config(self.cleaned_data["config"])


class ConfigureNodeForm(forms.Form):
    node = forms.ChoiceField(label=_("Node"))
    title = forms.CharField(label=_("Title"), required=False, max_length=120)
    config = forms.CharField(label=_("Config (YAML)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 10, "class": "mono", "spellcheck": "false"}))

    def __init__(self, spec, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = _node_choices(spec)

    def clean_config(self):
        return parse_config(self.cleaned_data["config"])


class ConnectForm(forms.Form):
    source = forms.ChoiceField(label=_("From"))
    target = forms.ChoiceField(label=_("To"))
    condition = forms.CharField(label=_("Only when (expression, optional)"), required=False, max_length=300)

    def __init__(self, spec, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = self.fields["target"].choices = _node_choices(spec)


class NodeChoiceForm(forms.Form):
    node = forms.ChoiceField(label=_("Node"))

    def __init__(self, spec, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = _node_choices(spec)


class ComposerForms:
    """All the composer's forms; the posted one is bound, the others start empty."""

    def __init__(self, spec: dict[str, Any], data=None, *, selected: str = ""):
        action = (data or {}).get("action", "")
        self.spec = spec
        chosen = next((n for n in self.node_configs() if n["id"] == selected), None)
        initial = {"node": chosen["id"], "title": chosen["title"], "config": chosen["yaml"]} if chosen else {}
        self.add = AddNodeForm(spec, data if action == "add" else None, prefix="add")
        self.configure = ConfigureNodeForm(spec, data if action == "configure" else None, prefix="cfg",
                                           initial=initial)
        self.selected = chosen["id"] if chosen else ""
        self.connect = ConnectForm(spec, data if action == "connect" else None, prefix="edge")
        self.remove = NodeChoiceForm(spec, data if action == "remove" else None, prefix="rm")
        self.data = data
        self.note = ""

    @property
    def has_errors(self) -> bool:
        return any(f.is_bound and f.errors for f in (self.add, self.configure, self.connect, self.remove))

    def node_configs(self) -> list[dict[str, str]]:
        """Each node's current config as YAML, for the configure form to start from."""
        return [{"id": n["id"], "title": n.get("title", ""), "yaml": yaml.safe_dump(n.get("config") or {},
                 sort_keys=False, allow_unicode=True)} for n in self.spec.get("nodes", []) if isinstance(n, dict)]

    def apply(self, action: str) -> dict[str, Any] | None:
        """The edited spec, or None when the posted form is invalid (its errors say why)."""
        if action == "add" and self.add.is_valid():
            d = self.add.cleaned_data
            self.note = f"added {d['node_id']}"
            return spec_edits.add_node(self.spec, node_id=d["node_id"], type_=d["type"], title=d["title"],
                                       config=d["config"], after=d["after"])
        if action == "configure" and self.configure.is_valid():
            d = self.configure.cleaned_data
            self.note = f"configured {d['node']}"
            return spec_edits.configure_node(self.spec, node_id=d["node"], title=d["title"], config=d["config"])
        if action == "connect" and self.connect.is_valid():
            d = self.connect.cleaned_data
            self.note = f"connected {d['source']} to {d['target']}"
            return spec_edits.connect(self.spec, source=d["source"], target=d["target"], condition=d["condition"])
        if action == "remove" and self.remove.is_valid():
            self.note = f"removed {self.remove.cleaned_data['node']}"
            return spec_edits.remove_node(self.spec, node_id=self.remove.cleaned_data["node"])
        if action == "disconnect":
            try:
                index = int((self.data or {}).get("edge", ""))
            except ValueError:
                return None
            self.note = "removed an edge"
            return spec_edits.disconnect(self.spec, index=index)
        return None
