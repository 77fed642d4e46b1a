"""``transform``: a sandboxed Jinja2 template or a JSON mapping; no model, no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..artifacts import keep_small, materialize, store
from ..context import RunContext
from ..errors import NodeError
from ..expressions import render, resolve
from ..spec.configs import TransformConfig
from ..spec.model import WorkflowSpec
from .common import scope


def run(spec: WorkflowSpec, node_id: str, config: TransformConfig, state: Mapping[str, Any],
        ctx: RunContext, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    names = scope(state, ctx, **(extra or {}))
    if config.template is not None:
        value: Any = render(config.template, names)
        if config.parse_json:
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise NodeError(f"the template did not render valid JSON: {exc}") from exc
    else:
        value = materialize(resolve(config.mapping, names), ctx)
    if config.artifact_name:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        output = store(ctx, name=config.artifact_name, content=text.encode(), media_type=config.media_type,
                       node_id=node_id)
    else:
        output = keep_small(ctx, value, name=f"{node_id}.json", node_id=node_id)
    return {"results": {node_id: output}}
