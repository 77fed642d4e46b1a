"""Stacked bar charts as numbers for an SVG template: one bar a day, one colour a workflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

PALETTE = ["#5b8def", "#8b5cf6", "#35a466", "#e0a030", "#d9478d", "#2bb3b3", "#98a2b3", "#b45309"]
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 56, 28, 12


@dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    color: str
    title: str


@dataclass
class Chart:
    bars: list[Bar] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)  # y gridlines with labels
    days: list[dict[str, Any]] = field(default_factory=list)  # x labels
    legend: list[dict[str, str]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = HEIGHT - BOTTOM


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def stacked(rows: list[dict[str, Any]], *, value: str, today: date, days: int = 14, unit: str = "") -> Chart:
    """``rows`` have ``day``, ``workflow__name`` and the ``value`` key (see usage_by_day)."""
    first = today - timedelta(days=days - 1)
    names = sorted({r["workflow__name"] for r in rows})
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    totals: dict[date, float] = {}
    for r in rows:
        totals[r["day"]] = totals.get(r["day"], 0) + float(r[value] or 0)
    top = _nice_max(max(totals.values(), default=0))
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT - 8) / days
    chart = Chart(legend=[{"name": n, "color": colors[n]} for n in names])
    for i in range(5):
        amount = top * i / 4
        chart.ticks.append({"y": HEIGHT - BOTTOM - plot_h * i / 4, "label": f"{amount:,.0f}{unit}"})
    stack: dict[date, float] = {}
    for r in sorted(rows, key=lambda r: (r["day"], r["workflow__name"])):
        if r["day"] < first:
            continue
        index = (r["day"] - first).days
        amount = float(r[value] or 0)
        h = plot_h * amount / top
        below = stack.get(r["day"], 0)
        stack[r["day"]] = below + h
        chart.bars.append(Bar(x=LEFT + index * slot + slot * 0.15, y=HEIGHT - BOTTOM - below - h, w=slot * 0.7, h=h,
                              color=colors[r["workflow__name"]],
                              title=f"{r['day']:%Y-%m-%d} · {r['workflow__name']}: {amount:,.0f}{unit}"))
    for i in range(days):
        if i % 2 == 0 or days <= 10:
            day = first + timedelta(days=i)
            chart.days.append({"x": LEFT + i * slot + slot / 2, "label": f"{day:%m-%d}"})
    return chart
