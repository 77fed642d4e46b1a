"""The graph state every compiled workflow shares.

State holds small JSON values and references to artifacts, never big data, so each
checkpoint stays small and checkpoint storage grows linearly with the number of steps.
The dict-valued fields merge per key, so parallel branches and map items can each write
their own entry in the same super-step.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict


def merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Shallow per-key merge: a node's write replaces only its own keys."""
    return {**(left or {}), **(right or {})}


def merge_deep(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Two-level merge, for ``maps`` where items of one map arrive from parallel tasks."""
    out = dict(left or {})
    for key, value in (right or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_deep(out[key], value)
        else:
            out[key] = value
    return out


class WorkflowState(TypedDict, total=False):
    inputs: dict[str, Any]
    """The run's inputs, validated against the spec's input schema."""

    results: Annotated[dict[str, Any], merge]
    """Each finished node's output by node id: small JSON, or ``{"$artifact": ref}`` for big data."""

    agents: Annotated[dict[str, Any], merge]
    """Per agent node, the loop's bookkeeping (see ``workflows.agent.state``); no transcripts."""

    maps: Annotated[dict[str, Any], merge_deep]
    """Per map node: ``{"items", "total", "done": {index: result}}``."""

    locals: dict[str, Any]
    """In a map item's agent subgraph: ``item`` and ``index``, readable by its templates."""


class MapItemState(TypedDict, total=False):
    """What one map item task receives through ``Send``: ``item``, or ``items`` (a reference
    to the stored list) and ``index``; and the inputs and results its body reads."""

    map_id: str
    index: int
    item: Any
    items: dict[str, Any]
    inputs: dict[str, Any]
    results: dict[str, Any]
