"""Hot pages read with a fixed number of queries, however many rows they show or skip."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.dashboard.views.runs import CHUNK
from apps.runs.models import Run, RunEvent
from apps.runs.services import run_create

from tests.support import workflow_from_template

pytestmark = pytest.mark.django_db(transaction=True)

# session, user, membership (the actor), the org switcher, the approvals badge; then the page's own.
PAGE_BASE = 5


def warm(browser):
    """The first request of a session stores the chosen organization; measure the ones after."""
    browser.get("/")
    return browser


def many_runs(actor, workflow, count: int) -> None:
    now = timezone.now()
    Run.objects.bulk_create(
        [Run(organization=actor.organization, workflow=workflow, version=workflow.current_version,
             trigger="api", status="succeeded", created_at=now - timedelta(seconds=i),
             started_at=now - timedelta(seconds=i), finished_at=now - timedelta(seconds=i - 1),
             model_calls=3, tool_calls=5, prompt_tokens=1000, completion_tokens=200)
         for i in range(count)], batch_size=2000)


def many_events(run, count: int) -> None:
    kinds = ["node.started", "model.call", "tool.call", "node.finished"]
    payloads = {
        "node.started": {"type": "agent"},
        "model.call": {"step": 1, "reasoning": "I should look at the pipeline first. " * 10, "content": "",
                       "tool_calls": [{"id": "functions.demo__search_deals:0", "name": "demo__search_deals",
                                       "arguments": {"stage": "proposal"}}],
                       "usage": {"prompt_tokens": 4000, "completion_tokens": 120, "cached_tokens": 3900},
                       "duration_s": 1.2, "ttft_s": 0.3, "backend": "http://vllm-0:8000/v1"},
        "tool.call": {"step": 1, "tool": "demo.search_deals", "kind": "read", "arguments": {"stage": "proposal"},
                      "ok": True, "result": {"results": [{"id": "deal-1", "amount": 1200}]}, "duration_s": 0.01},
        "node.finished": {"type": "agent", "duration_s": 2.0, "output": {"answer": "ok"}},
    }
    RunEvent.objects.bulk_create(
        [RunEvent(organization_id=run.organization_id, run=run, seq=i + 1, kind=kinds[i % 4], node_id="investigate",
                  payload=payloads[kinds[i % 4]]) for i in range(count)], batch_size=2000)


def test_the_workflow_list_costs_the_same_for_three_or_thirty_workflows(make_org, signed_in, no_workers,
                                                                        django_assert_num_queries):
    actor, user = make_org("Acme")
    browser = warm(signed_in(user))
    for i in range(3):
        workflow = workflow_from_template(actor, "trivial", name=f"wf {i}", seed_demo=False)
        run_create(actor=actor, workflow_id=workflow.pk)
    # workflows with their latest run, enabled schedules
    with django_assert_num_queries(PAGE_BASE + 2):
        assert browser.get("/workflows/").status_code == 200
    for i in range(3, 30):
        workflow = workflow_from_template(actor, "trivial", name=f"wf {i}", seed_demo=False)
        run_create(actor=actor, workflow_id=workflow.pk)
    with django_assert_num_queries(PAGE_BASE + 2):
        response = browser.get("/workflows/")
    assert response.content.decode().count('class="status status-queued"') == 30


def test_the_run_list_with_ten_thousand_runs_reads_one_page_in_fixed_queries(make_org, signed_in, no_workers,
                                                                             django_assert_num_queries):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "trivial", seed_demo=False)
    many_runs(actor, workflow, 10_000)
    browser = warm(signed_in(user))

    with django_assert_num_queries(PAGE_BASE + 1):
        first = browser.get("/runs/")
    assert first.content.decode().count("/runs/") >= 50
    cursor = first.context["cursor"]
    with django_assert_num_queries(PAGE_BASE + 1):
        later = browser.get("/runs/", {"before": cursor, "status": "succeeded"})
    assert later.status_code == 200
    first_ids = {r.pk for r in first.context["runs"]}
    assert first_ids.isdisjoint({r.pk for r in later.context["runs"]}), "the next page starts after the first"


def test_the_run_page_with_five_thousand_events_reads_in_fixed_queries(make_org, signed_in, no_workers,
                                                                       django_assert_num_queries):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "trivial", seed_demo=False)
    run = run_create(actor=actor, workflow_id=workflow.pk)
    Run.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now())
    many_events(run, 5_000)
    browser = warm(signed_in(user))

    # run, events, node states, artifacts, pending approvals
    with django_assert_num_queries(PAGE_BASE + 5):
        response = browser.get(f"/runs/{run.pk}/")
    assert response.context["backlog"] and len(response.context["events"]) == CHUNK
    assert 'hx-trigger="revealed"' in response.content.decode(), "older events load as the reader scrolls"
    later_page = browser.get(f"/runs/{run.pk}/", {"after": 4950})
    assert [e.seq for e in later_page.context["events"]] == list(range(4951, 5001)), "without JS, a later page"
    # A live refresh after the last event: run and events only.
    with django_assert_num_queries(3 + 2):
        tail = browser.get(f"/runs/{run.pk}/events/", {"after": 5000, "status": "running", "poll": "1"})
    assert tail.status_code == 204
    with django_assert_num_queries(3 + 2):
        chunk = browser.get(f"/runs/{run.pk}/events/", {"after": CHUNK})
    assert [e.seq for e in chunk.context["events"]][:1] == [CHUNK + 1]


def test_runs_created_in_the_same_instant_are_neither_skipped_nor_repeated_across_pages(make_org, signed_in,
                                                                                        no_workers):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "trivial", seed_demo=False)
    now = timezone.now()
    Run.objects.bulk_create([Run(organization=actor.organization, workflow=workflow, version=workflow.current_version,
                                 trigger="api", created_at=now) for _ in range(75)])
    browser = warm(signed_in(user))

    first = browser.get("/runs/")
    second = browser.get("/runs/", {"before": first.context["cursor"]})

    seen = [r.pk for r in first.context["runs"]] + [r.pk for r in second.context["runs"]]
    assert len(seen) == len(set(seen)) == 75 and second.context["cursor"] == ""
