"""OpenAI-compatible inference for Kimi K2 Thinking on vLLM. Never imports Django.

Public names: `ChatClient`, `Completion`, `ToolCall`, `Usage`, `Router`, `Replica`,
`ContextBudget`, `estimate_tokens`, `validate_tool_call`, and the errors of `inference.errors`.
The fake server is `inference.fake.FakeVLLMServer`; the raw-markup parser is `inference.kimi`.
"""
from inference.budget import ContextBudget, estimate_tokens
from inference.client import K2_THINKING_DEFAULTS, ChatClient, DeadlineExceededError
from inference.errors import (
    BadRequestError,
    CircuitOpenError,
    ContextTooLongError,
    EmptyToolCallsError,
    InferenceError,
    InferenceTimeoutError,
    RateLimitedError,
    ServerError,
    StreamInterruptedError,
    TransportError,
)
from inference.router import Replica, Router
from inference.tools import validate_tool_call
from inference.types import Completion, ToolCall, Usage

__all__ = [
    "BadRequestError", "ChatClient", "CircuitOpenError", "Completion", "ContextBudget", "ContextTooLongError",
    "DeadlineExceededError", "EmptyToolCallsError", "InferenceError", "InferenceTimeoutError",
    "K2_THINKING_DEFAULTS", "RateLimitedError", "Replica", "Router", "ServerError", "StreamInterruptedError",
    "ToolCall", "TransportError", "Usage", "estimate_tokens", "validate_tool_call",
]
