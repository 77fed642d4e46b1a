"""``fetch``: one connector read with mapped arguments; many records go to an artifact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..artifacts import keep_small, materialize
from ..context import RunContext
from ..expressions import resolve
from ..spec.configs import FetchConfig
from ..spec.model import WorkflowSpec
from .common import scope


def run(spec: WorkflowSpec, node_id: str, config: FetchConfig, state: Mapping[str, Any],
        ctx: RunContext, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    args = materialize(resolve(config.args, scope(state, ctx, **(extra or {}))), ctx)
    connector = ctx.connectors.connector(config.operation.split(".", 1)[0])
    rows: list[Any] = []
    for record in connector.iterate(config.operation, args):
        rows.append(record)
        if len(rows) >= config.limit:
            break
    output = {"rows": keep_small(ctx, rows, name=f"{node_id}.rows.json", node_id=node_id), "count": len(rows),
              "truncated": len(rows) >= config.limit}
    return {"results": {node_id: output}}
