"""Keeping big values out of the graph state.

A value too large for the state is stored through ``ctx.artifacts`` and replaced by
``{"$artifact": {id, name, media_type, size}}``. :class:`LazyView` lets templates and
nodes read such values as if they were inline, loading each artifact once when touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from .context import RunContext

REF = "$artifact"
INLINE_LIMIT = 16_000  # bytes of JSON kept in state; larger values become artifacts


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":")).encode()


def is_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {REF}


def store(ctx: RunContext, *, name: str, content: bytes, media_type: str, node_id: str | None) -> dict[str, Any]:
    return {REF: ctx.artifacts.put(name=name, content=content, media_type=media_type, node_id=node_id).as_dict()}


def keep_small(ctx: RunContext, value: Any, *, name: str, node_id: str | None, limit: int = INLINE_LIMIT) -> Any:
    """Return ``value`` itself if its JSON is under ``limit`` bytes, else a reference to it.

    Text is stored as ``text/plain`` (so agents can read and search it), anything else as JSON.
    """
    data = dumps(value)
    if len(data) <= limit:
        return value
    if isinstance(value, str):
        return store(ctx, name=name.removesuffix(".json") + ".txt", content=value.encode(), media_type="text/plain",
                     node_id=node_id)
    return store(ctx, name=name, content=data, media_type="application/json", node_id=node_id)


def load(ctx: RunContext, ref: Mapping[str, Any]) -> Any:
    info = ref[REF]
    data = ctx.artifacts.get(info["id"])
    if info.get("media_type") == "application/json":
        return json.loads(data)
    if str(info.get("media_type", "")).startswith("text/"):
        return data.decode("utf-8", errors="replace")
    return info  # binary artifacts (charts, PDFs) are read by reference only


def materialize(value: Any, ctx: RunContext) -> Any:
    """A plain JSON value with every artifact reference loaded."""
    if isinstance(value, LazyView):
        value = value.raw
    if is_ref(value):
        return materialize(load(ctx, value), ctx)
    if isinstance(value, Mapping):
        return {k: materialize(v, ctx) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [materialize(v, ctx) for v in value]
    return value


def plain(value: Any, ctx: RunContext) -> Any:
    """Plain JSON from an evaluated template: what was read through ``results`` (a LazyView)
    is loaded; references read through ``refs`` stay references."""
    if isinstance(value, LazyView):
        return materialize(value, ctx)
    if isinstance(value, Mapping):
        return {k: plain(v, ctx) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, ctx) for v in value]
    return value


class LazyView(Mapping[str, Any]):
    """A read-only mapping that loads artifact references when a key is read."""

    def __init__(self, raw: Mapping[str, Any], ctx: RunContext):
        self.raw = raw
        self._ctx = ctx
        self._cache: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._cache:
            self._cache[key] = wrap(self.raw[key], self._ctx)
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __repr__(self) -> str:
        return json.dumps(materialize(self, self._ctx), default=str)


def wrap(value: Any, ctx: RunContext) -> Any:
    if is_ref(value):
        value = load(ctx, value)
    if isinstance(value, Mapping) and not isinstance(value, LazyView):
        return LazyView(value, ctx)
    if isinstance(value, list):
        return [wrap(v, ctx) for v in value]
    return value
