"""``approval``: a person approves, edits or rejects before the run goes on.

The output is ``{"decision", "arguments", "reason", "decided_by"}``; later nodes read the
(possibly edited) arguments from it, e.g. ``results.review.arguments.subject``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..artifacts import materialize
from ..context import RunContext
from ..errors import NodeError
from ..expressions import render, resolve
from ..spec.configs import ApprovalConfig
from ..spec.model import WorkflowSpec
from ..writes import ask_approval, idempotency_key
from .common import scope


def run(spec: WorkflowSpec, node_id: str, config: ApprovalConfig, state: Mapping[str, Any],
        ctx: RunContext) -> dict[str, Any]:
    names = scope(state, ctx)
    arguments = materialize(resolve(config.arguments, names), ctx)
    decision = ask_approval(ctx, node_id=node_id, title=render(config.title, names), tool=None,
                            arguments=arguments, reasoning=render(config.message, names),
                            required=config.required_approvers or spec.write_policy.required_approvers,
                            key=idempotency_key(ctx.run_id, node_id, "approval"))
    if decision["decision"] != "approve" and config.on_reject == "fail":
        raise NodeError(f"rejected by {', '.join(decision['decided_by']) or 'a reviewer'}"
                        + (f": {decision['reason']}" if decision["reason"] else ""))
    return {"results": {node_id: decision}}
