"""``deliver``: a report artifact (Markdown, HTML or PDF, charts embedded) and writes
(email, Slack, CRM note or task) governed by the write policy.

Write arguments may read ``report`` (the stored report's reference), ``report_text``
(its Markdown or HTML source), ``attachment`` (the report as an email attachment) and, with
``for_each``, ``item`` and ``index``; an argument whose value is null is left out. Each write's idempotency key is
``<run>:<node>:w<write index>.<item index>``, so a resumed run never sends twice.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from .. import events
from ..artifacts import REF, materialize, store
from ..context import RunContext
from ..errors import NodeError
from ..expressions import evaluate, render, resolve
from ..report import html_document, pdf_document
from ..spec.configs import DeliverConfig
from ..spec.model import WorkflowSpec
from ..tools.catalog import get_tool
from ..writes import idempotency_key, perform_write
from .common import scope

_MEDIA = {"markdown": ("text/markdown", "md"), "html": ("text/html", "html"), "pdf": ("application/pdf", "pdf")}


def _charts(config: DeliverConfig, names: Mapping[str, Any], ctx: RunContext) -> list[tuple[str, bytes]]:
    if not config.charts:
        return []
    found = evaluate(config.charts, names)
    found = found if isinstance(found, list) else [found]
    out = []
    for chart in found:
        png = chart.get("png") if isinstance(chart, Mapping) else None
        if not isinstance(png, Mapping):
            raise NodeError("'charts' must give chart node results")
        png = png[REF] if REF in png else png  # read through results, a binary artifact shows its reference
        out.append((str(chart.get("title") or png["name"]), ctx.artifacts.get(png["id"])))
    return out


def _report_names(report: dict[str, Any] | None, ctx: RunContext) -> dict[str, Any]:
    """``report`` (reference), ``report_text`` (Markdown or HTML source) and ``attachment``
    (an email attachment of the stored report) for write arguments."""
    if report is None:
        return {"report": None, "report_text": None, "attachment": None}
    info = report[REF]
    content = ctx.artifacts.get(info["id"])
    text = content.decode() if info["media_type"].startswith("text/") else None
    return {"report": report, "report_text": text,
            "attachment": {"filename": info["name"], "content_type": info["media_type"],
                           "content_base64": base64.b64encode(content).decode()}}


def run(spec: WorkflowSpec, node_id: str, config: DeliverConfig, state: Mapping[str, Any],
        ctx: RunContext) -> dict[str, Any]:
    names = scope(state, ctx)
    report = None
    if config.format != "none":
        text = render(config.body, names)
        charts = _charts(config, names, ctx)
        media_type, ext = _MEDIA[config.format]
        title = config.name.replace("_", " ").title()
        content = {"markdown": lambda: text.encode(),
                   "html": lambda: html_document(title, text, charts).encode(),
                   "pdf": lambda: pdf_document(title, text, charts)}[config.format]()
        report = store(ctx, name=f"{config.name}.{ext}", content=content, media_type=media_type, node_id=node_id)
        ctx.events.emit(events.ARTIFACT_CREATED, {"artifact": report[REF], "purpose": "report"}, node_id=node_id)
    extras = _report_names(report, ctx)
    sent = []
    for i, write in enumerate(config.writes):
        tool = get_tool(write.tool)
        items = [None]
        if write.for_each:
            items = materialize(evaluate(write.for_each, names), ctx)
            if not isinstance(items, list):
                raise NodeError(f"writes[{i}].for_each must give a list")
        for j, item in enumerate(items):
            args = materialize(resolve(write.args, {**names, **extras, "item": item, "index": j}), ctx)
            # An argument that evaluates to null is left out, so optional links can be templated.
            args = {k: v for k, v in args.items() if v is not None}
            outcome = perform_write(ctx, spec, node_id=node_id, tool=tool, arguments=args,
                                    key=idempotency_key(ctx.run_id, node_id, f"w{i}.{j}"),
                                    title=f"{tool.name} from {node_id}", override=write.policy)
            if outcome.status in ("failed", "invalid"):
                raise NodeError(f"{tool.name} failed: {outcome.reason}")
            sent.append({"tool": tool.name, "status": outcome.status, "result": events.clip(outcome.result, 300),
                         "reason": outcome.reason})
    return {"results": {node_id: {"report": report, "writes": sent}}}
