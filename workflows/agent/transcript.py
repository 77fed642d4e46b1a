"""The agent's message history, kept in artifacts as a chain of immutable segments.

The graph state holds only the id of the newest segment. Each segment stores the id of
the one before it, the messages it appends, and replacements for earlier messages (what
compaction writes). Checkpoints therefore grow by a constant per turn however long the
conversation gets, and the history survives a lost worker because the artifacts do.

Rebuilding walks the chain back to the last snapshot (at most ``SNAPSHOT_EVERY``
segments); a small process-wide cache keyed by the segment id (segments never change) makes
each turn on a warm worker O(new messages).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from ..context import RunContext

MEDIA_TYPE = "application/vnd.farside.transcript+json"
SNAPSHOT_EVERY = 32  # a cold load reads at most this many segments
_CACHE: OrderedDict[str, tuple[list[dict[str, Any]], int]] = OrderedDict()
_CACHE_SIZE = 64
_LOCK = threading.Lock()


def _remember(segment_id: str, messages: list[dict[str, Any]], depth: int) -> None:
    with _LOCK:
        _CACHE[segment_id] = (messages, depth)
        _CACHE.move_to_end(segment_id)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def _cached(segment_id: str) -> tuple[list[dict[str, Any]], int] | None:
    with _LOCK:
        return _CACHE.get(segment_id)


def _load(ctx: RunContext, head: str) -> tuple[list[dict[str, Any]], int]:
    """Messages as of ``head`` and how many segments lie between it and the last snapshot."""
    found = _cached(head)
    if found is not None:
        return found
    chain = []
    segment_id: str | None = head
    base: tuple[list[dict[str, Any]], int] = ([], -1)
    while segment_id is not None:
        found = _cached(segment_id)
        if found is not None:
            base = found
            break
        segment = json.loads(ctx.artifacts.get(segment_id))
        chain.append(segment)
        segment_id = segment["prev"]
    messages, depth = list(base[0]), base[1]
    for segment in reversed(chain):
        messages = _apply(messages, segment)
        depth = 0 if segment["prev"] is None else depth + 1
    _remember(head, messages, depth)
    return messages, depth


def load(ctx: RunContext, head: str | None) -> list[dict[str, Any]]:
    """The full message list as of segment ``head`` (a fresh list the caller may extend)."""
    return [] if head is None else list(_load(ctx, head)[0])


def _apply(messages: list[dict[str, Any]], segment: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(messages)
    for index, message in segment.get("replace", {}).items():
        out[int(index)] = message
    out.extend(segment.get("append", []))
    return out


def write(ctx: RunContext, *, node_id: str, head: str | None, messages: list[dict[str, Any]],
          append: list[dict[str, Any]] | None = None, replace: dict[int, dict[str, Any]] | None = None,
          step: int = 0) -> str:
    """Store a segment after ``head``; ``messages`` is the history it extends (for the cache).

    Every ``SNAPSHOT_EVERY`` segments the whole history is stored instead, starting a new
    chain, so a worker that has not seen this run reads a bounded number of artifacts.
    """
    segment = {"prev": head, "append": append or [], "replace": {str(k): v for k, v in (replace or {}).items()}}
    full = _apply(messages, segment)
    depth = 0 if head is None else _load(ctx, head)[1] + 1
    if depth >= SNAPSHOT_EVERY:
        segment, depth = {"prev": None, "append": full, "replace": {}}, 0
    data = json.dumps(segment, ensure_ascii=False, separators=(",", ":")).encode()
    ref = ctx.artifacts.put(name=f"{node_id}.transcript.{step:04d}.json", content=data, media_type=MEDIA_TYPE,
                            node_id=node_id)
    _remember(ref.id, full, depth)
    return ref.id


def forget() -> None:
    """Drop the cache (tests use it to prove a cold worker rebuilds the same history)."""
    with _LOCK:
        _CACHE.clear()
