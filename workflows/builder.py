"""``build_graph(spec) -> StateGraph``: the compiler from a validated spec to LangGraph.

Each spec node becomes one LangGraph node named by its id, except:

- ``agent`` adds ``<id>__tools``: the model turn runs in ``<id>``, tool calls in
  ``<id>__tools``, looping until the model answers; every turn is its own super-step, so a
  run can stop between any two turns and resume from the checkpoint;
- ``map`` adds ``<id>__item``, which receives one item per ``Send``;
- both add ``<id>__done``, a no-op that runs once when they finish: the spec's edges leave
  from there, so a ``join: all`` node waits for the finish, not for the first turn.

When some input is big, a first node, ``_intake``, moves it into an artifact. The caller compiles the graph
with its checkpointer and passes a :class:`RunContext`
as ``context``; nodes never hold clients of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from .artifacts import INLINE_LIMIT, dumps, keep_small
from .context import RunContext
from .nodes import approval, branch, compute, fetch, llm, transform
from .nodes import map as map_node
from .nodes.common import as_node
from .routing import InnerRoute, spec_router
from .spec.model import WorkflowSpec
from .state import MapItemState, WorkflowState

SIMPLE = {"transform": transform.run, "llm": llm.run, "fetch": fetch.run, "compute": compute.run,
          "approval": approval.run, "branch": branch.run}


def _optional_nodes() -> dict[str, Any]:
    """Node types whose modules pull in heavier dependencies (matplotlib) load on first build."""
    from .nodes import chart, deliver

    return {"chart": chart.run, "deliver": deliver.run}


def exit_name(spec: WorkflowSpec, node_id: str) -> str:
    """The graph node that runs once when a spec node has finished (agents and maps loop)."""
    return f"{node_id}__done" if spec.node(node_id).type in ("agent", "map") else node_id


def build_graph(spec: WorkflowSpec) -> StateGraph:
    graph: StateGraph = StateGraph(WorkflowState, context_schema=RunContext)
    simple = {**SIMPLE, **_optional_nodes()}
    for node in spec.nodes:
        if node.type in simple:
            graph.add_node(node.id, as_node(simple[node.type], spec, node.id, node.type))
        else:
            if node.type == "map":
                inner = _add_map(graph, spec, node.id)
            elif node.type == "agent":
                from .agent.graph import add_agent

                inner = add_agent(graph, spec, node.id)
            else:  # load_spec rejects unknown types; this guards specs built by hand
                raise ValueError(f"unknown node type {node.type!r}")
            done = exit_name(spec, node.id)
            graph.add_node(done, _finished)
            graph.add_conditional_edges(node.id, _loop_router(inner, done))
        _add_routes(graph, spec, node.id)
    for node in spec.nodes:
        if node.join == "all":
            # LangGraph's waiting edge: the target runs once every source has run since it last did.
            graph.add_edge([exit_name(spec, e.source) for e in spec.incoming(node.id)], node.id)
    graph.add_node(INTAKE, _intake)
    graph.add_conditional_edges(START, lambda state: INTAKE if _has_big_input(state) else spec.entry,
                                [INTAKE, spec.entry])
    graph.add_edge(INTAKE, spec.entry)
    return graph


def _has_big_input(state: dict[str, Any]) -> bool:
    return any(len(dumps(v)) > INLINE_LIMIT for v in (state.get("inputs") or {}).values())


INTAKE = "_intake"  # spec node ids start with a letter, so this cannot collide


def _intake(state: dict[str, Any], runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Move big inputs (an hours-long transcript) into artifacts before anything else runs.

    Templates read them as before (references load on access); the checkpoints after this
    one hold the reference instead of the text.
    """
    inputs = state.get("inputs") or {}
    moved = {name: keep_small(runtime.context, value, name=f"input.{name}.json", node_id=None)
             for name, value in inputs.items()}
    return {"inputs": moved} if moved != inputs else {}


def _add_routes(graph: StateGraph, spec: WorkflowSpec, node_id: str) -> None:
    """Static edges where nothing is decided at run time (cheaper for LangGraph), else a router."""
    edges = spec.outgoing(node_id)
    decides = spec.node(node_id).type == "branch" or any(e.condition is not None for e in edges)
    if decides:
        graph.add_conditional_edges(exit_name(spec, node_id), spec_router(spec, node_id))
        return
    targets = [e.target for e in edges if spec.node(e.target).join != "all"]
    for target in targets:
        graph.add_edge(exit_name(spec, node_id), target)
    if not edges:
        graph.add_edge(exit_name(spec, node_id), END)


def _finished(state: dict[str, Any]) -> dict[str, Any]:
    return {}


def _loop_router(inner: InnerRoute, done: str) -> Callable[..., Any]:
    def route(state: dict[str, Any], runtime: Runtime[RunContext]) -> Any:
        nxt = inner(state, runtime.context)
        return done if nxt is None else nxt

    route.__name__ = f"route_{done}"
    return route


def _add_map(graph: StateGraph, spec: WorkflowSpec, node_id: str) -> InnerRoute:
    config = spec.config(node_id)
    graph.add_node(node_id, as_node(map_node.dispatch, spec, node_id, "map"))

    def item(payload: MapItemState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        return map_node.run_item(spec, node_id, config, payload, runtime.context)

    graph.add_node(map_node.item_node_name(node_id), item, input_schema=MapItemState)
    graph.add_edge(map_node.item_node_name(node_id), node_id)

    def inner(state: dict[str, Any], ctx: RunContext) -> Callable[..., Any] | Any:
        return map_node.pending_sends(node_id, config, state)

    return inner
