"""Per-step overhead of Farside's nodes over a bare LangGraph node doing the same work.

Two pairs, each compiled with an in-memory checkpointer and run many times in this process:

- ``transform``: the ``trivial`` template (three sandboxed-Jinja transforms) against a bare
  three-node StateGraph rendering the same templates with a plain Jinja environment;
- ``llm``: one ``llm`` node against a bare node calling the same ChatClient on the same fake
  vLLM server (loopback HTTP) with the same messages.

Prints the median wall time per run and per step, and our/bare ratios.
Run: .venv/bin/python bench/workflows_overhead.py [runs]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jinja2  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402

import workflows  # noqa: E402
from inference.client import ChatClient  # noqa: E402
from inference.fake import FakeVLLMServer  # noqa: E402
from workflows import templates  # noqa: E402
from workflows.testing import make_context, run_until_pause  # noqa: E402


def paired_medians(ours_fn, bare_fn, runs: int) -> tuple[float, float]:
    """Median seconds of each, sampled alternately so drift on a shared machine hits both alike."""
    for _ in range(5):
        ours_fn()
        bare_fn()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, out in ((ours_fn, samples[0]), (bare_fn, samples[1])):
            started = time.perf_counter()
            fn()
            out.append(time.perf_counter() - started)
    return statistics.median(samples[0]), statistics.median(samples[1])


class Bare(TypedDict, total=False):
    name: str
    greet: str
    shout: str
    pack: dict
    answer: str


def bare_transforms():
    env = jinja2.Environment()
    greet, shout = env.from_string("Hello, {{ name }}!"), env.from_string("{{ greet | upper }}")
    g = StateGraph(Bare)
    g.add_node("greet", lambda s: {"greet": greet.render(name=s["name"])})
    g.add_node("shout", lambda s: {"shout": shout.render(greet=s["greet"])})
    g.add_node("pack", lambda s: {"pack": {"greeting": s["greet"], "loud": s["shout"], "length": len(s["shout"])}})
    g.add_edge(START, "greet")
    g.add_edge("greet", "shout")
    g.add_edge("shout", "pack")
    g.add_edge("pack", END)
    return g.compile(checkpointer=InMemorySaver())


def ours(spec_data, model=None):
    spec = workflows.load_spec(spec_data)
    graph = workflows.build_graph(spec).compile(checkpointer=InMemorySaver())
    counter = iter(range(10**9))

    def run(inputs):
        ctx = make_context(model=model, run_id=f"bench-{next(counter)}")
        assert run_until_pause(graph, ctx, workflows.initial_state(spec, inputs)) == []

    return run


def main(runs: int) -> None:
    counter = iter(range(10**9))
    bare = bare_transforms()
    ours_trivial = ours(templates.load("trivial"))
    t_ours, t_bare = paired_medians(
        lambda: ours_trivial({"name": "Ada"}),
        lambda: bare.invoke({"name": "Ada"}, {"configurable": {"thread_id": str(next(counter))}}), runs)
    print(f"transform x3: ours {t_ours * 1e3:.2f} ms/run ({t_ours / 3 * 1e3:.2f} ms/step), "
          f"bare {t_bare * 1e3:.2f} ms/run ({t_bare / 3 * 1e3:.2f} ms/step), ratio {t_ours / t_bare:.2f}, "
          f"overhead {(t_ours - t_bare) / 3 * 1e3:.2f} ms/step")

    with FakeVLLMServer() as server, ChatClient(server.url, "kimi-k2-thinking") as client:
        prompt = "Summarise the quarter in one sentence."
        spec_data = {"spec_version": 1, "name": "one", "nodes": [
            {"id": "answer", "type": "llm", "config": {"prompt": prompt, "system": "Be brief."}}]}
        ours_llm = ours(spec_data, model=client)

        g = StateGraph(Bare)
        messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": prompt}]
        g.add_node("answer", lambda s: {"answer": client.chat(messages, None, temperature=1.0,
                                                               max_tokens=16384).content})
        g.add_edge(START, "answer")
        g.add_edge("answer", END)
        bare_llm = g.compile(checkpointer=InMemorySaver())
        t_ours, t_bare = paired_medians(
            lambda: ours_llm({}), lambda: bare_llm.invoke({}, {"configurable": {"thread_id": str(next(counter))}}),
            runs)
        print(f"llm x1: ours {t_ours * 1e3:.2f} ms/run, bare {t_bare * 1e3:.2f} ms/run, ratio {t_ours / t_bare:.2f}, "
              f"overhead {(t_ours - t_bare) * 1e3:.2f} ms/step")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
