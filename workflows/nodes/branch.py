"""``branch``: evaluate cases in order and record the chosen next node (routing reads it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..context import RunContext
from ..expressions import evaluate
from ..spec.configs import BranchConfig
from ..spec.model import WorkflowSpec
from .common import scope


def run(spec: WorkflowSpec, node_id: str, config: BranchConfig, state: Mapping[str, Any],
        ctx: RunContext) -> dict[str, Any]:
    names = scope(state, ctx)
    for i, case in enumerate(config.cases):
        if evaluate(case.when, names):
            return {"results": {node_id: {"to": case.to, "case": i}}}
    return {"results": {node_id: {"to": config.default, "case": None}}}
