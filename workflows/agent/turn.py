"""One model turn of the agent loop (the node named by the agent's id).

Checks the budgets (when one is spent, the turn asks for a final answer without tools),
compacts the context when it nears the window, calls the model, and records what it said:
tool calls wait in the transcript for the tools node; a call cut off by ``length`` is never run
and the model is told; an answer without calls ends the loop (validated against
``output_schema`` when there is one).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jsonschema
from inference.budget import estimate_tokens
from inference.errors import ContextTooLongError

from .. import events, modelcall
from ..artifacts import keep_small
from ..context import RunContext
from ..errors import NodeError
from ..expressions import render
from ..nodes.common import scope
from ..nodes.llm import parse_json
from ..spec.configs import AgentConfig
from ..spec.model import Budgets, WorkflowSpec
from ..tools.catalog import get_tool
from . import compaction, prompts, transcript
from .state import AgentState, of

MAX_RETRIES = 3


def budgets(spec: WorkflowSpec, config: AgentConfig) -> Budgets:
    return config.budgets or spec.budgets


def offered_tools(config: AgentConfig) -> list[dict[str, Any]]:
    return [get_tool(name).openai() for name in config.tools]


def spent(a: AgentState, limits: Budgets) -> tuple[str, float, float] | None:
    checks = [("tool_calls", a["calls"], limits.max_tool_calls), ("tokens", a["tokens"], limits.max_tokens),
              ("seconds", a["elapsed_s"], limits.max_seconds)]
    if limits.max_cost_usd is not None:
        checks.append(("cost_usd", a["cost_usd"], limits.max_cost_usd))
    return next(((name, round(used, 4), limit) for name, used, limit in checks if used >= limit), None)


def run(spec: WorkflowSpec, node_id: str, config: AgentConfig, state: Mapping[str, Any],
        ctx: RunContext) -> dict[str, Any]:
    a = of(dict(state), node_id)
    started = time.monotonic()
    messages = transcript.load(ctx, a["head"])
    new: list[dict[str, Any]] = []
    if a["head"] is None:
        names = scope(state, ctx, **(state.get("locals") or {}))
        new = [{"role": "system", "content": prompts.system(config.instructions, config.output_schema)},
               {"role": "user", "content": render(config.task, names)}]
        if config.context is not None:
            new += prompts.context_exchange(render(config.context, names))
    over = spent(a, budgets(spec, config))
    if over is not None and a["finishing"] is None:
        a["finishing"] = over[0]
        ctx.events.emit(events.BUDGET_EXHAUSTED, {"budget": over[0], "used": over[1], "limit": over[2]},
                        node_id=node_id)
        new.append({"role": "user", "content": prompts.FINAL_ANSWER.format(budget=over[0].replace("_", " "),
                                                                            used=over[1], limit=over[2])})
    tools = None if a["finishing"] or a["restating"] else offered_tools(config)
    replace = _maybe_compact(spec, config, ctx, node_id, a, messages, new, tools)
    completion = _call_model(spec, config, ctx, node_id, a, messages, new, replace, tools)
    _account(spec, a, completion)
    reply = completion.to_message()
    if tools is None:
        reply.pop("tool_calls", None)  # offered none, so none run; a call without a result breaks the history
    new.append(reply)
    output = _next(config, a, completion, tools, new)
    a["head"] = transcript.write(ctx, node_id=node_id, head=a["head"], messages=messages, append=new,
                                 replace=replace, step=a["step"])
    modelcall.emit_call(ctx, node_id, completion, tools, step=a["step"], transcript=a["head"])
    a["count"] = len(messages) + len(new)
    a["elapsed_s"] += time.monotonic() - started
    update: dict[str, Any] = {"agents": {node_id: dict(a)}}
    if a["status"] == "done":
        result = {"answer": output, "steps": a["step"], "tool_calls": a["calls"], "tokens": a["tokens"],
                  "stopped_by": a["finishing"], "transcript": a["head"]}
        update["results"] = {node_id: keep_small(ctx, result, name=f"{node_id}.answer.json", node_id=node_id)}
    return update


def _call_model(spec: WorkflowSpec, config: AgentConfig, ctx: RunContext, node_id: str, a: AgentState,
                messages: list[dict[str, Any]], new: list[dict[str, Any]], replace: dict[int, dict[str, Any]],
                tools: list[dict[str, Any]] | None) -> Any:
    view = [replace.get(i, m) for i, m in enumerate(messages)] + new
    params = modelcall.params(spec.model)
    if tools is None and config.output_schema is not None:
        # A turn without tools can only answer: servers with structured outputs (vLLM, the local
        # model) then hold the answer to the schema. Never with tools, whose calls it would forbid.
        params["response_format"] = {"type": "json_schema",
                                     "json_schema": {"name": f"{node_id}_answer", "schema": config.output_schema}}
    try:
        return modelcall.chat(ctx, node_id, view, tools, params, step=a["step"] + 1, emit=False)
    except ContextTooLongError:
        pass
    # The server counts exactly and our estimate was low: compact hard and try once more.
    current = [replace.get(i, m) for i, m in enumerate(messages)]
    harder = compaction.compact(ctx, node_id, current, save_tokens=estimate_tokens(view, tools) // 2)
    if not harder:
        raise NodeError("the conversation no longer fits the model's context window, even compacted")
    replace.update(harder)
    a["compactions"] += 1
    ctx.events.emit(events.CONTEXT_COMPACTED, {
        "step": a["step"], "prompt_tokens": estimate_tokens(view, tools), "limit": None,
        "compacted_messages": len(harder), "bytes_saved": compaction.saved_bytes(current, harder),
        "reason": "context_too_long"}, node_id=node_id)
    view = [replace.get(i, m) for i, m in enumerate(messages)] + new
    return modelcall.chat(ctx, node_id, view, tools, params, step=a["step"] + 1, emit=False)


def _account(spec: WorkflowSpec, a: AgentState, completion: Any) -> None:
    a["step"] += 1
    usage = completion.usage
    a["tokens"] += usage.prompt_tokens + usage.completion_tokens
    a["cost_usd"] += (usage.prompt_tokens * spec.model.price_per_million_input
                      + usage.completion_tokens * spec.model.price_per_million_output) / 1e6
    a["last_prompt_tokens"] = usage.prompt_tokens


def _next(config: AgentConfig, a: AgentState, completion: Any, tools: list[dict[str, Any]] | None,
          new: list[dict[str, Any]]) -> Any:
    """Decide what the reply means: calls to run, a retry (with a note to the model), or the answer."""
    if completion.tool_calls and tools is not None:
        a["pending"] = len(completion.tool_calls)
        a["retries"] = 0
        return None
    if completion.truncated:
        # A call cut off by the output limit is never executed; tell the model, let it try again.
        new.append({"role": "user", "content": prompts.TRUNCATED})
        return _retry_or_fail(a, "the model's tool calls were cut off by max_tokens repeatedly")
    if completion.finish_reason == "length":
        new.append({"role": "user", "content": prompts.ANSWER_TRUNCATED})
        return _retry_or_fail(a, "the model's answers were cut off by max_tokens repeatedly")
    if not (completion.content or "").strip():
        if a["finishing"] and a["retries"] >= MAX_RETRIES:
            a["status"], a["pending"] = "done", 0
            return f"The agent stopped at its {a['finishing'].replace('_', ' ')} budget without a final answer."
        new.append({"role": "user", "content": prompts.EMPTY})
        return _retry_or_fail(a, "the model returned empty replies repeatedly")
    return _final(config, completion.content, a, new)


def _retry_or_fail(a: AgentState, reason: str) -> None:
    a["pending"] = 0
    a["retries"] += 1
    if a["retries"] > MAX_RETRIES:
        raise NodeError(reason)


def _final(config: AgentConfig, content: str, a: AgentState, new: list[dict[str, Any]]) -> Any:
    a["pending"] = 0
    if config.output_schema is None:
        a["status"] = "done"
        return content
    try:
        value = parse_json(content)
        jsonschema.validate(value, config.output_schema)
    except (ValueError, jsonschema.ValidationError) as exc:
        problem = exc.message if isinstance(exc, jsonschema.ValidationError) else f"it is not JSON ({exc})"
        new.append({"role": "user", "content": prompts.OUTPUT_INVALID.format(problem=problem)})
        _retry_or_fail(a, f"the final answer did not match the output schema: {problem}")
        a["restating"] = True  # it meant to finish: ask for the same answer in the schema's shape
        return None
    a["status"] = "done"
    return value


def _maybe_compact(spec: WorkflowSpec, config: AgentConfig, ctx: RunContext, node_id: str, a: AgentState,
                   messages: list[dict[str, Any]], new: list[dict[str, Any]],
                   tools: list[dict[str, Any]] | None) -> dict[int, dict[str, Any]]:
    limit = spec.model.context_window - spec.model.max_tokens
    used = max(estimate_tokens(messages + new, tools), a["last_prompt_tokens"])
    if used < config.compact_at * limit:
        return {}
    replace = compaction.compact(ctx, node_id, messages, save_tokens=int(used - compaction.TARGET * limit))
    if replace:
        a["compactions"] += 1
        ctx.events.emit(events.CONTEXT_COMPACTED, {
            "step": a["step"], "prompt_tokens": used, "limit": limit, "compacted_messages": len(replace),
            "bytes_saved": compaction.saved_bytes(messages, replace)}, node_id=node_id)
    return replace
