"""``deliver``: a report artifact (Markdown, HTML or PDF, charts embedded) and writes
(email, Slack, CRM note or task) governed by the write policy.

Write arguments may read ``report_text`` (the report's Markdown or HTML source),
``attachment`` (the report as an email attachment: approvers see its file name, the
connector gets its bytes) and, with ``for_each``, ``item`` and ``index``. A text artifact
passed by reference (``refs.report_html.report``) is shown to approvers as that reference
and reaches the connector as its text. An argument whose
value is null is left out. All approvals are asked before the report is stored or anything
is sent, so resuming after them repeats nothing. Each write's idempotency key is
``<run>:<node>:w<write index>.<item index>``, so a resumed run never sends twice.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import events
from ..artifacts import REF, is_ref, materialize, plain, store
from ..context import RunContext
from ..errors import NodeError
from ..expressions import evaluate, render, resolve
from ..report import html_document, pdf_document
from ..spec.configs import DeliverConfig
from ..spec.model import PolicyMode, WorkflowSpec
from ..tools.catalog import Tool, get_tool
from ..writes import ask_approval, idempotency_key, perform_write, policy_for
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


ATTACHMENT = "$attachment"


@dataclass
class _Planned:
    tool: Tool
    key: str
    arguments: dict[str, Any]
    override: PolicyMode | None
    decision: dict[str, Any] | None = None


def _render(config: DeliverConfig, names: Mapping[str, Any], ctx: RunContext) -> tuple[bytes, str, str] | None:
    if config.format == "none":
        return None
    text = render(config.body, names)
    charts = _charts(config, names, ctx)
    media_type, ext = _MEDIA[config.format]
    title = config.name.replace("_", " ").title()
    content = {"markdown": lambda: text.encode(),
               "html": lambda: html_document(title, text, charts).encode(),
               "pdf": lambda: pdf_document(title, text, charts)}[config.format]()
    return content, media_type, f"{config.name}.{ext}"


def _plan(node_id: str, config: DeliverConfig, names: Mapping[str, Any],
          rendered: tuple[bytes, str, str] | None, ctx: RunContext) -> list[_Planned]:
    extras = {"report_text": rendered[0].decode() if rendered and rendered[1].startswith("text/") else None,
              "attachment": {ATTACHMENT: rendered[2]} if rendered else None}
    plan = []
    for i, write in enumerate(config.writes):
        tool = get_tool(write.tool)
        items: Any = [None]
        if write.for_each:
            items = materialize(evaluate(write.for_each, names), ctx)
            if not isinstance(items, list):
                raise NodeError(f"writes[{i}].for_each must give a list")
        for j, item in enumerate(items):
            args = plain(resolve(write.args, {**names, **extras, "item": item, "index": j}), ctx)
            # An argument that evaluates to null is left out, so optional links can be templated.
            args = {k: v for k, v in args.items() if v is not None}
            plan.append(_Planned(tool, idempotency_key(ctx.run_id, node_id, f"w{i}.{j}"), args, write.policy))
    return plan


def _expand(value: Any, rendered: tuple[bytes, str, str] | None, ctx: RunContext) -> Any:
    """What approvers saw as names becomes content for the connector: the report's bytes
    where ``attachment`` stood, a text artifact's text where its reference (``refs.x``) stood."""
    if isinstance(value, dict):
        if set(value) == {ATTACHMENT} and rendered is not None:
            return {"filename": rendered[2], "content_type": rendered[1],
                    "content_base64": base64.b64encode(rendered[0]).decode()}
        if is_ref(value) and str(value[REF].get("media_type", "")).startswith("text/"):
            return ctx.artifacts.get(value[REF]["id"]).decode("utf-8", errors="replace")
        return {k: _expand(v, rendered, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, rendered, ctx) for v in value]
    return value


def run(spec: WorkflowSpec, node_id: str, config: DeliverConfig, state: Mapping[str, Any],
        ctx: RunContext) -> dict[str, Any]:
    names = scope(state, ctx)
    rendered = _render(config, names, ctx)
    plan = _plan(node_id, config, names, rendered, ctx)
    # Every approval before anything is stored or sent: resuming re-runs this node from the
    # top, and nothing before the last pause should happen twice.
    for p in plan:
        if policy_for(spec, p.tool.name, p.override) == "approve" and ctx.ledger.get(p.key) is None:
            p.decision = ask_approval(ctx, node_id=node_id, title=f"{p.tool.name} from {node_id}", tool=p.tool.name,
                                      arguments=p.arguments, reasoning="",
                                      required=spec.write_policy.required_approvers, key=p.key)
    report = None
    if rendered is not None:
        content, media_type, name = rendered
        report = store(ctx, name=name, content=content, media_type=media_type, node_id=node_id)
        ctx.events.emit(events.ARTIFACT_CREATED, {"artifact": report[REF], "purpose": "report"}, node_id=node_id)
    sent = []
    for p in plan:
        decision = None
        if p.decision is not None:
            decision = {**p.decision, "arguments": _expand(p.decision["arguments"], rendered, ctx)}
        outcome = perform_write(ctx, spec, node_id=node_id, tool=p.tool, arguments=_expand(p.arguments, rendered, ctx),
                                key=p.key, title=f"{p.tool.name} from {node_id}", override=p.override,
                                decision=decision)
        if outcome.status in ("failed", "invalid"):
            raise NodeError(f"{p.tool.name} failed: {outcome.reason}")
        sent.append({"tool": p.tool.name, "status": outcome.status, "result": events.clip(outcome.result, 300),
                     "reason": outcome.reason})
    return {"results": {node_id: {"report": report, "writes": sent}}}
