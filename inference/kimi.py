"""Kimi K2 raw markup: tool-call sections and `<think>` blocks that leak past vLLM's parsers.

K2 writes a tool call as
    <|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:IDX<|tool_call_argument_begin|>{json}<|tool_call_end|><|tool_calls_section_end|>
vLLM's `kimi_k2` tool parser normally turns that into `tool_calls`, but it can leak into content
or reasoning (parser off, reasoning parser ending late, streaming edge cases). These functions
recover the calls and return the text with every marker removed.
"""
from __future__ import annotations

import re

from inference.types import ToolCall

SECTION_BEGIN = "<|tool_calls_section_begin|>"
SECTION_END = "<|tool_calls_section_end|>"
CALL_BEGIN = "<|tool_call_begin|>"
ARGUMENT_BEGIN = "<|tool_call_argument_begin|>"
CALL_END = "<|tool_call_end|>"

# vLLM's parser also accepts the singular spelling some K2 checkpoints emit.
_SECTION_BEGIN_RE = re.compile(r"<\|tool_calls?_section_begin\|>")
_SECTION_END_RE = re.compile(r"<\|tool_calls?_section_end\|>")
_CALL_RE = re.compile(
    r"<\|tool_call_begin\|>\s*(?P<id>[^<]*?)\s*<\|tool_call_argument_begin\|>(?P<args>.*?)<\|tool_call_end\|>",
    re.DOTALL,
)
_ANY_MARKER_RE = re.compile(r"<\|tool_calls?_section_(?:begin|end)\|>|<\|tool_call_(?:begin|end|argument_begin)\|>")
_KIMI_ID_RE = re.compile(r"^functions\.(?P<name>[^:\s]+):(?P<idx>\d+)$")
_BARE_ID_RE = re.compile(r"^(?P<name>[^:\s]+):(?P<idx>\d+)$")

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


def has_markers(text: str) -> bool:
    return "<|tool_call" in text


def parse_tool_calls(text: str) -> tuple[str, list[ToolCall]]:
    """Return `(text without markup, complete tool calls in order)`.

    Only calls closed by `<|tool_call_end|>` are returned: an unfinished call at the end of a
    truncated section is dropped, and its partial text is removed from the content.
    """
    if not has_markers(text):
        return text, []
    calls: list[ToolCall] = []
    pieces: list[str] = []
    pos = 0
    while True:
        begin = _SECTION_BEGIN_RE.search(text, pos)
        first_call = text.find(CALL_BEGIN, pos)
        # A section may lose its opening marker; a bare call starts one as well.
        starts = [m for m in (begin.start() if begin else -1, first_call) if m >= 0]
        if not starts:
            pieces.append(text[pos:])
            break
        start = min(starts)
        pieces.append(text[pos:start])
        end = _SECTION_END_RE.search(text, start)
        section_stop = end.start() if end else len(text)
        section = text[start:section_stop]
        for match in _CALL_RE.finditer(section):
            calls.append(_call_from_match(match.group("id"), match.group("args")))
        pos = end.end() if end else len(text)
    content = _ANY_MARKER_RE.sub("", "".join(pieces))
    return content, calls


def _call_from_match(raw_id: str, raw_args: str) -> ToolCall:
    raw_id = raw_id.strip()
    name = tool_name_from_id(raw_id) or raw_id
    return ToolCall.from_raw(id=raw_id, name=name, raw_arguments=raw_args.strip())


def tool_name_from_id(tool_id: str) -> str | None:
    """`functions.get_deal:3` → `get_deal`; also reads the bare `get_deal:3` form."""
    match = _KIMI_ID_RE.match(tool_id) or _BARE_ID_RE.match(tool_id)
    return match.group("name") if match else None


def is_kimi_id(tool_id: str) -> bool:
    return bool(_KIMI_ID_RE.match(tool_id))


def kimi_id(name: str, index: int) -> str:
    return f"functions.{name}:{index}"


def split_reasoning(text: str) -> tuple[str, str]:
    """Return `(reasoning, content)` from text that may hold a `<think>...</think>` block.

    K2 Thinking's chat template opens `<think>` in the prompt, so generated text often has only
    the closing tag: everything before it is reasoning. An unclosed `<think>` is all reasoning
    (the model was cut off), except that a tool-call section ends reasoning, as in vLLM's parser.
    """
    open_at = text.find(THINK_OPEN)
    close_at = text.find(THINK_CLOSE)
    if close_at >= 0 and (open_at < 0 or open_at < close_at):
        head = text[:close_at]
        before = ""
        if open_at >= 0:
            before, head = head[:open_at], head[open_at + len(THINK_OPEN):]
        content = before + text[close_at + len(THINK_CLOSE):]
        return head.strip(), content.lstrip("\n") if not before else content
    if open_at >= 0:
        before, rest = text[:open_at], text[open_at + len(THINK_OPEN):]
        section = _SECTION_BEGIN_RE.search(rest)
        if section:
            return rest[: section.start()].strip(), before + rest[section.start():]
        return rest.strip(), before
    return "", text
