"""The tools node of the agent loop: answer every pending tool call with a tool message.

Order of work, chosen so a re-run after an interrupt or a lost worker repeats nothing
that matters:

1. check each call: declared tool, readable and schema-valid arguments (the message says
   what was wrong), within the tool-call budget, not the same call again and again;
2. ask for every approval the turn needs (each is an ``interrupt``) before running any
   call, so resuming does not re-run reads done before the pause;
3. run reads in parallel (``max_parallel_tools`` at a time) and writes one by one in the
   model's order through :func:`workflows.writes.perform_write` (policy, ledger, keys).

Results over ``inline_result_bytes`` are stored as artifacts; the model gets a preview
and the artifact id to read or search. Events are emitted here, in call order.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from inference.tools import validate_tool_call
from inference.types import ToolCall

from .. import events
from ..context import RunContext
from ..spec.configs import AgentConfig
from ..spec.model import WorkflowSpec
from ..tools.catalog import Tool, function_name, get_tool
from ..writes import WriteOutcome, ask_approval, idempotency_key, perform_write, policy_for
from . import prompts, transcript
from .state import RECENT, AgentState, of
from .turn import budgets, offered_tools

REPEAT_LIMIT = 3  # identical calls allowed before the next one is refused


@dataclass
class Planned:
    call: ToolCall
    tool: Tool | None
    key: str
    refusal: str | None = None
    decision: dict[str, Any] | None = None
    content: str = ""
    ok: bool = False
    seconds: float = 0.0
    result: Any = None


def signature(call: ToolCall) -> str:
    canonical = json.dumps(call.arguments, sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(f"{call.name}\n{canonical}".encode()).hexdigest()[:16]


def run(spec: WorkflowSpec, node_id: str, config: AgentConfig, state: Mapping[str, Any],
        ctx: RunContext) -> dict[str, Any]:
    a = of(dict(state), node_id)
    started = time.monotonic()
    messages = transcript.load(ctx, a["head"])
    turn = messages[-1]  # the assistant turn whose calls are waiting
    reasoning = events.clip(turn.get("reasoning") or "", 2000)
    plan = _check(spec, node_id, config, a, turn.get("tool_calls") or [], ctx)
    for p in plan:  # every approval before any call runs
        if p.refusal is None and p.tool is not None and p.tool.kind == "write" \
                and policy_for(spec, p.tool.name) == "approve" and ctx.ledger.get(p.key) is None:
            p.decision = ask_approval(ctx, node_id=node_id, title=f"Allow {p.tool.name}?", tool=p.tool.name,
                                      arguments=p.call.arguments, reasoning=reasoning,
                                      required=spec.write_policy.required_approvers, key=p.key)
    reads = [p for p in plan if p.refusal is None and p.tool is not None and p.tool.kind == "read"]
    with ThreadPoolExecutor(max_workers=config.max_parallel_tools) as pool:
        for p, (ok, result, seconds) in zip(reads, pool.map(lambda p: _run_read(p, ctx), reads)):
            p.ok, p.result, p.seconds = ok, result, seconds
    tool_messages = []
    for p in plan:
        if p.refusal is not None:
            ctx.events.emit(events.TOOL_REJECTED, {"step": a["step"], "call_id": p.call.id, "tool": p.call.name,
                                                   "reason": p.refusal}, node_id=node_id)
            p.content = p.refusal
        elif p.tool is not None and p.tool.kind == "write":
            _run_write(spec, node_id, p, a, reasoning, ctx)
        else:
            _emit_read(node_id, p, a, ctx)
        if p.refusal is None:
            p.content = _content(ctx, node_id, config, p)
        tool_messages.append({"role": "tool", "tool_call_id": p.call.id, "name": p.call.name, "content": p.content})
    a["calls"] += len(plan)
    a["recent"] = (a["recent"] + [signature(p.call) for p in plan if p.refusal is None])[-RECENT:]
    a["head"] = transcript.write(ctx, node_id=node_id, head=a["head"], messages=messages, append=tool_messages,
                                 step=a["step"])
    a["count"] = len(messages) + len(tool_messages)
    a["pending"] = 0
    a["elapsed_s"] += time.monotonic() - started
    return {"agents": {node_id: dict(a)}}


def _check(spec: WorkflowSpec, node_id: str, config: AgentConfig, a: AgentState, calls: list[dict[str, Any]],
           ctx: RunContext) -> list[Planned]:
    offered = offered_tools(config)
    by_function = {get_tool(name).function_name: get_tool(name) for name in config.tools}
    budget_left = budgets(spec, config).max_tool_calls - a["calls"]
    seen = list(a["recent"])  # calls accepted earlier in this same turn are added: they count too
    plan = []
    for j, wire in enumerate(calls):
        # Models sometimes write the dotted name from a tool's description; both mean the same tool.
        call = ToolCall.from_raw(wire["id"], function_name(wire["function"]["name"]), wire["function"]["arguments"])
        tool = by_function.get(call.name)
        key = idempotency_key(ctx.run_id, node_id, f"s{a['step']}.c{j}")
        problem = validate_tool_call(call, offered)
        if problem is None and j >= budget_left:
            problem = prompts.CALL_BUDGET
        sig = signature(call)
        if problem is None and seen.count(sig) >= REPEAT_LIMIT:
            problem = prompts.REPEATED.format(tool=call.name, count=seen.count(sig))
        if problem is None:
            seen.append(sig)
        plan.append(Planned(call, tool, key, refusal=problem))
    return plan


def _run_read(p: Planned, ctx: RunContext) -> tuple[bool, Any, float]:
    started = time.monotonic()
    try:
        return True, p.tool.run(p.call.arguments, ctx), time.monotonic() - started  # type: ignore[union-attr]
    except Exception as exc:  # any failure of a tool is the model's to handle, as a tool result
        return False, {"error": f"{type(exc).__name__}: {exc}",
                       "retryable": bool(getattr(exc, "retryable", False))}, time.monotonic() - started
    finally:
        if ctx.release_thread is not None:
            ctx.release_thread()


def _emit_read(node_id: str, p: Planned, a: AgentState, ctx: RunContext) -> None:
    ctx.events.emit(events.TOOL_CALL, {
        "step": a["step"], "call_id": p.call.id, "tool": p.tool.name if p.tool else p.call.name, "kind": "read",
        "arguments": events.clip(p.call.arguments, 1000), "ok": p.ok,
        "result": events.clip(p.result, 500) if p.ok else None,
        "error": None if p.ok else p.result.get("error"), "duration_s": round(p.seconds, 4),
        "idempotency_key": None, "policy": None, "approval": None, "replayed": False}, node_id=node_id)


def _run_write(spec: WorkflowSpec, node_id: str, p: Planned, a: AgentState, reasoning: str,
               ctx: RunContext) -> None:
    started = time.monotonic()
    outcome: WriteOutcome = perform_write(ctx, spec, node_id=node_id, tool=p.tool, arguments=p.call.arguments,
                                          key=p.key, reasoning=reasoning, step=a["step"], call_id=p.call.id,
                                          decision=p.decision)  # type: ignore[arg-type]
    p.ok, p.result, p.seconds = outcome.performed, outcome.for_model(), time.monotonic() - started


def _content(ctx: RunContext, node_id: str, config: AgentConfig, p: Planned) -> str:
    text = p.result if isinstance(p.result, str) else json.dumps(p.result, ensure_ascii=False, default=str)
    if len(text.encode()) <= config.inline_result_bytes:
        return text
    media_type = "text/plain" if isinstance(p.result, str) else "application/json"
    ref = ctx.artifacts.put(name=f"{node_id}.{p.call.name}.{p.key.rsplit(':', 1)[-1]}.txt", content=text.encode(),
                            media_type=media_type, node_id=node_id)
    preview = text[: min(1500, config.inline_result_bytes // 2)]
    return (f"{preview}\n…[result truncated here; {len(text)} chars in total. "
            f"[full result: artifact {ref.id}, {ref.size} bytes] — use read_artifact or search_artifact with "
            f"this id for the rest]")
