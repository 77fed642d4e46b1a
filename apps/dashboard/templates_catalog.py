"""The template gallery: shipped workflow templates with their pictures, and what they need."""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from typing import Any

import workflows.templates

from .graph import Layout, layout

_TOOL = re.compile(r"^([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*$")


@dataclass
class TemplateCard:
    name: str
    title: str
    description: str
    spec: dict[str, Any]
    picture: Layout
    connector_types: list[str]


def connector_types_used(spec: Any) -> list[str]:
    """Connector types whose operations the spec names (``hubspot.search_deals`` -> hubspot)."""
    from connectors.registry import connector_types

    known = set(connector_types())
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            match = _TOOL.match(value.strip())
            if match and match.group(1) in known:
                found.add(match.group(1))

    walk(spec.get("nodes") if isinstance(spec, dict) else None)
    return sorted(found)


@functools.cache
def _catalog() -> dict[str, TemplateCard]:
    """Every template, read and laid out once per process: they ship with the code and do
    not change while it runs. Callers get copies (``card``, ``cards``), never these."""
    catalog = {}
    for name in workflows.templates.names():
        spec = workflows.templates.load(name)
        catalog[name] = TemplateCard(
            name=name, title=str(spec.get("title") or name), description=str(spec.get("description") or ""),
            spec=spec, picture=layout(spec), connector_types=connector_types_used(spec))
    return catalog


def card(name: str) -> TemplateCard:
    """A copy the caller may change (its spec becomes a workflow's). Raises KeyError for an
    unknown template."""
    return copy.deepcopy(_catalog()[name])


def cards() -> list[TemplateCard]:
    return [copy.deepcopy(c) for c in _catalog().values()]


def customised(spec: dict[str, Any], *, defaults: dict[str, Any], write_policy: str,
               required_approvers: int) -> dict[str, Any]:
    """The template's spec with the user's settings: input defaults and the write policy."""
    spec = copy.deepcopy(spec)
    properties = (spec.get("inputs") or {}).get("properties") or {}
    for key, value in defaults.items():
        if key in properties and isinstance(properties[key], dict):
            properties[key]["default"] = value
    policy = dict(spec.get("write_policy") or {})
    policy["default"] = write_policy
    policy["required_approvers"] = required_approvers
    spec["write_policy"] = policy
    return spec
