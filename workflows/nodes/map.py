"""``map``: run a body node (llm, transform, fetch, compute or agent) once per element of a
list, ``max_parallel`` at a time.

The dispatcher node (the map's own id) evaluates ``over`` once, then after each batch
collects results. Its router sends the next batch of items to ``<id>__item`` with
``Send``; each item task records its result under ``maps[<id>].done[<index>]``, so a batch
interrupted by a lost worker re-runs only items not yet recorded. When all are done the
map's result is the list of item results in order. Payloads carry only the inputs and results
the body reads, and a big item list by reference, because LangGraph checkpoints them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from langgraph.types import Send

from .. import events
from ..artifacts import is_ref, keep_small, load, materialize
from ..context import RunContext
from ..errors import NodeError
from ..expressions import ExpressionError, evaluate, references
from ..spec.configs import MapConfig
from ..spec.model import WorkflowSpec
from . import compute, fetch, llm, transform
from .common import scope

BODIES = {"llm": llm.run, "transform": transform.run, "fetch": fetch.run, "compute": compute.run}


def item_node_name(map_id: str) -> str:
    return f"{map_id}__item"


def dispatch(spec: WorkflowSpec, node_id: str, config: MapConfig, state: Mapping[str, Any],
             ctx: RunContext) -> dict[str, Any]:
    mine = (state.get("maps") or {}).get(node_id)
    if mine is None:
        items = materialize(evaluate(config.over, scope(state, ctx)), ctx)
        if not isinstance(items, list):
            raise NodeError(f"'over' must give a list, got {type(items).__name__}")
        # started_at (wall clock, as it spans workers): the map's duration when it finishes.
        mine = {"items": keep_small(ctx, items, name=f"{node_id}.items.json", node_id=node_id),
                "total": len(items), "done": {}, "started_at": time.time()}
        update: dict[str, Any] = {"maps": {node_id: mine}}
    else:
        update = {}
    done = mine.get("done") or {}
    ctx.events.emit(events.MAP_PROGRESS, {"done": len(done), "total": mine["total"]}, node_id=node_id)
    if len(done) >= mine["total"]:
        ordered = [done[str(i)] for i in range(mine["total"])]
        update["results"] = {node_id: keep_small(ctx, ordered, name=f"{node_id}.json", node_id=node_id)}
    return update


def pending_sends(node_id: str, config: MapConfig, state: Mapping[str, Any]) -> list[Send] | None:
    """The next batch of items to run, or None when the map is finished."""
    mine = (state.get("maps") or {}).get(node_id) or {}
    done = mine.get("done") or {}
    if node_id in (state.get("results") or {}) and len(done) >= mine.get("total", 0):
        return None
    todo = [i for i in range(mine["total"]) if str(i) not in done][: config.max_parallel]
    # Send payloads are checkpointed: pass what the body reads, and big item lists by reference.
    inputs, results = _needed(config, state)
    stored = mine["items"]
    return [Send(item_node_name(node_id), {"map_id": node_id, "index": i, "inputs": inputs, "results": results,
                                           **({"items": stored} if is_ref(stored) else {"item": stored[i]})})
            for i in todo]


def _needed(config: MapConfig, state: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The inputs and results the body's templates read (all of one, if read as a whole)."""
    refs = {r for _, source in config.body.templates() for r in references(source)}
    refs |= {r for _, source in config.body.expressions() for r in references(source, expression=True)}
    picked = []
    for root in ("inputs", "results"):
        everything = state.get(root) or {}
        if (root,) in refs:
            picked.append(dict(everything))
        else:
            wanted = {r[1] for r in refs if r[0] == root and len(r) > 1}
            picked.append({k: v for k, v in everything.items() if k in wanted})
    return picked[0], picked[1]


def run_item(spec: WorkflowSpec, node_id: str, config: MapConfig, payload: Mapping[str, Any],
             ctx: RunContext) -> dict[str, Any]:
    index = payload["index"]
    item = payload["item"] if "item" in payload else load(ctx, payload["items"])[index]
    if config.node.type == "agent":
        output = _run_agent(spec, node_id, config, payload, ctx, item, index)  # reports as <map>_i<index>
    else:
        try:
            update = BODIES[config.node.type](spec, node_id, config.body, payload, ctx, {"item": item, "index": index})
        except (NodeError, ExpressionError) as exc:
            # Said like any node's failure, with the item, so the run's error names where it broke.
            error = f"item {index + 1}: {exc}"
            ctx.events.emit(events.NODE_FAILED, {"type": "map", "error": error}, node_id=node_id)
            raise NodeError(f"{node_id}: {error}") from exc
        output = update["results"][node_id]
    return {"maps": {node_id: {"done": {str(index): output}}}}


def _run_agent(spec: WorkflowSpec, node_id: str, config: MapConfig, payload: Mapping[str, Any], ctx: RunContext,
               item: Any, index: int) -> Any:
    """One item's agent, as a subgraph of this task with the parent's checkpointer.

    Each turn is checkpointed in the task's own namespace, so a lost worker or an approval
    resumes the item's agent where it was. Its node id is ``<map>_i<index>``, which keeps
    idempotency keys and events apart between items.
    """
    from ..builder import build_graph  # the builder imports this module

    sub_id = f"{node_id}_i{index}"
    sub_spec = WorkflowSpec.model_validate({
        "spec_version": 1, "name": spec.name, "nodes": [{"id": sub_id, "type": "agent", "config": config.node.config}],
        "write_policy": spec.write_policy.model_dump(), "budgets": spec.budgets.model_dump(),
        "model": spec.model.model_dump()}).model_copy(update={"configs": {sub_id: config.body}})
    graph = build_graph(sub_spec).compile()
    final = graph.invoke({"inputs": payload["inputs"], "results": payload["results"], "agents": {}, "maps": {},
                          "locals": {"item": item, "index": index}}, context=ctx)
    return final["results"][sub_id]
