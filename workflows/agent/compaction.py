"""Making room in the context without losing the plan.

When the estimated prompt nears ``compact_at`` of the usable window, old tool results are
replaced by a short preview and the artifact that holds them in full (a result that was
inline is stored as an artifact at this point), and old reasoning is shortened. The system
message, the task, the first assistant turn (the plan) and the most recent messages stay as
they are. Replacements are written into the transcript, so every later turn sees the same
bytes and the prefix cache works again from the next turn on.
"""

from __future__ import annotations

from typing import Any

from ..artifacts import REF
from ..context import RunContext
from .prompts import COMPACTED

KEEP_RECENT = 12  # messages at the end that are never compacted
PREVIEW = 240
REASONING_KEEP = 400


def compact(ctx: RunContext, node_id: str, messages: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Replacements for messages worth shrinking; empty when nothing can be saved."""
    first_assistant = next((i for i, m in enumerate(messages) if m.get("role") == "assistant"), len(messages))
    replace: dict[int, dict[str, Any]] = {}
    for i in range(first_assistant + 1, max(first_assistant + 1, len(messages) - KEEP_RECENT)):
        message = messages[i]
        content = message.get("content") or ""
        if message.get("role") == "tool" and len(content) > PREVIEW * 2 and not content.startswith("[compacted"):
            artifact = _artifact_of(content) or ctx.artifacts.put(
                name=f"{node_id}.tool_result.{i}.txt", content=content.encode(), media_type="text/plain",
                node_id=node_id).id
            preview = " ".join(content[:PREVIEW].split())
            replace[i] = {**message, "content": COMPACTED.format(size=len(content), artifact=artifact,
                                                                 preview=f"Begins: {preview}…")}
        elif message.get("role") == "assistant" and len(message.get("reasoning") or "") > REASONING_KEEP * 2:
            short = message["reasoning"][:REASONING_KEEP] + " …[reasoning shortened]"
            replace[i] = {**message, "reasoning": short, "reasoning_content": short}
    return replace


def _artifact_of(content: str) -> str | None:
    """Tool results already stored in full name their artifact; reuse it instead of storing again."""
    marker = f'"{REF}": "'
    if content.startswith("{") and marker in content[:200]:
        return content.split(marker, 1)[1].split('"', 1)[0]
    tag = "[full result: artifact "
    if tag in content:
        return content.split(tag, 1)[1].split(",", 1)[0].split("]", 1)[0]
    return None


def saved_bytes(messages: list[dict[str, Any]], replace: dict[int, dict[str, Any]]) -> int:
    import json

    return sum(len(json.dumps(messages[i])) - len(json.dumps(m)) for i, m in replace.items())
