"""A 3-hour meeting (about 30k words of WebVTT) through the meeting_summary template.

The transcript is normalised, cut into parts, noted part by part (map, bounded
parallelism), then summarised by the agent from the notes. Prints the transcript's size
in words, characters and estimated tokens, and the prompt tokens the fake vLLM server
counted for every model call: the largest single prompt (what must fit the context window)
and the total (what the run costs). Model replies are scripted; the point is what we send.

Run: .venv/bin/python bench/workflows_transcript.py [words]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402

import workflows  # noqa: E402
from inference.budget import estimate_tokens  # noqa: E402
from inference.client import ChatClient  # noqa: E402
from inference.fake import FakeVLLMServer  # noqa: E402
from tests.workflows.transcripts import vtt  # noqa: E402
from workflows import templates  # noqa: E402
from workflows.textutils import chunks, transcript_text  # noqa: E402
from workflows.testing import make_context, run_until_pause  # noqa: E402


def main(words: int) -> None:
    transcript = vtt(words)
    text = transcript_text(transcript)
    parts = len(chunks(text, 12000))
    spec = workflows.load_spec(templates.load("meeting_summary"))
    notes = {"points": ["renewal discussed"], "decisions": ["go ahead"], "risks": ["integration delay"],
             "action_items": [{"task": "send proposal", "owner": "Maya", "due": "Friday"}]}
    answer = {"summary": "Agreed to renew.", "decisions": ["Renew"], "risks": ["Integration is late"],
              "action_items": [{"subject": "Send the proposal", "due_date": "2026-11-06"}]}
    with FakeVLLMServer() as server, ChatClient(server.url, "kimi-k2-thinking") as client:
        server.script([{"content": json.dumps(notes)}] * parts + [
            {"tool_calls": [{"name": "search_artifact", "arguments": {"artifact_id": "x", "query": "proposal"}}]},
            {"content": json.dumps(answer)}])
        ctx = make_context(model=client, run_id="bench-transcript")
        graph = workflows.build_graph(spec).compile(checkpointer=InMemorySaver())
        started = time.perf_counter()
        paused = run_until_pause(graph, ctx, workflows.initial_state(spec, {
            "title": "Quarterly business review", "transcript": transcript, "meeting_date": "2026-10-30"}))
        elapsed = time.perf_counter() - started
        assert [p["node_id"] for p in paused] == ["review"], paused
        calls = [e.payload for e in ctx.events.of("model.call")]
    prompts = [c["usage"]["prompt_tokens"] for c in calls]
    transcript_tokens = estimate_tokens([{"role": "user", "content": transcript}])
    window = spec.model.context_window - spec.model.max_tokens
    print(f"transcript: {len(transcript.split()):,} words in the file, {len(transcript):,} chars as WebVTT, "
          f"{len(text):,} chars after normalising, ~{transcript_tokens:,} tokens (estimate, bytes/3.5)")
    print(f"model calls: {len(calls)} ({parts} note parts + {len(calls) - parts} agent turns), "
          f"run time to the review pause {elapsed:.2f} s (fake model)")
    print(f"prompt tokens per call: max {max(prompts):,}, median {statistics.median(prompts):,.0f}, "
          f"total {sum(prompts):,}")
    print(f"largest prompt / usable window ({window:,}): {max(prompts) / window:.1%}; "
          f"largest prompt / whole transcript: {max(prompts) / transcript_tokens:.1%}; "
          f"total prompt tokens / transcript tokens: {sum(prompts) / transcript_tokens:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30_000)
