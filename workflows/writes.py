"""Writes to outside systems: the write policy, human approval, and exactly-once delivery.

Every write goes through :func:`perform_write`:

1. the idempotency key (run id, node id, position of the call) is looked up in
   ``ctx.ledger``; a write already performed is not performed again, its recorded result
   is returned (``replayed``);
2. the policy comes from the spec only (``write_policy``; a node may make it stricter,
   never looser). Nothing a model or a CRM record says can change it;
3. ``deny`` refuses; ``approve`` calls ``langgraph.types.interrupt`` with the payload below
   and resumes with ``{"decision", "arguments", "reason", "decided_by"}``. When fewer people
   than ``required_approvers`` have approved, it interrupts again, showing who approved so far;
4. the connector receives the key, and the result is recorded in the ledger before the
   node returns, so a worker that dies after the write does not repeat it on resume.

Interrupt payload::

    {"kind": "approval", "node_id", "title", "tool", "arguments", "reasoning",
     "required_approvers", "approved_by": [...], "idempotency_key"}
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonschema
from langgraph.types import interrupt

from . import events
from .context import RunContext
from .spec.model import PolicyMode, WorkflowSpec
from .tools.catalog import Tool

_STRICTNESS = {"auto": 0, "approve": 1, "deny": 2}


def idempotency_key(run_id: str, node_id: str, position: str) -> str:
    return f"{run_id}:{node_id}:{position}"


def policy_for(spec: WorkflowSpec, tool: str, override: PolicyMode | None = None) -> PolicyMode:
    mode = spec.write_policy.mode_for(tool)
    if override is not None and _STRICTNESS[override] > _STRICTNESS[mode]:
        return override
    return mode


@dataclass
class WriteOutcome:
    status: Literal["done", "replayed", "rejected", "denied", "invalid", "failed"]
    arguments: dict[str, Any]
    result: Any = None
    reason: str = ""
    approval: dict[str, Any] = field(default_factory=dict)
    retryable: bool = False

    @property
    def performed(self) -> bool:
        return self.status in ("done", "replayed")

    def for_model(self) -> Any:
        """What the model is told about this write."""
        if self.performed:
            return self.result
        messages = {"denied": "Refused by the workflow's write policy; this action is not allowed. "
                              "Do not retry it.",
                    "rejected": "A person rejected this action" + (f": {self.reason}" if self.reason else "."),
                    "invalid": f"The approved arguments are invalid: {self.reason}",
                    "failed": f"The action failed: {self.reason}"}
        return {"error": messages[self.status], "status": self.status, "retryable": self.retryable}


def ask_approval(ctx: RunContext, *, node_id: str, title: str, tool: str | None, arguments: dict[str, Any],
                 reasoning: str, required: int, key: str) -> dict[str, Any]:
    """Interrupt until ``required`` distinct people approved, or one rejected.

    Returns ``{"decision", "arguments", "reason", "decided_by"}`` with every approver.
    """
    approved_by: list[str] = []
    while True:
        payload = {"kind": "approval", "node_id": node_id, "title": title, "tool": tool,
                   "arguments": arguments, "reasoning": events.clip(reasoning), "required_approvers": required,
                   "approved_by": list(approved_by), "idempotency_key": key}
        answered = _answered()
        if answered is None:
            ctx.events.emit(events.APPROVAL_REQUESTED, payload, node_id=node_id)
        value = interrupt(payload)
        decision = value.get("decision") if isinstance(value, Mapping) else None
        edited = dict(value.get("arguments") or arguments) if isinstance(value, Mapping) else arguments
        who = [str(p) for p in (value.get("decided_by") or [])] if isinstance(value, Mapping) else []
        if answered != "earlier":
            ctx.events.emit(events.APPROVAL_DECIDED, {"idempotency_key": key, "decision": decision,
                                                      "decided_by": who, "edited": edited != arguments},
                            node_id=node_id)
        if decision != "approve":
            return {"decision": "reject", "arguments": arguments, "reason": str(value.get("reason", "")
                                                                                 if isinstance(value, Mapping) else ""),
                    "decided_by": who}
        approved_by += [p for p in who if p not in approved_by]
        arguments = edited
        if len(approved_by) >= required:
            return {"decision": "approve", "arguments": arguments, "reason": str(value.get("reason", "")),
                    "decided_by": approved_by}


_INTERRUPTS: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("workflow_interrupts", default=None)


def count_interrupts() -> contextvars.Token[list[int] | None]:
    """Start counting this node execution's interrupts (``as_node`` calls it for every node)."""
    return _INTERRUPTS.set([0, 0])  # interrupts so far, whether a plain resume was taken


def _answered() -> str | None:
    """Whether the interrupt about to be raised already has its answer: ``"now"`` (this
    re-run delivers it), ``"earlier"`` (an earlier re-run did) or None (it will pause).

    A node re-runs from the top after every resume; without this each re-run would report
    its earlier approvals again. It reads LangGraph's per-task scratchpad (pinned version),
    and on any surprise answers None, which only costs a duplicate event.
    """
    counter = _INTERRUPTS.get()
    if counter is None:
        return None
    index, counter[0] = counter[0], counter[0] + 1
    try:
        from langgraph._internal._constants import CONFIG_KEY_SCRATCHPAD
        from langgraph.config import get_config

        scratchpad = get_config()["configurable"][CONFIG_KEY_SCRATCHPAD]
        known = len(scratchpad.resume)
        pending_null = scratchpad.get_null_resume(False) is not None
    except Exception:  # noqa: BLE001 - a missing private detail must never break a run
        return None
    # A plain Command(resume=value) is one "null resume" the first unanswered interrupt takes;
    # LangGraph's peek keeps showing it after that, so remember when it has been taken.
    pending_null = pending_null and not counter[1]
    if index < known - 1 or (index == known - 1 and pending_null):
        return "earlier"
    if index == known - 1:
        return "now"
    if index == known and pending_null:
        counter[1] = 1
        return "now"
    return None


def perform_write(ctx: RunContext, spec: WorkflowSpec, *, node_id: str, tool: Tool, arguments: dict[str, Any],
                  key: str, reasoning: str = "", title: str | None = None, step: int = 0, call_id: str = "",
                  override: PolicyMode | None = None, decision: dict[str, Any] | None = None) -> WriteOutcome:
    """Perform one write under the policy. ``decision`` is an approval already obtained with
    :func:`ask_approval` (the agent asks for all of a turn's approvals before running any call)."""
    mode = policy_for(spec, tool.name, override)

    def report(*, ok: bool, result: Any = None, error: str | None = None, duration_s: float = 0.0,
               approval_status: str | None = None, replayed: bool = False) -> None:
        # One tool.call event per outcome, with every field present whatever happened.
        ctx.events.emit(events.TOOL_CALL, {
            "step": step, "call_id": call_id, "tool": tool.name, "kind": "write", "idempotency_key": key,
            "policy": mode, "arguments": events.clip(arguments, 1000), "ok": ok,
            "result": events.clip(result, 500), "error": error, "duration_s": round(duration_s, 4),
            "approval": approval_status, "replayed": replayed}, node_id=node_id)

    done = ctx.ledger.get(key)
    if done is not None:
        report(ok=True, result=done, replayed=True)
        return WriteOutcome("replayed", arguments, result=done)
    if mode == "deny":
        report(ok=False, error="denied by write policy", approval_status="denied_by_policy")
        return WriteOutcome("denied", arguments)
    approval: dict[str, Any] = {}
    if mode == "approve":
        approval = decision or ask_approval(ctx, node_id=node_id, title=title or f"Allow {tool.name}?", tool=tool.name,
                                arguments=arguments, reasoning=reasoning,
                                required=spec.write_policy.required_approvers, key=key)
        if approval["decision"] != "approve":
            report(ok=False, error="rejected", approval_status="rejected")
            return WriteOutcome("rejected", arguments, reason=approval["reason"], approval=approval)
        arguments = approval["arguments"]
        problem = _invalid(arguments, tool)
        if problem:
            return WriteOutcome("invalid", arguments, reason=problem, approval=approval)
    started = time.monotonic()
    try:
        result = tool.run(arguments, ctx, idempotency_key=key)
    except Exception as exc:  # the outside system refused or failed; the caller decides what that means
        error = f"{type(exc).__name__}: {exc}"
        report(ok=False, error=events.clip(error, 1000), duration_s=time.monotonic() - started,
               approval_status="approved" if approval else None)
        return WriteOutcome("failed", arguments, reason=error, approval=approval,
                            retryable=bool(getattr(exc, "retryable", False)))
    ctx.ledger.record(key, result)
    report(ok=True, result=result, duration_s=time.monotonic() - started,
           approval_status="approved" if approval else None)
    return WriteOutcome("done", arguments, result=result, approval=approval)


def _invalid(arguments: Mapping[str, Any], tool: Tool) -> str | None:
    try:
        jsonschema.validate(dict(arguments), dict(tool.parameters))
    except jsonschema.ValidationError as exc:
        return exc.message
    return None
