"""Built-in tools: arithmetic, the current time in the organization's timezone, and reading
or searching artifacts (long transcripts and reports the agent should not hold whole)."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..context import RunContext

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCS: dict[str, Callable[..., float]] = {"sqrt": math.sqrt, "abs": abs, "round": round, "min": min,
                                           "max": max, "log": math.log, "exp": math.exp}


class ToolFailure(Exception):
    """A tool could not do what was asked; the message goes back to the model."""


def calculate(expression: str) -> float | int:
    """Evaluate arithmetic without eval(): numbers, + - * / // % **, parentheses, a few functions."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ToolFailure(f"not an arithmetic expression: {exc.msg}") from exc

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 100:
                raise ToolFailure("exponent too large")
            return _BIN[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
            return _FUNCS[node.func.id](*[ev(a) for a in node.args])
        raise ToolFailure(f"unsupported element {type(node).__name__} in expression")

    try:
        return ev(tree)
    except ZeroDivisionError as exc:
        raise ToolFailure("division by zero") from exc


def _calculator(args: Mapping[str, Any], ctx: RunContext) -> Any:
    return {"result": calculate(str(args["expression"]))}


def _current_time(args: Mapping[str, Any], ctx: RunContext) -> Any:
    now = datetime.now(ZoneInfo(ctx.timezone))
    return {"now": now.isoformat(timespec="seconds"), "weekday": now.strftime("%A"), "timezone": ctx.timezone}


def _text(ctx: RunContext, artifact_id: str) -> str:
    try:
        return ctx.artifacts.get(artifact_id).decode("utf-8", errors="replace")
    except KeyError as exc:
        raise ToolFailure(f"no artifact {artifact_id!r}") from exc


def _read_artifact(args: Mapping[str, Any], ctx: RunContext) -> Any:
    text = _text(ctx, args["artifact_id"])
    offset = int(args.get("offset", 0))
    length = min(int(args.get("length", 4000)), 20000)
    chunk = text[offset: offset + length]
    return {"text": chunk, "offset": offset, "total_chars": len(text),
            "next_offset": offset + len(chunk) if offset + len(chunk) < len(text) else None}


def _search_artifact(args: Mapping[str, Any], ctx: RunContext) -> Any:
    lines = _text(ctx, args["artifact_id"]).splitlines()
    words = [w for w in re.findall(r"\w+", str(args["query"]).lower()) if len(w) > 1]
    if not words:
        raise ToolFailure("query has no words to search for")
    scored = []
    for number, line in enumerate(lines):
        low = line.lower()
        score = sum(low.count(w) for w in words)
        if score:
            scored.append((score, number))
    hits = sorted(scored, key=lambda s: (-s[0], s[1]))[: min(int(args.get("max_hits", 10)), 50)]
    return {"hits": [{"line": n + 1, "text": lines[n][:500]} for _, n in sorted(hits, key=lambda h: h[1])],
            "total_matches": len(scored)}


BUILTINS: dict[str, tuple[str, dict[str, Any], Callable[[Mapping[str, Any], RunContext], Any]]] = {
    "calculator": (
        "Evaluate an arithmetic expression exactly, e.g. '(1200 - 950) / 950 * 100'.",
        {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"],
         "additionalProperties": False},
        _calculator),
    "current_time": (
        "The current date and time in the organization's timezone.",
        {"type": "object", "properties": {}, "additionalProperties": False},
        _current_time),
    "read_artifact": (
        "Read part of a stored artifact (a long tool result, transcript or report) by id.",
        {"type": "object", "properties": {"artifact_id": {"type": "string"},
                                          "offset": {"type": "integer", "minimum": 0},
                                          "length": {"type": "integer", "minimum": 1, "maximum": 20000}},
         "required": ["artifact_id"], "additionalProperties": False},
        _read_artifact),
    "search_artifact": (
        "Find the lines of a stored artifact that match the query words, with line numbers.",
        {"type": "object", "properties": {"artifact_id": {"type": "string"}, "query": {"type": "string"},
                                          "max_hits": {"type": "integer", "minimum": 1, "maximum": 50}},
         "required": ["artifact_id", "query"], "additionalProperties": False},
        _search_artifact),
}
