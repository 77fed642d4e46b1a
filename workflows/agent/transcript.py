"""The agent's message history, kept in artifacts as a chain of immutable segments.

The graph state holds only the id of the newest segment. Each segment stores the id of
the one before it, the messages it appends, and replacements for earlier messages (what
compaction writes). Checkpoints therefore grow by a constant per turn however long the
conversation gets, and the history survives a lost worker because the artifacts do.

Rebuilding walks the chain back to its start; a small process-wide cache keyed by the
segment id (segments never change) makes each turn on a warm worker O(new messages).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from ..context import RunContext

MEDIA_TYPE = "application/vnd.farside.transcript+json"
_CACHE: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
_CACHE_SIZE = 64
_LOCK = threading.Lock()


def _remember(segment_id: str, messages: list[dict[str, Any]]) -> None:
    with _LOCK:
        _CACHE[segment_id] = messages
        _CACHE.move_to_end(segment_id)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def load(ctx: RunContext, head: str | None) -> list[dict[str, Any]]:
    """The full message list as of segment ``head`` (a fresh list the caller may extend)."""
    if head is None:
        return []
    with _LOCK:
        cached = _CACHE.get(head)
    if cached is not None:
        return list(cached)
    chain = []
    segment_id: str | None = head
    while segment_id is not None:
        with _LOCK:
            cached = _CACHE.get(segment_id)
        if cached is not None:
            break
        segment = json.loads(ctx.artifacts.get(segment_id))
        chain.append(segment)
        segment_id = segment["prev"]
    messages = list(cached) if segment_id is not None and cached is not None else []
    for segment in reversed(chain):
        messages = _apply(messages, segment)
    _remember(head, messages)
    return list(messages)


def _apply(messages: list[dict[str, Any]], segment: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(messages)
    for index, message in segment.get("replace", {}).items():
        out[int(index)] = message
    out.extend(segment.get("append", []))
    return out


def write(ctx: RunContext, *, node_id: str, head: str | None, messages: list[dict[str, Any]],
          append: list[dict[str, Any]] | None = None, replace: dict[int, dict[str, Any]] | None = None,
          step: int = 0) -> str:
    """Store a segment after ``head``; ``messages`` is the history it extends (for the cache)."""
    segment = {"prev": head, "append": append or [], "replace": {str(k): v for k, v in (replace or {}).items()}}
    data = json.dumps(segment, ensure_ascii=False, separators=(",", ":")).encode()
    ref = ctx.artifacts.put(name=f"{node_id}.transcript.{step:04d}.json", content=data, media_type=MEDIA_TYPE,
                            node_id=node_id)
    _remember(ref.id, _apply(messages, segment))
    return ref.id


def forget() -> None:
    """Drop the cache (tests use it to prove a cold worker rebuilds the same history)."""
    with _LOCK:
        _CACHE.clear()
