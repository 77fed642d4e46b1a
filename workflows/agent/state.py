"""The agent loop's bookkeeping, stored per agent node in ``state["agents"][node_id]``.

Small and bounded: counters, the newest transcript segment id and the signatures of recent
calls. The conversation itself, including the calls waiting to run, lives in the transcript.
"""

from __future__ import annotations

from typing import Any, TypedDict


class AgentState(TypedDict):
    head: str | None  # newest transcript segment (artifact id)
    count: int  # messages in the transcript
    step: int  # model turns made
    calls: int  # tool calls answered (run, refused or rejected)
    tokens: int  # prompt + completion tokens over all turns
    cost_usd: float
    elapsed_s: float  # active time: model calls and tool execution, not waiting for people
    last_prompt_tokens: int
    pending: int  # tool calls of the newest turn not yet answered (they are in the transcript)
    recent: list[str]  # signatures of the last calls, for repeated-call detection
    finishing: str | None  # the budget that ran out; the next turn offers no tools
    restating: bool  # the answer failed output_schema; the next turn offers no tools, asks for the schema
    retries: int  # consecutive turns that produced nothing usable
    compactions: int
    status: str  # "running" | "done"


RECENT = 40


def fresh() -> AgentState:
    return AgentState(head=None, count=0, step=0, calls=0, tokens=0, cost_usd=0.0, elapsed_s=0.0,
                      last_prompt_tokens=0, pending=0, recent=[], finishing=None, restating=False,
                      retries=0, compactions=0, status="running")


def of(state: dict[str, Any], node_id: str) -> AgentState:
    found = (state.get("agents") or {}).get(node_id)
    # Over fresh(): a checkpoint written before a field existed still reads complete.
    return AgentState(**{**fresh(), **found}) if found else fresh()  # type: ignore[typeddict-item]
