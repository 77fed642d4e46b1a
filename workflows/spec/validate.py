"""``load_spec``: parse a spec and report every problem at its path.

Checks, in order, without stopping at the first failure: the shape of the document and
of each node's config, node ids and types, edges and branch targets, reachability from the
start, cycles that can never be left, tool names (connector operations and built-ins),
the JSON schemas the spec carries, and every variable each template or expression reads.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

import jsonschema
from pydantic import BaseModel, ValidationError

from ..errors import Issue, SpecError, format_path
from ..expressions import ExpressionError, globals_names, references
from ..tools.catalog import suggest, tool_kind
from .configs import CONFIGS, MAP_BODIES, MapConfig, NodeConfig, TransformConfig
from .graph import ancestors, cycles_without_exit, reachable
from .model import WorkflowSpec

Loc = tuple[Any, ...]


def load_spec(data: Mapping[str, Any]) -> WorkflowSpec:
    """Validate spec data and return the typed spec, or raise SpecError listing all problems."""
    issues: list[Issue] = []
    spec = _parse(WorkflowSpec, data, (), issues)
    raw_nodes = data.get("nodes") if isinstance(data, Mapping) else None
    raw_nodes = raw_nodes if isinstance(raw_nodes, list) else []
    configs: dict[str, NodeConfig] = {}
    for i, raw in enumerate(raw_nodes):
        if not isinstance(raw, Mapping):
            continue
        config = _node_config(raw, ("nodes", i), issues)
        if config is not None and isinstance(raw.get("id"), str):
            configs[raw["id"]] = config
    if spec is None:
        raise SpecError(issues)
    _check_graph(spec, configs, issues)
    _check_references(spec, configs, issues)
    if issues:
        raise SpecError(issues)
    return spec.model_copy(update={"configs": configs})


def _parse(model: type[BaseModel], data: Any, loc: Loc, issues: list[Issue]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = (*loc, *err["loc"])
            message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            issues.append(Issue(format_path(where), message))
        return None


def _node_config(raw: Mapping[str, Any], loc: Loc, issues: list[Issue]) -> NodeConfig | None:
    kind = raw.get("type")
    if kind not in CONFIGS:
        issues.append(Issue(format_path((*loc, "type")),
                            f"unknown node type {kind!r}; expected one of {', '.join(sorted(CONFIGS))}"))
        return None
    raw_config = raw.get("config", {})
    if not isinstance(raw_config, Mapping):
        return None  # the document check (Node.config is a mapping) has reported it
    config = _parse(CONFIGS[kind], raw_config, (*loc, "config"), issues)
    if isinstance(config, TransformConfig) and (config.template is None) == (config.mapping is None):
        issues.append(Issue(format_path((*loc, "config")), "give exactly one of 'template' or 'mapping'"))
    if kind == "map":
        # The body is checked even when the map's own settings are wrong, to report both.
        raw_body = raw_config.get("node")
        body_type = raw_body.get("type") if isinstance(raw_body, Mapping) else None
        body_config = raw_body.get("config", {}) if isinstance(raw_body, Mapping) else None
        body = None
        # A body config that is not a mapping was reported by the map's own check (MapBody).
        if body_type in MAP_BODIES and isinstance(body_config, Mapping):
            body = _parse(CONFIGS[body_type], body_config, (*loc, "config", "node", "config"), issues)
        if body is None or config is None:
            return None
        config.set_body(body)
    return config


def _check_graph(spec: WorkflowSpec, configs: Mapping[str, NodeConfig], issues: list[Issue]) -> None:
    ids = [n.id for n in spec.nodes]
    known = set(ids)
    seen: set[str] = set()
    for i, node_id in enumerate(ids):
        if node_id in seen:
            issues.append(Issue(f"nodes[{i}].id", f"duplicate node id {node_id!r}"))
        seen.add(node_id)
    if spec.start is not None and spec.start not in known:
        issues.append(Issue("start", f"unknown node {spec.start!r}"))
    for i, edge in enumerate(spec.edges):
        for end, name in (("from", edge.source), ("to", edge.target)):
            if name not in known:
                issues.append(Issue(f"edges[{i}].{end}", f"edge refers to unknown node {name!r}"))
        if edge.source in known and spec.node(edge.source).type == "branch":
            issues.append(Issue(f"edges[{i}]", f"branch node {edge.source!r} routes by its cases; "
                                               "remove this edge"))
    for node_id in known:
        plain = [i for i, e in enumerate(spec.edges) if e.source == node_id and e.condition is None]
        conditional = [e for e in spec.edges if e.source == node_id and e.condition is not None]
        if conditional and len(plain) > 1:
            issues.append(Issue(f"edges[{plain[1]}]", f"node {node_id!r} has conditional edges, so at "
                                                      "most one edge without a condition (the default)"))
    for i, node in enumerate(spec.nodes):
        if node.join == "all":
            incoming = spec.incoming(node.id)
            if len(incoming) < 2 or any(e.condition is not None for e in incoming):
                issues.append(Issue(f"nodes[{i}].join", "join: all needs two or more incoming edges, "
                                                        "none of them conditional"))
    index = {n.id: i for i, n in enumerate(spec.nodes)}
    for node_id, config in configs.items():
        for loc, target in config.targets():
            if target not in known:
                issues.append(Issue(format_path(("nodes", index.get(node_id, 0), "config", *loc)),
                                    f"unknown node {target!r}"))
    successors = _successors(spec, configs)
    if spec.entry in known:
        live = reachable(spec.entry, successors)
        for i, node in enumerate(spec.nodes):
            if node.id not in live:
                issues.append(Issue(f"nodes[{i}]", f"node {node.id!r} is unreachable from {spec.entry!r}"))
    deciders = {n.id for n in spec.nodes if n.type == "branch"}
    deciders |= {e.source for e in spec.edges if e.condition is not None}
    for cycle in cycles_without_exit(successors, deciders):
        first = min(cycle, key=lambda n: index.get(n, 0))
        issues.append(Issue(f"nodes[{index.get(first, 0)}]",
                            f"cycle {' -> '.join(sorted(cycle))} has no exit (needs a branch or "
                            "conditional edge leading out of it)"))


def _successors(spec: WorkflowSpec, configs: Mapping[str, NodeConfig]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {n.id: set() for n in spec.nodes}
    for edge in spec.edges:
        if edge.source in out and edge.target in out:
            out[edge.source].add(edge.target)
    for node_id, config in configs.items():
        for _, target in config.targets():
            if node_id in out and target in out:
                out[node_id].add(target)
    return out


def _check_references(spec: WorkflowSpec, configs: Mapping[str, NodeConfig], issues: list[Issue]) -> None:
    input_props = spec.inputs.get("properties") if isinstance(spec.inputs, Mapping) else None
    try:
        jsonschema.Draft202012Validator.check_schema(spec.inputs)
    except jsonschema.SchemaError as exc:
        issues.append(Issue("inputs", f"invalid JSON schema: {exc.message}"))
    known_ids = {n.id for n in spec.nodes}
    successors = _successors(spec, configs)
    for i, node in enumerate(spec.nodes):
        config = configs.get(node.id)
        if config is None:
            continue
        base: Loc = ("nodes", i, "config")
        upstream = ancestors(node.id, successors)
        extra = {"report_text", "attachment", "item", "index"} if node.type == "deliver" else set()
        scope = _Scope(input_props, known_ids, upstream, extra=extra)
        _check_config(config, base, node.type, scope, issues)
        if isinstance(config, MapConfig):
            body_scope = _Scope(input_props, known_ids, upstream, extra={"item", "index"})
            body = config.body
            _check_config(body, (*base, "node", "config"), config.node.type, body_scope, issues)
    everything = _Scope(input_props, known_ids, known_ids, extra=set())
    for name, expression in spec.outputs.items():
        _check_source(expression, ("outputs", name), True, everything, issues)
    for tool in spec.write_policy.tools:
        if tool_kind(tool) is None:
            issues.append(Issue(f"write_policy.tools.{tool}", f"unknown tool {tool!r}{suggest(tool)}"))


class _Scope:
    def __init__(self, input_props: Any, known: set[str], upstream: set[str], extra: set[str]):
        self.input_props = input_props if isinstance(input_props, Mapping) else None
        self.known = known
        self.upstream = upstream
        self.roots = {"inputs", "results", "refs", "loop"} | extra | globals_names()


def _check_config(config: NodeConfig, base: Loc, kind: str, scope: _Scope, issues: list[Issue]) -> None:
    for loc, source in config.templates():
        _check_source(source, (*base, *loc), False, scope, issues)
    for loc, source in config.expressions():
        _check_source(source, (*base, *loc), True, scope, issues)
    for loc, name in config.tool_refs():
        found = tool_kind(name)
        path = format_path((*base, *loc))
        if found is None:
            issues.append(Issue(path, f"unknown tool {name!r}{suggest(name)}"))
        elif kind == "fetch" and found != "read":
            issues.append(Issue(path, f"fetch takes a read operation; {name!r} writes"))
        elif kind == "deliver" and found != "write":
            issues.append(Issue(path, f"deliver writes take a write operation; {name!r} only reads"))
    for field in ("instructions", "system"):
        text = getattr(config, field, None)
        if isinstance(text, str) and ("{{" in text or "{%" in text):
            issues.append(Issue(format_path((*base, field)), f"{field} is fixed text and takes no variables, so "
                                "data can never reach the system prompt; put them in the prompt or task"))
    for field in ("output_schema",):
        schema = getattr(config, field, None)
        if schema is not None:
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as exc:
                issues.append(Issue(format_path((*base, field)), f"invalid JSON schema: {exc.message}"))


def _check_source(source: str, loc: Loc, expression: bool, scope: _Scope, issues: list[Issue]) -> None:
    path = format_path(loc)
    try:
        refs = references(source, expression=expression)
    except ExpressionError as exc:
        issues.append(Issue(path, str(exc)))
        return
    for ref in sorted(refs):
        for message in _reference_problems(ref, scope):
            issues.append(Issue(path, message))


def _close(name: str, known: Iterable[str]) -> str:
    found = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    return f"; did you mean {found[0]!r}?" if found else ""


def _reference_problems(ref: tuple[str, ...], scope: _Scope) -> Iterable[str]:
    dotted = ".".join(ref)
    if ref[0] not in scope.roots:
        yield f"undefined variable {ref[0]!r}"
    elif ref[0] == "inputs" and len(ref) > 1 and scope.input_props is not None and ref[1] not in scope.input_props:
        yield f"{dotted!r} reads undefined input {ref[1]!r}{_close(ref[1], scope.input_props)}"
    elif ref[0] in ("results", "refs") and len(ref) > 1:
        if ref[1] not in scope.known:
            yield f"{dotted!r} reads the result of unknown node {ref[1]!r}{_close(ref[1], scope.known)}"
        elif ref[1] not in scope.upstream:
            yield f"{dotted!r} reads the result of {ref[1]!r}, which never runs before this node"
