"""Edits a person makes to a spec in the composer, as pure functions on spec data.

Each returns a new spec; validation happens when the result is saved as a version, so a
problem is reported with its path exactly as for a YAML edit.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

import workflows


def add_node(spec: dict[str, Any], *, node_id: str, type_: str, title: str, config: dict[str, Any],
             after: str = "") -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    node: dict[str, Any] = {"id": node_id, "type": type_}
    if title:
        node["title"] = title
    node["config"] = config
    spec.setdefault("nodes", []).append(node)
    if after:
        spec.setdefault("edges", []).append({"from": after, "to": node_id})
    return spec


def remove_node(spec: dict[str, Any], *, node_id: str) -> dict[str, Any]:
    """The node and every edge that touches it."""
    spec = copy.deepcopy(spec)
    spec["nodes"] = [n for n in spec.get("nodes", []) if n.get("id") != node_id]
    spec["edges"] = [e for e in spec.get("edges", []) if node_id not in (e.get("from"), e.get("to"))]
    if spec.get("start") == node_id:
        spec.pop("start")
    return spec


def configure_node(spec: dict[str, Any], *, node_id: str, title: str, config: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for node in spec.get("nodes", []):
        if node.get("id") == node_id:
            node["config"] = config
            if title:
                node["title"] = title
            else:
                node.pop("title", None)
    return spec


def connect(spec: dict[str, Any], *, source: str, target: str, condition: str = "") -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    edge: dict[str, Any] = {"from": source, "to": target}
    if condition:
        edge["condition"] = condition
    spec.setdefault("edges", []).append(edge)
    return spec


def disconnect(spec: dict[str, Any], *, index: int) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    edges = spec.get("edges", [])
    if 0 <= index < len(edges):
        edges.pop(index)
    return spec


def diff_lines(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """A unified diff of two specs as YAML, as (kind, text) pairs: add, del, hunk or same."""
    out = []
    a = workflows.dump_yaml(old).splitlines()
    b = workflows.dump_yaml(new).splitlines()
    for line in list(difflib.unified_diff(a, b, lineterm="", n=3))[2:]:
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out
