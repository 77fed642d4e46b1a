"""Message and tool builders shared by the inference tests."""
from __future__ import annotations


def user(text: str = "Find the open deals") -> list[dict]:
    return [{"role": "system", "content": "You are Farside's analyst."}, {"role": "user", "content": text}]


def tool(name: str = "search_deals", **properties: dict) -> dict:
    properties = properties or {"stage": {"type": "string", "enum": ["open", "won", "lost"]}}
    return {"type": "function", "function": {"name": name, "description": f"{name} tool",
            "parameters": {"type": "object", "properties": properties, "required": list(properties)}}}
