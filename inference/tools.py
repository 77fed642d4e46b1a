"""Checks on a tool call before it runs; the message goes back to the model as the tool result."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsonschema

from inference.types import ToolCall


def validate_tool_call(call: ToolCall, tools: Sequence[dict[str, Any]]) -> str | None:
    """None when `call` names a declared tool and its arguments satisfy that tool's JSON schema;
    otherwise a message, written for the model, saying what was wrong."""
    declared = {t["function"]["name"]: t["function"] for t in tools if isinstance(t, dict) and t.get("function")}
    function = declared.get(call.name)
    if function is None:
        names = ", ".join(sorted(declared)) or "none"
        return f"Error: tool {call.name!r} does not exist. Available tools: {names}."
    if call.parse_error:
        return f"Error: the arguments for {call.name} could not be read ({call.parse_error}). Send a JSON object."
    schema = function.get("parameters") or {"type": "object"}
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    errors = sorted(validator_cls(schema).iter_errors(call.arguments), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    problems = "; ".join(_describe(e) for e in errors[:5])
    return f"Error: invalid arguments for {call.name}: {problems}. Fix them and call the tool again."


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message
