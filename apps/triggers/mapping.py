"""From a verified payload to workflow inputs: ``{"input name": "/json/pointer"}``."""

from __future__ import annotations

from typing import Any

from apps.common.errors import InvalidInput, Problem

MISSING = object()


def resolve_pointer(document: Any, pointer: str) -> Any:
    """RFC 6901 JSON pointer; ``""`` is the whole document. Returns MISSING when absent."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        return MISSING
    current = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict) and token in current:
            current = current[token]
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return MISSING
    return current


def check_mapping(mapping: Any) -> None:
    if not isinstance(mapping, dict):
        raise InvalidInput("invalid input mapping", [Problem("input_mapping", "must be an object")])
    problems = [Problem(f"input_mapping.{k}", "must be a JSON pointer such as /0/objectId, or \"\" for the whole payload")
                for k, v in mapping.items() if not isinstance(v, str) or (v and not v.startswith("/"))]
    if problems:
        raise InvalidInput("invalid input mapping", problems)


def map_inputs(payload: Any, mapping: dict[str, str], static: dict[str, Any]) -> dict[str, Any]:
    """Static inputs first, then mapped values; a pointer that finds nothing is an error."""
    inputs = dict(static)
    missing = []
    for name, pointer in mapping.items():
        value = resolve_pointer(payload, pointer)
        if value is MISSING:
            missing.append(Problem(name, f"nothing at {pointer!r} in the payload"))
        else:
            inputs[name] = value
    if missing:
        raise InvalidInput("the payload does not fit the endpoint's input mapping", missing)
    if _has_nul(inputs):
        # PostgreSQL cannot store U+0000 in JSON; refuse it here rather than fail the write.
        raise InvalidInput("the mapped inputs contain the NUL character, which cannot be stored", [])
    return inputs


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
