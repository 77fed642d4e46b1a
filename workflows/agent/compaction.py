"""Making room in the context without losing the plan.

When the estimated prompt passes ``compact_at`` of the usable window, old tool results are
replaced by a short preview and the artifact that holds them in full (a result that was
inline is stored as an artifact at this point), and old reasoning is shortened. The system
message, the task, the first assistant turn (the plan) and the most recent messages stay as
they are as long as possible. Compaction goes down to ``TARGET`` of the window, so it happens
once in a while rather than every turn. Replacements are written into the transcript, so
every later turn sees the same bytes and the prefix cache works again from the next turn on.
"""

from __future__ import annotations

import json
from typing import Any

from inference.budget import BYTES_PER_TOKEN

from ..context import RunContext
from .prompts import COMPACTED, CONTEXT_CALL_ID

KEEP_RECENT = 12  # messages at the end that are never compacted
PREVIEW = 240
REASONING_KEEP = 400
TARGET = 0.5  # share of the usable window to compact down to


def compact(ctx: RunContext, node_id: str, messages: list[dict[str, Any]], *,
            save_tokens: int) -> dict[int, dict[str, Any]]:
    """Replacements, oldest first, until about ``save_tokens`` are saved.

    Messages older than the last ``KEEP_RECENT`` go first; if that is not enough the recent
    ones follow, except the last two (the turn the model is acting on). Saving more than the
    bare minimum leaves headroom, so the next turns do not compact again at once.
    """
    # The model's first turn holds its plan; the spec's context exchange before it is data it needs.
    first_assistant = next((i for i, m in enumerate(messages) if m.get("role") == "assistant"
                            and not _is_context_call(m)), len(messages))
    older = range(first_assistant + 1, max(first_assistant + 1, len(messages) - KEEP_RECENT))
    recent = range(max(first_assistant + 1, len(messages) - KEEP_RECENT), len(messages) - 2)
    replace: dict[int, dict[str, Any]] = {}
    saved = 0
    for i in [*older, *recent]:
        if saved >= save_tokens * BYTES_PER_TOKEN:
            break
        shorter = _shorter(ctx, node_id, i, messages[i])
        if shorter is not None:
            replace[i] = shorter
            saved += len(json.dumps(messages[i])) - len(json.dumps(shorter))
    return replace


def _is_context_call(message: dict[str, Any]) -> bool:
    return any(c.get("id") == CONTEXT_CALL_ID for c in message.get("tool_calls") or [])


def _shorter(ctx: RunContext, node_id: str, i: int, message: dict[str, Any]) -> dict[str, Any] | None:
    content = message.get("content") or ""
    if message.get("role") == "tool" and len(content) > PREVIEW * 2 and not content.startswith("[compacted"):
        artifact = _artifact_of(content) or ctx.artifacts.put(
            name=f"{node_id}.tool_result.{i}.txt", content=content.encode(), media_type="text/plain",
            node_id=node_id).id
        preview = " ".join(content[:PREVIEW].split())
        return {**message, "content": COMPACTED.format(size=len(content), artifact=artifact,
                                                       preview=f"Begins: {preview}…")}
    if message.get("role") == "assistant" and len(message.get("reasoning") or "") > REASONING_KEEP * 2:
        short = message["reasoning"][:REASONING_KEEP] + " …[reasoning shortened]"
        return {**message, "reasoning": short, "reasoning_content": short}
    return None


def _artifact_of(content: str) -> str | None:
    """Tool results already stored in full name their artifact (``act._content`` writes the tag);
    reuse it instead of storing again."""
    tag = "[full result: artifact "
    if tag in content:
        return content.split(tag, 1)[1].split(",", 1)[0].split("]", 1)[0]
    return None


def saved_bytes(messages: list[dict[str, Any]], replace: dict[int, dict[str, Any]]) -> int:
    return sum(len(json.dumps(messages[i])) - len(json.dumps(m)) for i, m in replace.items())
