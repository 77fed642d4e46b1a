"""Starting and finishing a run: validated initial state, and the spec's outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from .artifacts import plain
from .context import RunContext
from .errors import InputError, Issue, format_path
from .expressions import evaluate
from .nodes.common import scope
from .spec.model import WorkflowSpec


def initial_state(spec: WorkflowSpec, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The graph's input for a new run; raises InputError listing every invalid input.

    Schema defaults for top-level properties are filled in, so templates can rely on them.
    """
    data = dict(inputs)
    for name, prop in (spec.inputs.get("properties") or {}).items():
        if name not in data and isinstance(prop, Mapping) and "default" in prop:
            data[name] = prop["default"]
    validator = jsonschema.Draft202012Validator(spec.inputs, format_checker=jsonschema.FormatChecker())
    issues = [Issue(format_path(("inputs", *err.absolute_path)), err.message)
              for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))]
    if issues:
        raise InputError(issues)
    return {"inputs": data, "results": {}, "agents": {}, "maps": {}}


def final_outputs(spec: WorkflowSpec, state: Mapping[str, Any], ctx: RunContext | None = None) -> dict[str, Any]:
    """Evaluate ``spec.outputs`` against the final state.

    With a context, values read through ``results`` have their artifacts loaded, and values
    read through ``refs`` stay references (a template names its report ``refs.x.report`` so
    the run's outputs point at the artifact instead of holding it). Without a context,
    nothing is loaded.
    """
    if ctx is None:
        names = {"inputs": state.get("inputs") or {}, "results": state.get("results") or {},
                 "refs": state.get("results") or {}}
        return {name: evaluate(expr, names) for name, expr in spec.outputs.items()}
    names = scope(state, ctx)
    return {name: plain(evaluate(expr, names), ctx) for name, expr in spec.outputs.items()}
