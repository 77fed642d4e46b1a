"""Adding an agent node to the graph: ``<id>`` (model turn) and ``<id>__tools`` (calls)."""

from __future__ import annotations

from typing import Any

from langgraph.graph import StateGraph

from ..context import RunContext
from ..nodes.common import as_node
from ..spec.model import WorkflowSpec
from . import act, turn
from .state import of


def tools_node_name(node_id: str) -> str:
    return f"{node_id}__tools"


def add_agent(graph: StateGraph, spec: WorkflowSpec, node_id: str) -> Any:
    graph.add_node(node_id, as_node(turn.run, spec, node_id, "agent"))
    graph.add_node(tools_node_name(node_id), as_node(act.run, spec, node_id, "agent.tools"))
    graph.add_edge(tools_node_name(node_id), node_id)

    def inner(state: dict[str, Any], ctx: RunContext) -> str | None:
        a = of(state, node_id)
        if a["status"] == "done":
            return None
        return tools_node_name(node_id) if a["pending"] else node_id

    return inner
