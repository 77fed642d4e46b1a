"""``chart``: a bar, line or pie chart of a table, stored as PNG and SVG artifacts."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ..artifacts import materialize, store
from ..context import RunContext
from ..errors import NodeError
from ..expressions import evaluate
from ..spec.configs import ChartConfig
from ..spec.model import WorkflowSpec
from .common import scope


def draw(rows: list[Mapping[str, Any]], config: ChartConfig) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import StrMethodFormatter

    labels = [str(r.get(config.x, "")) for r in rows]
    fig = Figure(figsize=(7, 3.6), dpi=110)
    ax = fig.add_subplot()
    if config.kind == "pie":
        ax.pie([float(r.get(config.y[0]) or 0) for r in rows], labels=labels, autopct="%1.0f%%")
    else:
        width = 0.8 / len(config.y)
        for i, series in enumerate(config.y):
            values = [float(r.get(series) or 0) for r in rows]
            if config.kind == "bar":
                ax.bar([p + i * width for p in range(len(rows))], values, width=width, label=series)
            else:
                ax.plot(range(len(rows)), values, marker="o", label=series)
        # Rotate labels once they would collide (about 11 characters fit per bar at this width).
        crowded = len(rows) * max(len(label) for label in labels) > 66
        ax.set_xticks([p + width * (len(config.y) - 1) / 2 for p in range(len(rows))] if config.kind == "bar"
                      else list(range(len(rows))), labels, rotation=30 if crowded else 0,
                      ha="right" if crowded else "center")
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        if len(config.y) > 1:
            ax.legend()
        ax.grid(axis="y", alpha=0.3)
    if config.title:
        ax.set_title(config.title)
    fig.tight_layout()
    out = {}
    for fmt in ("png", "svg"):
        buffer = io.BytesIO()
        # A fixed date keeps the SVG byte-identical across re-runs of the same data.
        fig.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else {"Software": None})
        out[fmt] = buffer.getvalue()
    return out


def run(spec: WorkflowSpec, node_id: str, config: ChartConfig, state: Mapping[str, Any],
        ctx: RunContext) -> dict[str, Any]:
    rows = materialize(evaluate(config.source, scope(state, ctx)), ctx)
    if isinstance(rows, Mapping) and "table" in rows:
        rows = rows["table"]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, Mapping) for r in rows):
        raise NodeError(f"{config.source!r} must give a non-empty list of records to chart")
    images = draw(rows, config)
    output = {"title": config.title,
              "png": store(ctx, name=f"{node_id}.png", content=images["png"], media_type="image/png",
                           node_id=node_id),
              "svg": store(ctx, name=f"{node_id}.svg", content=images["svg"], media_type="image/svg+xml",
                           node_id=node_id)}
    return {"results": {node_id: output}}
