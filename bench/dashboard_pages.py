"""Server time of the dashboard's hot pages and the bytes of a live refresh.

Run: ``.venv/bin/python bench/dashboard_pages.py`` (PostgreSQL on 127.0.0.1; a database of
its own is created). Requests go through Django's test client in this process, so the
figures are server time (URL routing, middleware, queries, template rendering), not network.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import boot, org_actor  # noqa: E402

RUNS, EVENTS, REPEAT = 10_000, 5_000, 40


def timed(client, url: str, params: dict | None = None, repeat: int = REPEAT) -> tuple[list[float], object]:
    client.get(url, params or {})  # warm caches (templates, session) as a live server would be
    samples, response = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params or {})
        samples.append(time.perf_counter() - start)
    return samples, response


def report(name: str, samples: list[float], response) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"{name:<46} median {statistics.median(samples) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
          f"status {response.status_code}   {len(response.content):>8,} bytes")


def model_call(run, seq: int):
    from apps.runs.models import RunEvent

    return RunEvent(organization_id=run.organization_id, run=run, seq=seq, kind="model.call", node_id="investigate",
                    payload={"step": seq, "reasoning": "Compare the pipeline by stage with last quarter. " * 12,
                             "content": "", "tool_calls": [{"id": f"functions.demo__search_deals:{seq}",
                                                            "name": "demo__search_deals",
                                                            "arguments": {"stage": "proposal"}}],
                             "usage": {"prompt_tokens": 41000, "completion_tokens": 310, "cached_tokens": 40200},
                             "duration_s": 2.4, "ttft_s": 0.4, "backend": "http://vllm-0:8000/v1"})


def tool_call(run, seq: int):
    from apps.runs.models import RunEvent

    return RunEvent(organization_id=run.organization_id, run=run, seq=seq, kind="tool.call", node_id="investigate",
                    payload={"step": seq, "tool": "demo.search_deals", "kind": "read", "ok": True,
                             "arguments": {"stage": "proposal"}, "duration_s": 0.02,
                             "result": {"results": [{"id": f"deal-{i}", "amount": 1000 + i} for i in range(8)]}})


def main() -> None:
    boot("farside_bench_dashboard")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    import workflows.templates
    from apps.automations.services import workflow_create
    from apps.runs.models import Run, RunEvent

    actor = org_actor("Dashboard")
    flows = [workflow_create(actor=actor, name=f"Workflow {i:02d}", spec=workflows.templates.load("trivial"))
             for i in range(50)]
    workflow = flows[0]
    now = timezone.now()
    # Runs spread over 40 of the 50 workflows (10 never ran), the first one the busiest.
    Run.objects.bulk_create([
        Run(organization=actor.organization, workflow=flows[0 if i % 3 == 0 else i % 40],
            version=flows[0 if i % 3 == 0 else i % 40].current_version, trigger="schedule",
            status="succeeded", created_at=now - timedelta(minutes=i), started_at=now - timedelta(minutes=i),
            finished_at=now - timedelta(minutes=i) + timedelta(seconds=40), model_calls=12, tool_calls=30,
            prompt_tokens=400_000, cached_tokens=380_000, completion_tokens=4_000) for i in range(RUNS)],
        batch_size=2000)
    live = Run.objects.create(organization=actor.organization, workflow=workflow, version=workflow.current_version,
                              trigger="dashboard", status="running", started_at=now)
    RunEvent.objects.bulk_create([(model_call if i % 2 else tool_call)(live, i + 1) for i in range(EVENTS)],
                                 batch_size=2000)

    # What autovacuum does after a bulk load: without statistics the planner guesses 5 rows,
    # and without the visibility map it prices index-only scans as heap reads and picks
    # the global created_at index for "latest run of each workflow" (50 ms instead of 0.6).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    client = Client()
    client.force_login(get_user_model().objects.get(pk=actor.user_id))
    print(f"runs in the organization: {RUNS + 1:,}; events of the live run: {EVENTS:,}; {REPEAT} requests each\n")

    report("workflow list (50 workflows, 10k runs)", *timed(client, "/workflows/"))
    samples, first = timed(client, "/runs/")
    report("run list, first page of 10k runs", samples, first)
    oldest = Run.objects.order_by("created_at").values_list("created_at", flat=True)[60]
    report("run list, a page near the end", *timed(client, "/runs/", {"before": oldest.isoformat()}))
    report("run detail, 5k events (first 100 shown)", *timed(client, f"/runs/{live.pk}/"))
    report("run detail, search in 5k events", *timed(client, f"/runs/{live.pk}/", {"q": "pipeline"}))

    idle = {"after": EVENTS, "status": "running", "poll": "1"}
    report("live refresh, nothing new (204)", *timed(client, f"/runs/{live.pk}/events/", idle))
    RunEvent.objects.bulk_create([model_call(live, EVENTS + 1)])
    samples, one = timed(client, f"/runs/{live.pk}/events/", idle)
    report("live refresh, one new model call", samples, one)
    RunEvent.objects.bulk_create([(model_call if i % 2 else tool_call)(live, EVENTS + 2 + i) for i in range(9)])
    report("live refresh, ten new events", *timed(client, f"/runs/{live.pk}/events/", idle))

    full = client.get(f"/runs/{live.pk}/")
    print(f"\nbytes: full run page {len(full.content):,}; refresh with one model call {len(one.content):,} "
          f"({len(one.content) / len(full.content):.1%} of the page); idle refresh 0 (HTTP 204)")


if __name__ == "__main__":
    main()
