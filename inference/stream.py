"""Server-sent events to a `Completion`: the byte-level decoder and the chunk accumulator.

Both are pure and incremental so that any split of the same byte stream yields the same result
(checked with hypothesis in tests/inference/test_stream_accumulator.py).
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inference.errors import ServerError
from inference.types import Completion, ToolCall, Usage

DeltaCallback = Callable[[str, str], None]
"""`on_delta(kind, text)` with kind `"reasoning"` or `"content"`; `"reset", ""` when a retry
starts over after text was already delivered."""


_OPENING_RE = re.compile(r"<\|tool_calls?_section_begin\|>|<\|tool_call_begin\|>")
_STRAY_RE = re.compile(r"<\|tool_calls?_section_end\|>|<\|tool_call_(?:end|argument_begin)\|>")
_SECTION_END_RE = re.compile(r"<\|tool_calls?_section_end\|>")
_MARKERS = ("<|tool_calls_section_begin|>", "<|tool_call_section_begin|>", "<|tool_call_begin|>",
            "<|tool_calls_section_end|>", "<|tool_call_section_end|>", "<|tool_call_end|>", "<|tool_call_argument_begin|>")


class MarkupFilter:
    """Hides leaked Kimi tool-call markup from text streamed to listeners (the dashboard), so
    they see what `kimi.parse_tool_calls` will leave in the completion. Text that might be the
    start of a marker is held back until the next piece tells."""

    def __init__(self) -> None:
        self._pending = ""
        self._inside = False

    def feed(self, text: str) -> str:
        if not self._pending and not self._inside and "<" not in text:
            return text
        buffer, out = self._pending + text, []
        self._pending = ""
        while buffer:
            if self._inside:
                end = _SECTION_END_RE.search(buffer)
                if end is None:
                    self._pending = buffer[-30:]  # a section end may be split across pieces
                    break
                buffer, self._inside = buffer[end.end():], False
                continue
            start = buffer.find("<|")
            if start < 0:
                keep = 1 if buffer.endswith("<") else 0
                out.append(buffer[: len(buffer) - keep])
                self._pending = buffer[len(buffer) - keep:]
                break
            out.append(buffer[:start])
            buffer = buffer[start:]
            if _OPENING_RE.match(buffer):
                self._inside = True
            elif stray := _STRAY_RE.match(buffer):
                buffer = buffer[stray.end():]
            elif any(marker.startswith(buffer) for marker in _MARKERS):
                self._pending = buffer  # not enough text yet to tell
                break
            else:
                out.append(buffer[:2])
                buffer = buffer[2:]
        return "".join(out)

    def flush(self) -> str:
        rest, self._pending = ("" if self._inside else self._pending), ""
        return rest


class SSEDecoder:
    """Splits an SSE byte stream into event data strings (comments and other fields ignored)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[str]:
        # vLLM writes each event as its own chunk: `data: {...}\n\n`. Take that shape directly.
        if (not self._buffer and chunk.startswith(b"data: ") and chunk.find(b"\n") == len(chunk) - 2
                and chunk.endswith(b"\n\n") and not self._data and b"\r" not in chunk):
            return [chunk[6:-2].decode("utf-8")]
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer or self._data:
            cut = buffer.rfind(b"\n")
            self._buffer = buffer[cut + 1:]
            return self._lines(buffer[:cut]) if cut >= 0 else []
        # Fast path for what vLLM sends: one `data: ...` line per event, events split by "\n\n".
        blocks = buffer.split(b"\n\n")
        self._buffer = blocks.pop()
        events: list[str] = []
        for block in blocks:
            if block.startswith(b"data: ") and b"\n" not in block:
                events.append(block[6:].decode("utf-8"))
            elif block:
                events += self._lines(block + b"\n")
        return events

    def _lines(self, complete: bytes) -> list[str]:
        """Process whole lines (the text before the last newline); an empty line ends an event."""
        events: list[str] = []
        for line in complete.split(b"\n"):
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if self._data:
                    events.append(b"\n".join(self._data).decode("utf-8"))
                    self._data = []
            elif line.startswith(b"data:"):
                value = line[5:]
                self._data.append(value[1:] if value.startswith(b" ") else value)
        return events

    def close(self) -> list[str]:
        """Flush an event the server did not terminate with a blank line."""
        events = self.feed(b"\n\n") if self._buffer or self._data else []
        return events


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class StreamAccumulator:
    """Accumulates `chat.completion.chunk` objects: text deltas, tool-call deltas by index, usage."""

    def __init__(self, on_delta: DeltaCallback | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._on_delta = on_delta
        self._filters = {"reasoning": MarkupFilter(), "content": MarkupFilter()} if on_delta else {}
        self._clock = clock
        self.started = clock()
        self.first_token_at: float | None = None
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.calls: dict[int, _PartialCall] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.model: str | None = None
        self.id: str | None = None
        self.done = False
        self.chunks = 0

    def feed_event(self, data: str) -> None:
        if data == "[DONE]" or (len(data) < 16 and data.strip() == "[DONE]"):
            self.done = True
            return
        chunk = json.loads(data)
        if not isinstance(chunk, dict):
            return
        if "error" in chunk or chunk.get("object") == "error":
            # vLLM reports errors raised after streaming began as a data event.
            error = chunk.get("error", chunk)
            message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
            raise ServerError(f"error in stream: {message}")
        self.feed_chunk(chunk)

    def feed_chunk(self, chunk: dict[str, Any]) -> None:
        self.chunks += 1
        if self.id is None:
            self.id = chunk.get("id")
            self.model = chunk.get("model")
        usage = chunk.get("usage")
        if usage:
            self.usage = usage
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if delta:
                self._feed_delta(delta)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    def _feed_delta(self, delta: dict[str, Any]) -> None:
        # Some vLLM versions send the same text under both names; read one of them only.
        reasoning = delta.get("reasoning")
        if reasoning is None:
            reasoning = delta.get("reasoning_content")
        if reasoning:
            self._text("reasoning", reasoning, self.reasoning)
        content = delta.get("content")
        if content:
            self._text("content", content, self.content)
        tool_deltas = delta.get("tool_calls")
        if tool_deltas:
            self._feed_tool_deltas(tool_deltas)

    def _feed_tool_deltas(self, tool_deltas: list[dict[str, Any]]) -> None:
        self._mark_first_token()
        for tool_delta in tool_deltas:
            index = int(tool_delta.get("index", len(self.calls)))
            call = self.calls.setdefault(index, _PartialCall())
            if tool_delta.get("id") and not call.id:
                call.id = tool_delta["id"]
            function = tool_delta.get("function") or {}
            if function.get("name") and not call.name:
                call.name = function["name"]
            if function.get("arguments"):
                call.arguments.append(function["arguments"])

    def _text(self, kind: str, text: str, parts: list[str]) -> None:
        if self.first_token_at is None:
            self.first_token_at = self._clock()
        parts.append(text)
        if self._on_delta is not None:
            visible = self._filters[kind].feed(text)
            if visible:
                self._on_delta(kind, visible)

    def flush(self) -> None:
        """Deliver text held back because it might have begun a marker (call at stream end)."""
        for kind, markup_filter in self._filters.items():
            rest = markup_filter.flush()
            if rest and self._on_delta is not None:
                self._on_delta(kind, rest)

    def _mark_first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = self._clock()

    def completion(self) -> Completion:
        """The completion as received, before quirks are repaired (see `inference.repair`)."""
        calls = [
            ToolCall.from_raw(id=p.id, name=p.name, raw_arguments="".join(p.arguments))
            for _, p in sorted(self.calls.items())
        ]
        now = self._clock()
        return Completion(
            content="".join(self.content),
            reasoning="".join(self.reasoning),
            tool_calls=calls,
            finish_reason=self.finish_reason,
            usage=Usage.from_wire(self.usage),
            ttft_s=None if self.first_token_at is None else self.first_token_at - self.started,
            duration_s=now - self.started,
            model=self.model,
            id=self.id,
        )


def completion_from_response(body: dict[str, Any]) -> Completion:
    """A non-streamed `chat.completion` object, read with the same rules as the stream."""
    acc = StreamAccumulator()
    choices = []
    for choice in body.get("choices") or ():
        message = dict(choice.get("message") or {})
        message["tool_calls"] = [
            {**call, "index": i} for i, call in enumerate(message.get("tool_calls") or ())
        ]
        choices.append({"index": choice.get("index", 0), "delta": message, "finish_reason": choice.get("finish_reason")})
    acc.feed_chunk({"id": body.get("id"), "model": body.get("model"), "choices": choices, "usage": body.get("usage")})
    acc.done = True
    return acc.completion()
