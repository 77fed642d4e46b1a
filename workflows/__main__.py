"""The engine-only command line: validate, export and run workflows without the web app.

    python -m workflows templates
    python -m workflows validate my_flow.yaml
    python -m workflows export sales_report > sales_report.yaml
    python -m workflows run hello --inputs '{"account": "a"}' --model-url http://127.0.0.1:8000/v1 \
        [--model kimi-k2-thinking] [--approve | --reject] [--sqlite runs.db] [--run-id r1]

``run`` uses in-memory events and artifacts and connectors built from the registry without
secrets (the demo connector needs none). Events print one per line; approvals are asked on
the terminal unless ``--approve`` or ``--reject`` answers them all.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from . import SpecError, build_graph, dump_yaml, final_outputs, initial_state, load_spec, load_yaml, templates
from .errors import InputError


def _spec_data(source: str) -> dict[str, Any]:
    path = Path(source)
    if path.exists():
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else load_yaml(text)
    return templates.load(source)


class PrintedEvents:
    def __init__(self, verbose: bool):
        self.verbose = verbose

    def emit(self, kind: str, payload: Any, *, node_id: str | None = None) -> None:
        if self.verbose or kind not in ("node.started", "node.finished"):
            print(f"[{node_id or '-'}] {kind} {json.dumps(payload, default=str)[:300]}", file=sys.stderr)


def _decide(payload: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    if args.approve or args.reject:
        decision = "approve" if args.approve else "reject"
    else:
        print(json.dumps(payload, indent=2, default=str), file=sys.stderr)
        decision = "approve" if input("approve? [y/N] ").strip().lower() in ("y", "yes") else "reject"
    return {"decision": decision, "arguments": payload["arguments"], "reason": "from the command line",
            "decided_by": ["cli"] * payload.get("required_approvers", 1) if decision == "approve" else ["cli"]}


def _run(args: argparse.Namespace) -> int:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    from inference.client import ChatClient

    from .context import RunContext
    from .testing import MemoryArtifacts, MemoryConnectors, run_until_pause

    spec = load_spec(_spec_data(args.spec))
    state = initial_state(spec, json.loads(args.inputs))
    model = ChatClient(args.model_url, args.model) if args.model_url else None
    ctx = RunContext(run_id=args.run_id or f"cli-{uuid.uuid4().hex[:8]}", organization_id="cli", model=model,
                     connectors=MemoryConnectors(), events=PrintedEvents(args.verbose), artifacts=MemoryArtifacts(),
                     timezone=args.timezone)
    if args.sqlite:
        import sqlite3

        from langgraph.checkpoint.sqlite import SqliteSaver

        saver: Any = SqliteSaver(sqlite3.connect(args.sqlite, check_same_thread=False))
    else:
        saver = InMemorySaver()
    graph = build_graph(spec).compile(checkpointer=saver)
    pending = run_until_pause(graph, ctx, state)
    while pending:
        pending = run_until_pause(graph, ctx, Command(resume=_decide(pending[0], args)))
    values = graph.get_state({"configurable": {"thread_id": ctx.run_id}}).values
    print(json.dumps(final_outputs(spec, values, ctx), indent=2, default=str, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflows")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("templates", help="list the shipped templates")
    validate = sub.add_parser("validate", help="check a spec file or template; print every problem")
    validate.add_argument("spec")
    export = sub.add_parser("export", help="print a spec as YAML")
    export.add_argument("spec")
    run = sub.add_parser("run", help="run a workflow to the end with in-memory ports")
    run.add_argument("spec")
    run.add_argument("--inputs", default="{}")
    run.add_argument("--model-url")
    run.add_argument("--model", default="kimi-k2-thinking")
    run.add_argument("--run-id")
    run.add_argument("--timezone", default="UTC")
    run.add_argument("--sqlite", help="checkpoint to this SQLite file instead of memory")
    run.add_argument("--verbose", action="store_true", help="print node boundaries too")
    answer = run.add_mutually_exclusive_group()
    answer.add_argument("--approve", action="store_true", help="approve every approval request")
    answer.add_argument("--reject", action="store_true", help="reject every approval request")
    args = parser.parse_args(argv)
    try:
        if args.command == "templates":
            print("\n".join(templates.names()))
        elif args.command == "validate":
            spec = load_spec(_spec_data(args.spec))
            print(f"ok: {spec.name}, {len(spec.nodes)} nodes")
        elif args.command == "export":
            print(dump_yaml(_spec_data(args.spec)), end="")
        else:
            return _run(args)
    except (SpecError, InputError) as exc:
        for issue in exc.errors:
            print(issue, file=sys.stderr)
        return 2
    except (ValueError, KeyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
