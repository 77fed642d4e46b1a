"""Repairs applied to every completion before a caller sees it (DESIGN.md section 3).

- `<think>` blocks left in content become reasoning;
- raw Kimi tool-call markup leaked into content or reasoning is parsed into calls and removed;
- tool-call ids not in Kimi's `functions.NAME:IDX` form are rewritten to it, numbered after the
  calls already in the history, because K2's chat template relies on that form;
- calls from a turn cut off by `finish_reason="length"` are moved to `dropped_tool_calls`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inference import kimi
from inference.types import Completion, ToolCall


def repair(completion: Completion, history: Sequence[dict[str, Any]] = ()) -> Completion:
    if not completion.reasoning and (kimi.THINK_CLOSE in completion.content or kimi.THINK_OPEN in completion.content):
        completion.reasoning, completion.content = kimi.split_reasoning(completion.content)
        completion.notes.append("reasoning recovered from <think> tags in content")

    leaked: list[ToolCall] = []
    if kimi.has_markers(completion.content):
        completion.content, calls = kimi.parse_tool_calls(completion.content)
        completion.content = completion.content.strip()
        leaked += calls
        completion.notes.append(f"stripped leaked tool-call markup from content ({len(calls)} calls)")
    if kimi.has_markers(completion.reasoning):
        completion.reasoning, calls = kimi.parse_tool_calls(completion.reasoning)
        completion.reasoning = completion.reasoning.strip()
        leaked += calls
        completion.notes.append(f"stripped leaked tool-call markup from reasoning ({len(calls)} calls)")
    seen = {(c.name, c.raw_arguments) for c in completion.tool_calls}
    completion.tool_calls += [c for c in leaked if (c.name, c.raw_arguments) not in seen]

    _rewrite_ids(completion, _count_history_calls(history))

    if completion.finish_reason == "length" and completion.tool_calls:
        completion.dropped_tool_calls, completion.tool_calls = completion.tool_calls, []
        completion.truncated = True
        completion.notes.append("tool calls cut off by finish_reason=length were not returned")
    elif completion.finish_reason == "length":
        completion.truncated = True
    return completion


def _count_history_calls(history: Sequence[dict[str, Any]]) -> int:
    return sum(len(m.get("tool_calls") or ()) for m in history if m.get("role") == "assistant")


def _rewrite_ids(completion: Completion, offset: int) -> None:
    used: set[str] = set()
    for position, call in enumerate(completion.tool_calls):
        if kimi.is_kimi_id(call.id) and call.id not in used:
            used.add(call.id)
            continue
        new_id = kimi.kimi_id(call.name, offset + position)
        while new_id in used:
            offset += 1
            new_id = kimi.kimi_id(call.name, offset + position)
        completion.notes.append(f"rewrote tool call id {call.id!r} to {new_id!r}")
        call.id = new_id
        used.add(new_id)
