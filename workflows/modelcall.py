"""Calling the model from a node: K2 Thinking defaults, and a ``model.call`` event per call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import events
from .context import RunContext
from .spec.model import ModelSettings


def params(settings: ModelSettings, **overrides: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"temperature": settings.temperature, "max_tokens": settings.max_tokens}
    out.update({k: v for k, v in overrides.items() if v is not None})
    return out


def chat(ctx: RunContext, node_id: str, messages: Sequence[Mapping[str, Any]],
         tools: Sequence[Mapping[str, Any]] | None, call_params: Mapping[str, Any], *, step: int = 0,
         emit: bool = True) -> Any:
    """One model call; ``session_key`` keeps a run on one replica so its prefix cache stays warm.

    With ``emit=False`` the caller emits the ``model.call`` event itself (the agent does, once
    it knows the transcript segment that holds the full, unclipped turn)."""
    extra = dict(call_params)
    if tools:
        extra.setdefault("tool_choice", "auto")
    completion = ctx.model.chat(list(messages), list(tools) if tools else None,
                                session_key=f"{ctx.run_id}:{node_id}", **extra)
    if emit:
        emit_call(ctx, node_id, completion, tools, step=step)
    return completion


def emit_call(ctx: RunContext, node_id: str, completion: Any, tools: Sequence[Mapping[str, Any]] | None, *,
              step: int, transcript: str | None = None) -> None:
    usage = getattr(completion, "usage", None)
    ctx.events.emit(events.MODEL_CALL, {
        "step": step,
        "reasoning": events.clip(getattr(completion, "reasoning", None) or ""),
        "content": events.clip(completion.content or ""),
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": events.clip(c.raw_arguments, 1000)}
                       for c in completion.tool_calls or []],
        "finish_reason": completion.finish_reason,
        "usage": {"prompt_tokens": getattr(usage, "prompt_tokens", 0),
                  "completion_tokens": getattr(usage, "completion_tokens", 0),
                  "cached_tokens": getattr(usage, "cached_tokens", 0)},
        "ttft_s": getattr(completion, "ttft_s", None),
        "duration_s": getattr(completion, "duration_s", None),
        "backend": getattr(completion, "backend", None),
        "tools_offered": len(tools or []),
        "transcript": transcript,
    }, node_id=node_id)
