"""Describing a spec to people and tools: a Mermaid flowchart and a JSON schema of the format."""

from __future__ import annotations

import copy
from typing import Any

from .configs import CONFIGS, BranchConfig
from .model import WorkflowSpec

_SHAPES = {"agent": ("[[", "]]"), "approval": ("{{", "}}"), "branch": ("{", "}"), "deliver": ("[/", "/]"),
           "fetch": ("[(", ")]"), "map": ("[[", "]]")}


def _label(text: str, limit: int = 60) -> str:
    text = " ".join(text.replace('"', "'").split())
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "…") + '"'


def mermaid(spec: WorkflowSpec) -> str:
    """A Mermaid flowchart of the spec's nodes and edges (not LangGraph's internal nodes)."""
    lines = ["flowchart TD", "    start((start))"]
    for node in spec.nodes:
        left, right = _SHAPES.get(node.type, ("[", "]"))
        kind = node.type + (" · waits for all" if node.join == "all" else "")
        title = _label(node.title or node.id, 40)[1:-1]
        lines.append(f'    {node.id}{left}"{title}<br/><small>{kind}</small>"{right}')
    lines.append(f"    start --> {spec.entry}")
    for edge in spec.edges:
        arrow = f"-- {_label(edge.condition)} -->" if edge.condition else "-->"
        lines.append(f"    {edge.source} {arrow} {edge.target}")
    for node_id, config in spec.configs.items():
        if isinstance(config, BranchConfig):
            for case in config.cases:
                lines.append(f"    {node_id} -- {_label(case.when)} --> {case.to}")
            lines.append(f"    {node_id} -. otherwise .-> {config.default}")
    return "\n".join(lines) + "\n"


def spec_schema() -> dict[str, Any]:
    """JSON schema of spec version 1, with each node type's config, for editors and the API."""
    schema = copy.deepcopy(WorkflowSpec.model_json_schema(by_alias=True, mode="validation"))
    schema.get("properties", {}).pop("configs", None)
    defs = schema.setdefault("$defs", {})
    conditional = []
    for kind, model in CONFIGS.items():
        config = model.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(config.pop("$defs", {}))
        defs[model.__name__] = config
        conditional.append({"if": {"properties": {"type": {"const": kind}}},
                            "then": {"properties": {"config": {"$ref": f"#/$defs/{model.__name__}"}}}})
    defs["Node"]["properties"]["type"] = {"enum": list(CONFIGS)}
    defs["Node"]["allOf"] = conditional
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
