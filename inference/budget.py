"""How much of the context window a message list uses, before it is sent.

The estimate errs high: counting bytes / 3.5 over the serialized messages overestimates English
and JSON for K2's tokenizer, and a call that fails with "context too long" costs more than
compacting a little early.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

BYTES_PER_TOKEN = 3.5
MESSAGE_OVERHEAD_TOKENS = 6  # role markers and separators the chat template adds per message


def estimate_tokens(messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None = None) -> int:
    size = sum(len(json.dumps(m, ensure_ascii=False).encode()) for m in messages)
    if tools:
        size += len(json.dumps(list(tools), ensure_ascii=False).encode())
    return math.ceil(size / BYTES_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS * len(messages)


@dataclass(frozen=True)
class ContextBudget:
    """The window (`max_model_len`, e.g. from `ChatClient.context_window()`) minus the output
    reserve (`max_tokens` of the call); `compact_at` is the share of it at which to compact."""

    max_model_len: int
    reserve_output: int = 16384
    compact_at: float = 0.8

    @classmethod
    def for_client(cls, client: Any, reserve_output: int | None = None, compact_at: float = 0.8) -> ContextBudget:
        """The budget of `client`'s model, its window read from the server's `/v1/models`."""
        window = client.context_window()
        if window is None:
            raise ValueError(f"the server does not report max_model_len for {client.model!r}")
        reserve = reserve_output if reserve_output is not None else int(client.defaults.get("max_tokens", 16384))
        return cls(max_model_len=window, reserve_output=reserve, compact_at=compact_at)

    @property
    def prompt_limit(self) -> int:
        return self.max_model_len - self.reserve_output

    def used(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None = None) -> int:
        return estimate_tokens(messages, tools)

    def fits(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None = None) -> bool:
        return self.used(messages, tools) <= self.prompt_limit

    def should_compact(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None = None) -> bool:
        return self.used(messages, tools) >= self.compact_at * self.prompt_limit

    def remaining(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None = None) -> int:
        return self.prompt_limit - self.used(messages, tools)
