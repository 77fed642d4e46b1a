"""What every node needs: the template scope, events around the node, and the wrapper
that turns a node function into a LangGraph node reading ``runtime.context``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from langgraph.errors import GraphBubbleUp
from langgraph.runtime import Runtime

from .. import events
from ..artifacts import LazyView
from ..context import RunContext
from ..errors import NodeError
from ..expressions import ExpressionError
from ..spec.model import WorkflowSpec
from ..writes import count_interrupts

NodeFn = Callable[[WorkflowSpec, str, Any, Mapping[str, Any], RunContext], dict[str, Any]]


def scope(state: Mapping[str, Any], ctx: RunContext, **extra: Any) -> dict[str, Any]:
    """Names templates may read: ``inputs``, ``results`` (artifacts load on access), ``refs``
    (results as stored, references unresolved), and extras such as ``item``."""
    return {"inputs": LazyView(state.get("inputs") or {}, ctx),
            "results": LazyView(state.get("results") or {}, ctx), "refs": state.get("results") or {}, **extra}


def summary(output: Any) -> Any:
    return events.clip(output, 300)


def as_node(fn: NodeFn, spec: WorkflowSpec, node_id: str, node_type: str) -> Callable[..., dict[str, Any]]:
    """A LangGraph node: emits node.started/finished/failed and turns expression errors into
    NodeError with the node's id. Interrupts and other control flow pass through untouched.

    A map's dispatcher runs once to start and again after every batch of items to collect
    them: it reports started on its first run only and finished once all items are in, so the
    trace and the graph view show one map, running until it is done."""
    config = spec.config(node_id)
    is_map = node_type == "map"

    def node(state: dict[str, Any], runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        count_interrupts()  # task-local: each LangGraph task runs in its own context copy
        began = ((state.get("maps") or {}).get(node_id) or {}).get("started_at") if is_map else None
        if began is None:
            ctx.events.emit(events.NODE_STARTED, {"type": node_type}, node_id=node_id)
        started = time.monotonic()
        try:
            update = fn(spec, node_id, config, state, ctx)
        except GraphBubbleUp:
            raise
        except (NodeError, ExpressionError) as exc:
            ctx.events.emit(events.NODE_FAILED, {"type": node_type, "error": str(exc)}, node_id=node_id)
            raise NodeError(f"{node_id}: {exc}") from exc
        except Exception as exc:  # connector, model or bug: reported, then raised as it is
            ctx.events.emit(events.NODE_FAILED, {"type": node_type, "error": events.clip(f"{type(exc).__name__}: {exc}"),
                                                 "retryable": bool(getattr(exc, "retryable", False))}, node_id=node_id)
            raise
        if is_map and node_id not in (update.get("results") or {}):
            return update  # items still to run: map.progress says how far it is
        output = (update.get("results") or {}).get(node_id)
        duration = time.monotonic() - started if began is None else time.time() - began
        ctx.events.emit(events.NODE_FINISHED, {"type": node_type, "duration_s": round(duration, 4),
                                              "output": summary(output)}, node_id=node_id)
        return update

    node.__name__ = f"{node_type}_{node_id}"
    return node
