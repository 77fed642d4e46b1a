"""What the fake server answers: a scripted `Reply` per request, or the default behaviour."""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from inference.fake.synth import synthesize


class ScriptedToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)
    id: str | None = None
    """Defaults to Kimi's `functions.NAME:IDX`; give e.g. `call_abc` to test id rewriting."""


class Reply(BaseModel):
    """One scripted answer. Every field is optional; the quirks are off unless set."""

    model_config = ConfigDict(extra="forbid")

    reasoning: str = ""
    content: str = ""
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    """Override, e.g. "tool_calls" with no calls, "stop" with calls, "length" mid-section."""
    leak_tool_calls: Literal["content", "reasoning"] | None = None
    """Send the tool calls as raw Kimi markup inside this text instead of as `tool_calls`."""
    cut_tool_section: bool = False
    """With `leak_tool_calls`: end the text inside the last call, as a `length` cut does."""
    reasoning_field: Literal["reasoning", "reasoning_content", "both"] = "reasoning"
    tool_id_style: Literal["kimi", "openai"] = "kimi"

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    omit_cached_tokens: bool = False
    """As vLLM without `--enable-prompt-tokens-details`."""

    status: int = 200
    error: str | None = None
    error_type: str | None = None
    error_shape: Literal["nested", "flat"] = "nested"
    retry_after: float | None = None
    error_in_stream: bool = False
    """Send the error as a data event after the stream started (vLLM does for engine errors)."""

    ttft_s: float | None = None
    tpot_s: float | None = None
    chunk_chars: int = 16
    cut_after: int | None = None
    """Close the connection after this many chunks, without finish_reason or [DONE]."""
    stall_after: int | None = None
    stall_s: float = 0.0
    write_splits: list[int] | None = None
    """Write the SSE bytes to the socket in pieces of these sizes (cycled)."""
    omit_done: bool = False
    inject_raw: str | None = None
    """Bytes (as text) written verbatim after the first chunk, e.g. a malformed event."""


def default_reply(body: dict[str, Any]) -> Reply:
    """Good enough for demo workflows: think a little; call one offered tool until a result of an
    offered tool is in the conversation; then answer, with JSON valid for `response_format` if
    one is asked."""
    messages = body.get("messages") or []
    tools = [t for t in body.get("tools") or () if isinstance(t, dict) and t.get("function")]
    last_user = next((_text(m) for m in reversed(messages) if m.get("role") == "user"), "")
    offered = {t["function"].get("name") for t in tools}
    has_results = any(name in offered for name in tool_result_names(messages))
    tool = _choose_tool(tools, body.get("tool_choice"), last_user, has_results)
    request = " ".join(last_user.split())[:160]
    if tool is not None:
        function = tool["function"]
        arguments = synthesize(function.get("parameters") or {}, name="arguments")
        return Reply(
            reasoning=f"The user asks: {request}. I need data first, so I will call {function['name']}.",
            tool_calls=[ScriptedToolCall(name=function["name"], arguments=arguments if isinstance(arguments, dict) else {})],
        )
    schema = _response_schema(body)
    if schema is not None:
        return Reply(
            reasoning=f"The user asks: {request}. I will answer in the requested JSON format.",
            content=json.dumps(synthesize(schema, optional=True, name="result")),
        )
    results = [_text(m) for m in messages if m.get("role") == "tool"]
    if results:
        summary = " | ".join(" ".join(r.split())[:120] for r in results[-3:])
        content = f"Summary of {len(results)} tool result(s): {summary}"
    else:
        content = f"This is the fake model's answer to: {request}"
    return Reply(reasoning=f"The user asks: {request}. I have what I need and will answer.", content=content)


def tool_result_names(messages: list[dict[str, Any]], tail: list[dict[str, Any]] | None = None) -> list[str]:
    """The tool name behind each tool message of `tail` (default: all of `messages`), read from
    the call in `messages` it answers (or its `name`).

    Results of tools no longer offered (e.g. a context exchange written into the history
    before the first call) are not a reason to stop calling the offered ones."""
    names = {call.get("id"): (call.get("function") or {}).get("name")
             for m in messages if m.get("role") == "assistant" for call in m.get("tool_calls") or ()}
    return [names.get(m.get("tool_call_id")) or m.get("name") or ""
            for m in (messages if tail is None else tail) if m.get("role") == "tool"]


def _choose_tool(tools: list[dict[str, Any]], choice: Any, last_user: str, has_results: bool) -> dict[str, Any] | None:
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        return next((t for t in tools if t["function"].get("name") == wanted), None)
    if has_results and choice != "required":
        return None
    mentioned = [t for t in tools if t["function"].get("name") and t["function"]["name"] in last_user]
    return (mentioned or tools)[0]


def _response_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        return spec.get("schema") or {}
    if fmt.get("type") == "json_object":
        return {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    guided = body.get("guided_json") or (body.get("structured_outputs") or {}).get("json")
    if guided is not None:
        return json.loads(guided) if isinstance(guided, str) else guided
    return None


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # OpenAI content parts
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""
