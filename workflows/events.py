"""Event kinds a running graph emits through ``ctx.events.emit(kind, payload, node_id=...)``.

Payloads are JSON-serialisable and small: long text is cut to ``TEXT_LIMIT`` characters, a
structure over 6000 characters of JSON becomes ``{"preview", "chars"}``, big results are
referenced by artifact id. A node that is re-run after a lost worker emits its events again
(approvals excepted, see below); consumers that must not double count use the keys given.
``node_id`` is the spec node's id; an agent that is a map body uses ``<map>_i<index>``.

node.started      {"type"}                                       a node began (or re-ran); agent turns
                                                                are type "agent", their tool batches
                                                                "agent.tools"
node.finished     {"type", "duration_s", "output"}               output summary, refs not data
node.failed       {"type", "error", ("retryable")}               the run will fail with this reason;
                                                                NodeError for bad data or refusals,
                                                                else the connector/model error
model.call        {"step", "reasoning", "content", "tool_calls": [{"id", "name", "arguments"}],
                   "finish_reason", "usage": {"prompt_tokens", "completion_tokens", "cached_tokens"},
                   "ttft_s", "duration_s", "backend", "tools_offered", "transcript"}
                   Texts are clipped; for agents ``transcript`` is the artifact id of the
                   segment that holds this turn whole (``workflows.agent.transcript.load``).
tool.call         {"step", "call_id", "tool", "kind", "arguments", "ok", "result", "error",
                   "duration_s", "idempotency_key", "policy", "approval", "replayed"}
                   ``policy`` is auto|approve|deny (None for reads); ``approval`` is None,
                   "approved", "rejected" or "denied_by_policy"; ``replayed`` marks a write found
                   in the ledger and not performed again.
tool.rejected     {"step", "call_id", "tool", "reason"}         undeclared tool, invalid arguments,
                                                                over the call budget, or repeated
approval.requested the interrupt payload (see ``workflows.writes``), once per pause: the re-runs
                   that follow a resume do not report answered approvals again
approval.decided  {"idempotency_key", "decision", "decided_by", "edited"}, once per answer
budget.exhausted  {"budget": "tool_calls"|"tokens"|"seconds"|"cost_usd", "used", "limit"}
context.compacted {"step", "prompt_tokens", "limit", "compacted_messages", "bytes_saved"}
                   (+ "reason": "context_too_long" when the server refused the prompt)
map.progress      {"done", "total"}
artifact.created  {"artifact": ref, "purpose"}
"""

from __future__ import annotations

import json
from typing import Any

NODE_STARTED = "node.started"
NODE_FINISHED = "node.finished"
NODE_FAILED = "node.failed"
MODEL_CALL = "model.call"
TOOL_CALL = "tool.call"
TOOL_REJECTED = "tool.rejected"
APPROVAL_REQUESTED = "approval.requested"
APPROVAL_DECIDED = "approval.decided"
BUDGET_EXHAUSTED = "budget.exhausted"
CONTEXT_COMPACTED = "context.compacted"
MAP_PROGRESS = "map.progress"
ARTIFACT_CREATED = "artifact.created"

KINDS = (NODE_STARTED, NODE_FINISHED, NODE_FAILED, MODEL_CALL, TOOL_CALL, TOOL_REJECTED, APPROVAL_REQUESTED,
         APPROVAL_DECIDED, BUDGET_EXHAUSTED, CONTEXT_COMPACTED, MAP_PROGRESS, ARTIFACT_CREATED)

TEXT_LIMIT = 4000


def clip(value: Any, limit: int = TEXT_LIMIT, budget: int = 6000) -> Any:
    """Shorten strings (recursively) so event payloads stay small; a structure still over
    ``budget`` characters of JSON becomes ``{"preview": <its JSON, cut>, "chars": <full size>}``."""
    clipped = _clip(value, limit)
    if isinstance(clipped, (dict, list)):
        text = json.dumps(clipped, ensure_ascii=False, default=str)
        if len(text) > budget:
            return {"preview": text[:budget] + "…", "chars": len(json.dumps(value, ensure_ascii=False, default=str))}
    return clipped


def _clip(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + f"… [{len(value) - limit} more chars]"
    if isinstance(value, dict):
        return {str(k): _clip(v, limit) for k, v in list(value.items())[:100]}
    if isinstance(value, (list, tuple)):
        items = [_clip(v, limit) for v in value[:50]]
        return items + ([f"… [{len(value) - 50} more items]"] if len(value) > 50 else [])
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return _clip(str(value), limit)
