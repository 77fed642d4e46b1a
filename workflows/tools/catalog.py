"""One catalogue of tools: connector operations (from ``connectors.registry``) and built-ins.

A :class:`Tool` is what the agent loop offers and runs. Connector operations keep their
dotted names in specs and events (``demo.create_task``); the model sees them as
``demo__create_task`` because function names may not contain dots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from connectors import registry

from ..context import RunContext
from .builtin import BUILTINS

ToolKind = Literal["read", "write"]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    kind: ToolKind
    parameters: Mapping[str, Any]
    builtin: Callable[[Mapping[str, Any], RunContext], Any] | None = None

    @property
    def function_name(self) -> str:
        return function_name(self.name)

    def openai(self) -> dict[str, Any]:
        return {"type": "function", "function": {"name": self.function_name, "description": self.description,
                                                 "parameters": dict(self.parameters)}}

    def run(self, args: Mapping[str, Any], ctx: RunContext, *, idempotency_key: str | None = None) -> Any:
        if self.builtin is not None:
            return self.builtin(args, ctx)
        connector = ctx.connectors.connector(self.name.split(".", 1)[0])
        if self.kind == "write":
            return connector.call(self.name, args, idempotency_key=idempotency_key)
        return connector.call(self.name, args)


def function_name(tool: str) -> str:
    return tool.replace(".", "__")


def tool_kind(name: str) -> ToolKind | None:
    if name in BUILTINS:
        return "read"
    op = registry.operation(name)
    return op.kind if op is not None else None


def get_tool(name: str) -> Tool:
    if name in BUILTINS:
        description, schema, run = BUILTINS[name]
        return Tool(name, description, "read", schema, run)
    op = registry.operation(name)
    if op is None:
        raise KeyError(f"unknown tool {name!r}")
    return Tool(op.name, op.description, op.kind, op.args_schema)


def builtin_names() -> list[str]:
    return list(BUILTINS)


def suggest(name: str) -> str:
    """A hint for an unknown tool name: the closest known names, if any are close."""
    import difflib

    known = builtin_names() + [op.name for op in registry.operations()]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
