"""Checkpoint bytes per agent step with large tool results, on PostgreSQL.

Our agent node (history in artifact segments, state holds counters and one segment id)
against a bare LangGraph tool loop that keeps the message list in the state, as the
react-agent template does. Both run the same scripted model turns on the fake vLLM server,
each turn calling a tool that returns about ``--kb`` KB. Prints total checkpoint bytes after
each step count and the bytes added per step; flat per-step bytes mean linear growth.
Also prints what our agent stored in artifacts (that is the data, kept once).

Run: .venv/bin/python bench/workflows_checkpoint.py [--kb 20] [--steps 10,20,40]
"""

from __future__ import annotations

import argparse
import json
import operator
import random
import sys
from pathlib import Path
from typing import Annotated, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langgraph.checkpoint.postgres import PostgresSaver  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402

import workflows  # noqa: E402
from inference.client import ChatClient  # noqa: E402
from inference.errors import ContextTooLongError  # noqa: E402
from inference.fake import FakeVLLMServer  # noqa: E402
from tests.workflows.pg import checkpoint_bytes, scratch_database  # noqa: E402
from workflows.testing import make_context, run_until_pause  # noqa: E402


def turns(steps: int) -> list[dict]:
    return [{"reasoning": f"Step {i}: read the next part of the ledger.",
             "tool_calls": [{"name": "read_artifact", "arguments": {"artifact_id": "BIG", "offset": i,
                                                                      "length": 20000}}]}
            for i in range(steps)] + [{"content": "done"}]


class Loop(TypedDict, total=False):
    messages: Annotated[list, operator.add]


def bare_graph(client: ChatClient, big_text: str, kb: int):
    tools = [{"type": "function", "function": {"name": "read_artifact", "description": "read",
                                               "parameters": {"type": "object"}}}]

    def model(state):
        completion = client.chat(state["messages"], tools)
        return {"messages": [completion.to_message()]}

    def act(state):
        calls = state["messages"][-1].get("tool_calls") or []
        return {"messages": [{"role": "tool", "tool_call_id": c["id"], "content": big_text[: kb * 1000]}
                             for c in calls]}

    g = StateGraph(Loop)
    g.add_node("model", model)
    g.add_node("tools", act)
    g.add_edge(START, "model")
    g.add_conditional_edges("model", lambda s: "tools" if s["messages"][-1].get("tool_calls") else END)
    g.add_edge("tools", "model")
    return g


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", type=int, default=20)
    parser.add_argument("--steps", default="10,20,40,100")
    args = parser.parse_args()
    counts = [int(s) for s in args.steps.split(",")]
    # Varied text: PostgreSQL compresses stored values, and repeated text would hide the growth.
    rng = random.Random(5)
    big_text = " ".join(f"{rng.choice(['INV', 'SO', 'CR'])}-{rng.randint(10000, 99999)} {rng.random() * 1e5:.2f}"
                        for _ in range(args.kb * 100))[: args.kb * 1000]
    spec = workflows.load_spec({"spec_version": 1, "name": "bench", "nodes": [
        {"id": "work", "type": "agent", "config": {"instructions": "Read the ledger.", "task": "Go.",
                                                   "tools": ["read_artifact"], "inline_result_bytes": 4000}}]})
    with scratch_database() as dsn, PostgresSaver.from_conn_string(dsn) as saver, FakeVLLMServer() as server, \
            ChatClient(server.url, "kimi-k2-thinking") as client:
        saver.setup()
        ours = workflows.build_graph(spec).compile(checkpointer=saver)
        bare = bare_graph(client, big_text, args.kb).compile(checkpointer=saver)
        rows = []
        for steps in counts:
            server.script(turns(steps))
            ctx = make_context(model=client, run_id=f"ours-{steps}")
            big = ctx.artifacts.put(name="ledger.txt", content=big_text.encode(), media_type="text/plain")
            server.script([json.loads(json.dumps(t).replace('"BIG"', json.dumps(big.id))) for t in turns(steps)])
            assert run_until_pause(ours, ctx, workflows.initial_state(spec, {})) == []
            stored = sum(r.size for r in ctx.artifacts.refs()) - big.size
            server.script(turns(steps))
            config = {"configurable": {"thread_id": f"bare-{steps}"}, "recursion_limit": 10_000}
            try:
                bare.invoke({"messages": [{"role": "user", "content": "Go."}]}, config)
                bare_bytes: int | None = checkpoint_bytes(saver.conn, f"bare-{steps}")
            except ContextTooLongError:  # the whole history in every prompt outgrows the window
                bare_bytes = None
            rows.append((steps, checkpoint_bytes(saver.conn, f"ours-{steps}"), bare_bytes, stored))
    print(f"tool result per step: {args.kb} KB")
    print(f"{'steps':>5} {'ours bytes':>12} {'per step':>9} {'bare bytes':>12} {'per step':>9} {'ours artifacts':>15}")
    for steps, ours_b, bare_b, stored in rows:
        bare_text = f"{bare_b:>12,} {bare_b / steps:>9,.0f}" if bare_b is not None else f"{'context full':>22}"
        print(f"{steps:>5} {ours_b:>12,} {ours_b / steps:>9,.0f} {bare_text} {stored:>15,}")
    done = [r for r in rows if r[2] is not None]
    (s0, o0, b0, _), (s1, o1, b1, _) = done[0], done[-1]
    print(f"marginal bytes per step {s0}->{s1}: ours {(o1 - o0) / (s1 - s0):,.0f}, bare {(b1 - b0) / (s1 - s0):,.0f} "
          f"(ratio bare/ours {(b1 - b0) / max(o1 - o0, 1):.1f})")
    (s0, o0, _, _), (s1, o1, _, _) = rows[0], rows[-1]
    print(f"ours over all step counts {s0}->{s1}: {(o1 - o0) / (s1 - s0):,.0f} bytes per step")


if __name__ == "__main__":
    main()
