"""Typed results of a chat completion: what the model said, what it asked to call, what it cost."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolCall:
    """One function call the model asked for.

    `raw_arguments` is the JSON text exactly as the model produced it; it is what goes back into
    the history so the prompt prefix stays byte-stable. `arguments` is its parsed form, `{}` when
    the text is not a JSON object (then `parse_error` says why).
    """

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str
    parse_error: str | None = None

    @classmethod
    def from_raw(cls, id: str, name: str, raw_arguments: str) -> ToolCall:
        arguments, error = parse_arguments(raw_arguments)
        return cls(id=id, name=name, arguments=arguments, raw_arguments=raw_arguments, parse_error=error)

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.raw_arguments},
        }


def parse_arguments(raw: str) -> tuple[dict[str, Any], str | None]:
    """Parse tool arguments; an empty string means no arguments (models do send that)."""
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, f"arguments are not valid JSON: {exc.msg} at position {exc.pos}"
    if not isinstance(value, dict):
        return {}, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, None


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def from_wire(cls, data: dict[str, Any] | None) -> Usage:
        if not data:
            return cls()
        details = data.get("prompt_tokens_details") or {}
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        return cls(
            prompt_tokens=int(data.get("prompt_tokens") or 0),
            completion_tokens=int(data.get("completion_tokens") or 0),
            cached_tokens=int(cached) if cached is not None else None,
        )


@dataclass
class Completion:
    """One assistant turn, after every wire quirk has been dealt with.

    Decide on tool calls by `tool_calls` being non-empty, never by `finish_reason`. When the
    model was cut off inside a tool section (`finish_reason == "length"`), `truncated` is true,
    `tool_calls` is empty and the unfinished calls sit in `dropped_tool_calls`: they must not run.
    """

    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    ttft_s: float | None = None
    duration_s: float = 0.0
    backend: str | None = None
    model: str | None = None
    id: str | None = None
    truncated: bool = False
    dropped_tool_calls: list[ToolCall] = field(default_factory=list)
    attempts: int = 1
    notes: list[str] = field(default_factory=list)

    def to_message(self) -> dict[str, Any]:
        """The assistant message to append to the history for the next call.

        Reasoning goes under both names because vLLM versions read one or the other; content is
        always a string; tool-call ids and raw argument text are echoed verbatim.
        """
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.content,
            "reasoning": self.reasoning,
            "reasoning_content": self.reasoning,
        }
        if self.tool_calls:
            message["tool_calls"] = [call.to_wire() for call in self.tool_calls]
        return message
