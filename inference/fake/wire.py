"""vLLM's wire format: chunks, whole responses, error bodies and `/metrics` text."""
from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from inference import kimi
from inference.fake.script import Reply

CHARS_PER_TOKEN = 4
_ERROR_TYPES = {400: "BadRequestError", 404: "NotFoundError", 422: "BadRequestError", 429: "RateLimitError",
                500: "InternalServerError", 502: "BadGatewayError", 503: "ServiceUnavailableError"}


def count_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass
class Turn:
    """A reply resolved against one request: ids assigned, leaks rendered, max_tokens applied."""

    reasoning: str
    content: str
    tool_calls: list[dict[str, Any]]
    finish_reason: str
    usage: dict[str, Any]
    stream_chunks: list[dict[str, Any]] = field(default_factory=list)


def resolve(reply: Reply, body: dict[str, Any], prompt_tokens: int, cached_tokens: int) -> Turn:
    offset = sum(len(m.get("tool_calls") or ()) for m in body.get("messages") or () if m.get("role") == "assistant")
    calls = []
    for i, scripted in enumerate(reply.tool_calls):
        if scripted.id:
            call_id = scripted.id
        elif reply.tool_id_style == "kimi":
            call_id = kimi.kimi_id(scripted.name, offset + i)
        else:
            call_id = f"chatcmpl-tool-{uuid.uuid4().hex}"
        args = scripted.arguments if isinstance(scripted.arguments, str) else json.dumps(scripted.arguments, ensure_ascii=False)
        calls.append({"id": call_id, "name": scripted.name, "arguments": args})

    reasoning, content, finish = reply.reasoning, reply.content, reply.finish_reason
    if reply.leak_tool_calls and calls:
        markup = kimi.SECTION_BEGIN + "".join(
            f"{kimi.CALL_BEGIN}{c['id']}{kimi.ARGUMENT_BEGIN}{c['arguments']}{kimi.CALL_END}" for c in calls
        ) + kimi.SECTION_END
        if reply.cut_tool_section:
            markup = markup[: markup.rfind(kimi.CALL_END) - max(1, len(calls[-1]["arguments"]) // 2)]
            finish = finish or "length"
        if reply.leak_tool_calls == "content":
            content += markup
        else:
            reasoning += markup
        calls = []

    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if finish is None and max_tokens is not None:
        reasoning, content, calls, cut = _truncate(reasoning, content, calls, int(max_tokens) * CHARS_PER_TOKEN)
        finish = "length" if cut else None
    finish = finish or ("tool_calls" if calls else "stop")

    generated = reasoning + content + "".join(c["name"] + c["arguments"] for c in calls)
    usage: dict[str, Any] = {
        "prompt_tokens": reply.prompt_tokens if reply.prompt_tokens is not None else prompt_tokens,
        "completion_tokens": reply.completion_tokens if reply.completion_tokens is not None else count_tokens(generated),
    }
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    if not reply.omit_cached_tokens:
        cached = reply.cached_tokens if reply.cached_tokens is not None else cached_tokens
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return Turn(reasoning=reasoning, content=content, tool_calls=calls, finish_reason=finish, usage=usage)


def _truncate(reasoning: str, content: str, calls: list[dict[str, Any]], budget: int) -> tuple[str, str, list[dict[str, Any]], bool]:
    total = len(reasoning) + len(content) + sum(len(c["name"]) + len(c["arguments"]) for c in calls)
    if total <= budget:
        return reasoning, content, calls, False
    reasoning, budget = reasoning[:budget], max(0, budget - len(reasoning))
    content, budget = content[:budget], max(0, budget - len(content))
    kept = []
    for call in calls:
        if budget <= len(call["name"]):
            break
        kept.append({**call, "arguments": call["arguments"][: budget - len(call["name"])]})
        budget -= len(call["name"]) + len(call["arguments"])
    return reasoning, content, kept, True


def stream_chunks(turn: Turn, reply: Reply, request_id: str, model: str, include_usage: bool) -> list[dict[str, Any]]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": request_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    size = max(1, reply.chunk_chars)
    chunks = [chunk({"role": "assistant", "content": ""})]
    fields = {"reasoning": ["reasoning"], "reasoning_content": ["reasoning_content"],
              "both": ["reasoning", "reasoning_content"]}[reply.reasoning_field]
    for piece in _pieces(turn.reasoning, size):
        chunks.append(chunk({name: piece for name in fields}))
    for piece in _pieces(turn.content, size):
        chunks.append(chunk({"content": piece}))
    for index, call in enumerate(turn.tool_calls):
        chunks.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                             "function": {"name": call["name"], "arguments": ""}}]}))
        for piece in _pieces(call["arguments"], size):
            chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    final = chunk({}, turn.finish_reason)
    final["choices"][0]["stop_reason"] = None
    chunks.append(final)
    if include_usage:
        chunks.append({"id": request_id, "object": "chat.completion.chunk", "created": created, "model": model,
                       "choices": [], "usage": turn.usage})
    return chunks


def _pieces(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def encode_event(data: dict[str, Any] | str) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"data: {payload}\n\n".encode("utf-8")


def whole_response(turn: Turn, request_id: str, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": turn.content or None,
                               "reasoning": turn.reasoning or None, "reasoning_content": turn.reasoning or None,
                               "tool_calls": [{"id": c["id"], "type": "function",
                                               "function": {"name": c["name"], "arguments": c["arguments"]}}
                                              for c in turn.tool_calls]}
    return {"id": request_id, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": turn.finish_reason,
                         "stop_reason": None}],
            "usage": turn.usage, "prompt_logprobs": None}


def error_body(status: int, message: str, error_type: str | None = None, shape: str = "nested") -> dict[str, Any]:
    error = {"message": message, "type": error_type or _ERROR_TYPES.get(status, "InternalServerError"),
             "param": None, "code": status}
    return {"error": error} if shape == "nested" else {"object": "error", **error}


def context_error_message(max_model_len: int, prompt_tokens: int, max_tokens: int) -> str:
    """vLLM's wording (0.10 and later) for a prompt, or prompt plus `max_tokens`, past the window."""
    if prompt_tokens >= max_model_len:
        return (f"This model's maximum context length is {max_model_len} tokens. However, your request has "
                f"{prompt_tokens} input tokens. Please reduce the length of the input messages.")
    return (f"'max_tokens' or 'max_completion_tokens' is too large: {max_tokens}. This model's maximum context "
            f"length is {max_model_len} tokens and your request has {prompt_tokens} input tokens "
            f"({max_tokens} > {max_model_len} - {prompt_tokens}).")


def render_prompt(body: dict[str, Any]) -> str:
    """A stand-in for the chat template: the text whose prefix vLLM's cache would match.

    Tools first, then each message in order, so appending a message only appends text."""
    parts = ["<|tools|>" + json.dumps(body.get("tools") or [], ensure_ascii=False, separators=(",", ":"))]
    for message in body.get("messages") or ():
        parts.append(f"<|{message.get('role')}|>" + json.dumps(message, ensure_ascii=False, separators=(",", ":")))
    return "".join(parts)


def metrics_text(model: str, gauges: dict[str, float], counters: dict[str, float]) -> str:
    labels = f'engine="0",model_name="{model}"'
    lines = []
    for name, value in gauges.items():
        lines += [f"# TYPE {name} gauge", f"{name}{{{labels}}} {float(value)}"]
    for name, value in counters.items():
        lines += [f"# TYPE {name} counter", f"{name}{{{labels}}} {float(value)}"]
    return "\n".join(lines) + "\n"
