"""``compute``: deterministic figures from fetched records, so reports never ask the model
to do arithmetic. Totals, per-group rows, and period-over-period changes when
``previous`` is given. Percent changes are ``None`` when the previous value is zero."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..artifacts import keep_small, materialize
from ..context import RunContext
from ..errors import NodeError
from ..expressions import evaluate
from ..spec.configs import ComputeConfig, Metric
from ..spec.model import WorkflowSpec
from .common import scope


def _number(record: Mapping[str, Any], field: str) -> float:
    value = record.get(field)
    if value is None or value == "":
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise NodeError(f"field {field!r} is not a number: {value!r}") from exc


def metric(records: list[Mapping[str, Any]], m: Metric) -> Any:
    if m.op == "count":
        return len(records)
    if m.op == "values":
        return list(dict.fromkeys(r.get(m.field or "") for r in records))
    values = [_number(r, m.field or "") for r in records]
    if not values:
        return None if m.op != "sum" else 0
    result = {"sum": sum, "min": min, "max": max, "avg": lambda v: sum(v) / len(v)}[m.op](values)
    return round(result, 6)


def change(current: Any, previous: Any) -> dict[str, Any] | None:
    if isinstance(current, list):
        return None
    if not isinstance(current, (int, float)) or not isinstance(previous, (int, float)):
        return {"current": current, "previous": previous, "delta": None, "pct": None}
    pct = None if previous == 0 else round((current - previous) / abs(previous) * 100, 2)
    return {"current": current, "previous": previous, "delta": round(current - previous, 6), "pct": pct}


def figures(records: Iterable[Mapping[str, Any]], config: ComputeConfig) -> dict[str, Any]:
    rows = [r for r in records if all(r.get(k) == v for k, v in config.where.items())]
    totals = {m.name: metric(rows, m) for m in config.metrics}
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(g) for g in config.group_by), []).append(r)
    table = [{**dict(zip(config.group_by, key)), **{m.name: metric(members, m) for m in config.metrics}}
             for key, members in sorted(groups.items(), key=lambda kv: tuple(str(k) for k in kv[0]))]
    return {"totals": totals, "table": table if config.group_by else [], "count": len(rows)}


def _records(expression: str, state: Mapping[str, Any], ctx: RunContext, extra: Mapping[str, Any]) -> list[Any]:
    value = materialize(evaluate(expression, scope(state, ctx, **extra)), ctx)
    if isinstance(value, Mapping) and "rows" in value:
        value = value["rows"]
    if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
        raise NodeError(f"{expression!r} must give a list of records")
    return value


def run(spec: WorkflowSpec, node_id: str, config: ComputeConfig, state: Mapping[str, Any],
        ctx: RunContext, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    out = figures(_records(config.source, state, ctx, extra or {}), config)
    if config.previous is not None:
        before = figures(_records(config.previous, state, ctx, extra or {}), config)
        out["previous"] = before
        out["changes"] = {name: change(out["totals"][name], before["totals"][name]) for name in out["totals"]}
        earlier = {tuple(r.get(g) for g in config.group_by): r for r in before["table"]}
        for row in out["table"]:
            prior = earlier.get(tuple(row.get(g) for g in config.group_by), {})
            row["changes"] = {m.name: change(row[m.name], prior.get(m.name, 0)) for m in config.metrics}
    return {"results": {node_id: keep_small(ctx, out, name=f"{node_id}.json", node_id=node_id)}}
