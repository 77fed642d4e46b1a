"""A workflow's graph laid out for an SVG picture, top to bottom.

Layers come from the longest path from the entry node (edges that point back up, the
loops, are drawn on the side); inside a layer nodes are ordered by the mean position of
their parents, which keeps simple fan-outs and joins free of crossings. The template
draws the picture; this module only computes numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NODE_W, NODE_H = 176, 46
GAP_X, GAP_Y = 28, 40
PAD = 16


@dataclass
class PlacedNode:
    id: str
    type: str
    title: str
    x: float
    y: float
    state: str = ""  # running / finished / failed, for a run's picture
    w: int = NODE_W
    h: int = NODE_H

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@dataclass
class PlacedEdge:
    x1: float
    y1: float
    x2: float
    y2: float
    c1x: float
    c1y: float
    c2x: float
    c2y: float
    label: str = ""
    back: bool = False

    @property
    def label_x(self) -> float:
        return (self.x1 + self.x2 + self.c1x + self.c2x) / 4

    @property
    def label_y(self) -> float:
        return (self.y1 + self.y2 + self.c1y + self.c2y) / 4


@dataclass
class Layout:
    nodes: list[PlacedNode] = field(default_factory=list)
    edges: list[PlacedEdge] = field(default_factory=list)
    width: float = 0
    height: float = 0


def _edges(spec: dict[str, Any], ids: set[str]) -> list[tuple[str, str, str]]:
    out = []
    for edge in spec.get("edges") or []:
        if isinstance(edge, dict):
            source, target = edge.get("from"), edge.get("to")
            if source in ids and target in ids:
                out.append((source, target, str(edge.get("condition") or "")))
    return out


def _layers(order: list[str], edges: list[tuple[str, str, str]], entry: str) -> tuple[dict[str, int], set]:
    children: dict[str, list[str]] = {n: [] for n in order}
    for s, t, _ in edges:
        children[s].append(t)
    # Depth-first from the entry (then from any node not reached) to find back edges.
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}

    def visit(start: str) -> None:
        stack = [(start, iter(children[start]))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(children[nxt])))

    for root in [entry, *order]:
        if root not in state:
            visit(root)
    layer = {n: 0 for n in order}
    forward = [(s, t) for s, t, _ in edges if (s, t) not in back]
    for _ in range(len(order)):  # longest path on a DAG; n rounds always suffice
        changed = False
        for s, t in forward:
            if layer[t] < layer[s] + 1:
                layer[t] = layer[s] + 1
                changed = True
        if not changed:
            break
    return layer, back


def layout(spec: dict[str, Any], states: dict[str, str] | None = None) -> Layout:
    """Place the nodes and edges of spec data (valid or not: bad entries are skipped)."""
    raw = [n for n in spec.get("nodes") or [] if isinstance(n, dict) and isinstance(n.get("id"), str)]
    order = list(dict.fromkeys(n["id"] for n in raw))
    if not order:
        return Layout(width=2 * PAD, height=2 * PAD)
    info = {n["id"]: n for n in raw}
    edges = _edges(spec, set(order))
    entry = spec.get("start") if spec.get("start") in info else order[0]
    layer, back = _layers(order, edges, entry)

    rows: dict[int, list[str]] = {}
    for node_id in order:
        rows.setdefault(layer[node_id], []).append(node_id)
    position: dict[str, float] = {}
    parents: dict[str, list[str]] = {n: [] for n in order}
    for s, t, _ in edges:
        if (s, t) not in back:
            parents[t].append(s)
    for depth in sorted(rows):
        row = rows[depth]
        if depth:
            row.sort(key=lambda n: (sum(position[p] for p in parents[n]) / len(parents[n])) if parents[n] else 0)
        for i, node_id in enumerate(row):
            position[node_id] = i

    widest = max(len(r) for r in rows.values())
    width = widest * NODE_W + (widest - 1) * GAP_X + 2 * PAD + (60 if back else 0)
    states = states or {}
    placed: dict[str, PlacedNode] = {}
    for depth, row in rows.items():
        row_w = len(row) * NODE_W + (len(row) - 1) * GAP_X
        left = (widest * NODE_W + (widest - 1) * GAP_X - row_w) / 2 + PAD
        for i, node_id in enumerate(row):
            node = info[node_id]
            placed[node_id] = PlacedNode(id=node_id, type=str(node.get("type", "")),
                                         title=str(node.get("title") or node_id),
                                         x=left + i * (NODE_W + GAP_X), y=PAD + depth * (NODE_H + GAP_Y),
                                         state=states.get(node_id, ""))
    result = Layout(nodes=[placed[n] for n in order], width=width,
                    height=PAD * 2 + (max(rows) + 1) * NODE_H + max(rows) * GAP_Y)
    for s, t, condition in edges:
        a, b = placed[s], placed[t]
        if (s, t) in back or layer[t] <= layer[s]:
            # A loop: leave from the right side and come back in on the right side.
            side = max(a.x + a.w, b.x + b.w) + 40
            result.edges.append(PlacedEdge(a.x + a.w, a.y + a.h / 2, b.x + b.w, b.y + b.h / 2,
                                           side, a.y + a.h / 2, side, b.y + b.h / 2, condition, back=True))
        else:
            x1, y1, x2, y2 = a.cx, a.y + a.h, b.cx, b.y
            mid = (y1 + y2) / 2
            result.edges.append(PlacedEdge(x1, y1, x2, y2, x1, mid, x2, mid, condition))
    return result
