"""Routing functions: given the state after a node, the name(s) of the next node(s).

Order of precedence for a spec node: a branch node's recorded choice; else the first
conditional edge whose condition holds, falling back to the edge without a condition;
else every plain edge (parallel fan-out). Edges into a ``join: all`` node are LangGraph
waiting edges, added by the builder. No edge means the run ends there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.graph import END
from langgraph.runtime import Runtime

from .context import RunContext
from .expressions import evaluate
from .nodes.common import scope
from .spec.model import WorkflowSpec

Router = Callable[[dict[str, Any], Runtime[RunContext]], Any]
InnerRoute = Callable[[dict[str, Any], RunContext], Any]  # a loop's next step, or None when done


def spec_router(spec: WorkflowSpec, node_id: str) -> Router:
    node = spec.node(node_id)
    edges = spec.outgoing(node_id)
    conditional = [e for e in edges if e.condition is not None]
    # Edges into ``join: all`` nodes are waiting edges added by the builder, not routes.
    plain = [e.target for e in edges if e.condition is None and spec.node(e.target).join != "all"]
    waits = any(e.condition is None and spec.node(e.target).join == "all" for e in edges)

    def route(state: dict[str, Any], runtime: Runtime[RunContext]) -> Any:
        if node.type == "branch":
            return state["results"][node_id]["to"]
        if conditional:
            names = scope(state, runtime.context)
            for edge in conditional:
                if evaluate(edge.condition, names):
                    return edge.target
            return plain[0] if plain else END
        return plain or ([] if waits else END)

    route.__name__ = f"route_after_{node_id}"
    return route
