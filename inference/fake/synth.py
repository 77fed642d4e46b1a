"""Values that satisfy a JSON schema, for the fake server's tool arguments and structured output.

Prefers what the schema suggests (const, default, examples, enum, format) so the result reads like
something a model would write; `optional=True` fills optional properties too.
"""
from __future__ import annotations

from typing import Any

_FORMATS = {
    "date": "2026-01-15",
    "date-time": "2026-01-15T09:00:00Z",
    "time": "09:00:00",
    "email": "jane.doe@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "hostname": "example.com",
}


def synthesize(schema: Any, *, optional: bool = False, name: str = "value") -> Any:
    return _Synth(schema if isinstance(schema, dict) else {}, optional).value(schema, name, 0)


class _Synth:
    def __init__(self, root: dict[str, Any], optional: bool) -> None:
        self.root = root
        self.optional = optional

    def value(self, schema: Any, name: str, depth: int) -> Any:
        if not isinstance(schema, dict) or depth > 12:
            return None
        if "$ref" in schema:
            return self.value(self._resolve(schema["$ref"]), name, depth + 1)
        for key in ("const", "default"):
            if key in schema:
                return schema[key]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return schema["examples"][0]
        if "example" in schema:
            return schema["example"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            options = [o for o in schema.get(key) or () if not (isinstance(o, dict) and o.get("type") == "null")]
            if options:
                return self.value(options[0], name, depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema["allOf"]:
                part = self._resolve(part["$ref"]) if isinstance(part, dict) and "$ref" in part else part
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            return self.value(merged, name, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, "_" + kind, self._string)(schema, name, depth)

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.root
        for part in ref.lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}

    def _object(self, schema: dict[str, Any], name: str, depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        required = schema.get("required") or []
        keys = list(properties) if self.optional else [k for k in properties if k in required]
        keys += [k for k in required if k not in keys]
        return {k: self.value(properties.get(k, {"type": "string"}), k, depth + 1) for k in keys}

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        items = schema.get("items") or {"type": "string"}
        count = max(int(schema.get("minItems", 0)), 1 if self.optional or schema.get("minItems") else 0)
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        if schema.get("uniqueItems") and isinstance(items, dict) and isinstance(items.get("enum"), list):
            return items["enum"][:count]
        singular = name[:-1] if name.endswith("s") else name
        return [self._distinct(self.value(items, singular, depth + 1), i) for i in range(count)]

    @staticmethod
    def _distinct(value: Any, index: int) -> Any:
        if index and isinstance(value, str):
            return f"{value} {index + 1}"
        if index and isinstance(value, (int, float)) and not isinstance(value, bool):
            return value + index
        return value

    def _string(self, schema: dict[str, Any], name: str, depth: int) -> str:
        text = _FORMATS.get(schema.get("format", ""), f"example {name}")
        min_length = int(schema.get("minLength", 0))
        if len(text) < min_length:
            text = text + "x" * (min_length - len(text))
        if "maxLength" in schema:
            text = text[: int(schema["maxLength"])]
        return text

    def _integer(self, schema: dict[str, Any], name: str, depth: int) -> int:
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1)
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 2) - 1 if "exclusiveMaximum" in schema else None)
        value = int(low) if float(low).is_integer() else int(low) + 1
        return min(value, int(high)) if high is not None else value

    def _number(self, schema: dict[str, Any], name: str, depth: int) -> float:
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0.0) + 0.5 if "exclusiveMinimum" in schema else 1.0)
        high = schema.get("maximum")
        return float(min(low, high) if high is not None else low)

    def _boolean(self, schema: dict[str, Any], name: str, depth: int) -> bool:
        return True

    def _null(self, schema: dict[str, Any], name: str, depth: int) -> None:
        return None
