"""The run page: a live refresh sends only what changed and stops when the run ends."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.runs.models import Artifact, Run, RunEvent
from apps.runs.services import run_create

from tests.support import advance_until_paused, workflow_from_template
from .helpers import post_form

pytestmark = pytest.mark.django_db(transaction=True)


def event(run, seq: int, kind: str, node_id: str = "", **payload) -> RunEvent:
    return RunEvent.objects.create(organization_id=run.organization_id, run=run, seq=seq, kind=kind,
                                   node_id=node_id, payload=payload)


@pytest.fixture
def running(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "trivial", seed_demo=False)
    run = run_create(actor=actor, workflow_id=workflow.pk)
    Run.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now())
    event(run, 1, "run.started")
    event(run, 2, "node.started", "greet", type="transform")
    return run, signed_in(user)


def test_a_refresh_with_news_sends_the_new_events_and_keeps_polling(running):
    run, browser = running
    event(run, 3, "model.call", "greet", reasoning="Think about the greeting", content="Hello",
          usage={"prompt_tokens": 10, "completion_tokens": 2, "cached_tokens": 8}, duration_s=0.5,
          backend="http://vllm-1:8000/v1", tool_calls=[])

    response = browser.get(f"/runs/{run.pk}/events/", {"after": 2, "status": "running", "poll": "1"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="ev-3"' in html and 'id="ev-2"' not in html, "only events after the tail's sequence"
    assert 'hx-swap-oob="true"' in html and 'id="run-header"' in html
    assert "after=3" in html and 'hx-trigger="every 1s"' in html, "a running run is polled every second"
    assert "http://vllm-1:8000/v1" in html and "<details class=\"reasoning\">" in html, "reasoning starts collapsed"
    assert "Cancel run" in html, "the refreshed header keeps the cancel button"


def test_a_refresh_without_news_sends_nothing(running):
    run, browser = running
    response = browser.get(f"/runs/{run.pk}/events/", {"after": 2, "status": "running", "poll": "1"})
    assert response.status_code == 204 and response.content == b""


def test_a_status_change_without_new_events_is_still_sent(running):
    run, browser = running
    Run.objects.filter(pk=run.pk).update(status="waiting_approval")
    response = browser.get(f"/runs/{run.pk}/events/", {"after": 2, "status": "running", "poll": "1"})
    assert response.status_code == 200 and "Waiting for approval" in response.content.decode()


def test_the_refresh_that_brings_the_end_of_the_run_stops_the_polling(running):
    run, browser = running
    Run.objects.filter(pk=run.pk).update(status="succeeded", finished_at=timezone.now())
    event(run, 3, "run.finished", status="succeeded")

    response = browser.get(f"/runs/{run.pk}/events/", {"after": 2, "status": "running", "poll": "1"})

    assert response.status_code == 286, "htmx stops polling on 286"
    html = response.content.decode()
    assert 'id="timeline-tail"' in html and "hx-trigger" not in html.split('id="timeline-tail"')[1]


def test_a_finished_run_page_does_not_poll(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "trivial", seed_demo=False)
    run = advance_until_paused(run_create(actor=actor, workflow_id=workflow.pk, inputs={"name": "Ada"}))
    html = signed_in(user).get(f"/runs/{run.pk}/").content.decode()
    assert "Succeeded" in html and "HELLO, ADA!" in html
    assert 'hx-trigger="every' not in html


def test_searching_the_timeline_shows_only_matching_steps(running):
    run, browser = running
    event(run, 3, "model.call", "greet", reasoning="the pipeline of Atlas looks thin", content="", usage={})
    event(run, 4, "model.call", "greet", reasoning="nothing to see", content="", usage={})
    html = browser.get(f"/runs/{run.pk}/", {"q": "atlas"}).content.decode()
    assert 'id="ev-3"' in html and 'id="ev-4"' not in html


def test_cancelling_a_queued_run_ends_it(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "trivial", seed_demo=False)
    run = run_create(actor=actor, workflow_id=workflow.pk)
    browser = signed_in(user)
    response = post_form(browser, f"/runs/{run.pk}/cancel/", {}, page_url=f"/runs/{run.pk}/")
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert "Cancelled" in browser.get(f"/runs/{run.pk}/").content.decode()


def test_a_failed_run_says_why_in_plain_words(running):
    run, browser = running
    Run.objects.filter(pk=run.pk).update(status="failed", finished_at=timezone.now(),
                                         error="The CRM refused the token; reconnect HubSpot under Connections.")
    html = browser.get(f"/runs/{run.pk}/").content.decode()
    assert "Why it failed" in html and "reconnect HubSpot under Connections" in html


def test_a_report_is_served_sandboxed_and_markdown_is_cleaned(running):
    run, browser = running
    html_report = Artifact.objects.create(organization_id=run.organization_id, run=run, name="report.html",
                                          media_type="text/html", size=10, content=b"<h1>Q3</h1>")
    markdown = Artifact.objects.create(organization_id=run.organization_id, run=run, name="notes.md",
                                       media_type="text/markdown", size=10,
                                       content=b"# Notes\n\n<script>alert(1)</script> **bold**")

    served = browser.get(f"/artifacts/{html_report.pk}/")
    assert served["Content-Security-Policy"].startswith("sandbox")
    preview = browser.get(f"/artifacts/{markdown.pk}/preview/").content.decode()
    assert "<h1>Notes</h1>" in preview and "<strong>bold</strong>" in preview and "<script>" not in preview
    page = browser.get(f"/runs/{run.pk}/").content.decode()
    assert 'iframe class="report" sandbox' in page


def test_a_csv_result_is_shown_as_a_table_and_a_pdf_as_a_download(running):
    run, browser = running
    csv = Artifact.objects.create(organization_id=run.organization_id, run=run, name="deals.csv", media_type="text/csv",
                                  size=40, content=b"deal,amount\nAtlas <b>renewal</b>,1200\nNordic,800\n")
    pdf = Artifact.objects.create(organization_id=run.organization_id, run=run, name="report.pdf",
                                  media_type="application/pdf", size=8, content=b"%PDF-1.4")

    table = browser.get(f"/artifacts/{csv.pk}/preview/").content.decode()
    assert "<th>deal</th>" in table and "<td>Atlas &lt;b&gt;renewal&lt;/b&gt;</td>" in table
    download = browser.get(f"/artifacts/{pdf.pk}/")
    assert download["Content-Type"] == "application/pdf" and "attachment" in download["Content-Disposition"]
    assert "Download PDF" in browser.get(f"/runs/{run.pk}/").content.decode()
