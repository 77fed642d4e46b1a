"""Prefix stability over a 50-step agent conversation built by our client.

The fake server scripts 49 tool calls and a final answer; the bench appends each assistant
turn with `Completion.to_message()` and a CRM-like tool result, exactly as the agent loop does.
For every request after the first it prints the share of its bytes equal to the previous
request's (longest common prefix / length), over:
  wire      the exact request body bytes the server received;
  template  the fake's chat-template stand-in (tools, then messages): what vLLM's prefix cache sees;
and the fake's reported cached_tokens / prompt_tokens. Baseline in the same run: a naive loop
that stamps the time into the system prompt and reorders the tools each call. Target >= 95%.
Usage: .venv/bin/python bench/inference_prefix_stability.py
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference import ChatClient  # noqa: E402
from inference.fake import FakeVLLMServer, render_prompt  # noqa: E402

STEPS = 50
TOOLS = [{"type": "function", "function": {"name": name, "description": f"CRM: {name.replace('_', ' ')}", "parameters": {
    "type": "object", "properties": {"id": {"type": "integer"}, "query": {"type": "string"}}, "required": ["id"]}}}
    for name in ("search_deals", "get_deal", "get_company", "list_activities", "get_invoice")]


def crm_result(step: int) -> str:
    rows = [{"id": step * 100 + i, "name": f"Deal {step}-{i}", "amount": 1000 + 37 * i, "stage": "open",
             "owner": "jane.doe@example.com", "notes": "Renewal discussed; procurement pending."} for i in range(6)]
    return json.dumps({"results": rows, "next_cursor": None})


def script() -> list[dict]:
    replies = [{"reasoning": f"Step {i}: I still need deal {i}; checking {TOOLS[i % 5]['function']['name']}.",
                "tool_calls": [{"name": TOOLS[i % 5]["function"]["name"], "arguments": {"id": i, "query": f"acme {i}"}}]}
               for i in range(STEPS - 1)]
    return replies + [{"reasoning": "I have everything.", "content": "Report: 49 lookups done."}]


def converse(server: FakeVLLMServer, naive: bool) -> None:
    server.reset()
    server.script(script())
    messages = [{"role": "system", "content": "You are Farside's CRM analyst."},
                {"role": "user", "content": "Build the weekly pipeline report for Acme."}]
    with ChatClient(server.url, "kimi-k2-thinking") as client:
        for step in range(STEPS):
            tools = TOOLS
            if naive:  # the two classic cache killers
                messages[0] = {"role": "system", "content": f"You are Farside's CRM analyst. Now: {time.time():.6f}"}
                tools = TOOLS[step % 5:] + TOOLS[: step % 5]
            completion = client.chat(messages, tools)
            messages.append(completion.to_message())
            for call in completion.tool_calls:
                messages.append({"role": "tool", "tool_call_id": call.id, "content": crm_result(step)})


def common_prefix(a, b) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def report(label: str, texts: list) -> None:
    pairs = list(zip(texts, texts[1:]))
    lcps = [common_prefix(p, c) for p, c in pairs]
    values = [n / len(c) for n, (_, c) in zip(lcps, pairs)]
    weighted = sum(lcps) / sum(len(c) for _, c in pairs)
    whole = sum(n == len(p) for n, (p, _) in zip(lcps, pairs)) / len(pairs)
    print(f"  {label:10} share equal to previous request: median {statistics.median(values):6.1%}  "
          f"mean {statistics.mean(values):6.1%}  min {min(values):6.1%}  bytes-weighted {weighted:6.1%}  "
          f"previous request is a whole prefix: {whole:4.0%}")


def main() -> None:
    with FakeVLLMServer() as server:
        for naive in (False, True):
            converse(server, naive)
            name = "naive loop (timestamp in system prompt, tools reordered)" if naive else "ChatClient agent loop"
            print(f"{name}: {len(server.requests)} requests, last body {len(server.raw_requests[-1]) / 1024:.0f} KiB")
            report("wire bytes", server.raw_requests)
            report("template", [render_prompt(body) for body in server.requests])
            counters = server.state.counters
            hits, queries = counters["vllm:prefix_cache_hits_total"], counters["vllm:prefix_cache_queries_total"]
            print(f"  fake prefix cache (16-token blocks): {hits:.0f} of {queries:.0f} prompt tokens cached ({hits / queries:.1%})")


if __name__ == "__main__":
    main()
