"""A new user, in headless Chromium, against a live server with real Celery workers and the
fake model server: creates a workflow from each template, runs it, watches it finish live,
approves a pending write with an edited argument and opens the report. Screenshots of each
step are saved under var/screenshots/ for people to look at."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.db import connections

import workflows.templates
from apps.accounts.services import organization_create, user_create
from apps.demo.store import demo_seed
from apps.runs.models import Approval, Run, RunStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TRANSCRIPT = """WEBVTT

00:00:01.000 --> 00:00:05.000
<v Maya>We agreed to renew the Core licence for another year.

00:00:05.000 --> 00:00:09.000
<v Ken>The integration is late; I will send the updated proposal by Friday.
"""
# What a person types into each template's run form, beyond the defaults it shows.
RUN_INPUTS = {
    "meeting_summary": {"transcript": TRANSCRIPT, "meeting_date": "2026-10-30", "notify_slack": False},
    "marketing_campaign": {"campaign": "Winter renewals", "goal": "Book renewal calls before December",
                           "max_recipients": "5"},
    "sales_report": {"period_from": "2026-07-01", "period_to": "2026-09-30", "previous_from": "2026-04-01",
                     "previous_to": "2026-06-30", "recipients": "boss@example.com"},
}

# The model's answers where the fake server's generic replies would not do: the meeting
# summary's agent must end with JSON that matches its output schema.
MEETING_NOTES = {"points": ["renewal discussed"], "decisions": ["renew the Core licence"],
                 "risks": ["integration is late"],
                 "action_items": [{"task": "send the updated proposal", "owner": "Ken", "due": "Friday"}]}
MEETING_ANSWER = {"summary": "The team agreed to renew; the integration delay is the main risk.",
                  "decisions": ["Renew the Core licence"], "risks": ["Integration is late"],
                  "action_items": [{"subject": "Send the updated proposal", "due_date": "2026-11-06"}]}
SCRIPTS = {
    "meeting_summary": [
        {"content": json.dumps(MEETING_NOTES)},
        {"reasoning": "I should match Ken to a CRM owner before writing tasks.",
         "tool_calls": [{"name": "demo__list_owners", "arguments": {}}]},
        {"reasoning": "Ken is not a CRM owner, so the task stays unassigned.", "content": json.dumps(MEETING_ANSWER)},
    ],
}

# Templates whose run leaves a report to read (the others write to the CRM or send email).
REPORTING = {"meeting_summary", "sales_report"}


@pytest.fixture
def smtp():
    """A local SMTP server that keeps what it receives, for the templates that send email."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Inbox(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    import socket

    with socket.socket() as probe:  # aiosmtpd cannot start on port 0: find a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def page(live_server):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    htmx = Path(__file__).resolve().parents[2] / "static" / "vendor" / "htmx.min.js"
    assert htmx.exists(), "htmx is not vendored: run scripts/vendor_static.sh (npm ci) before the browser tests"
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_server.url)
        context.set_default_timeout(60_000)
        yield context.new_page()
        context.close()
        browser.close()
        # The test's ORM calls ran while Playwright's loop was running, which gives them a
        # connection of their own; close it here, or it outlives the test database.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fill_run_form(page, template: str, org) -> None:
    values = dict(RUN_INPUTS.get(template, {}))
    if template == "meeting_summary":
        from apps.demo.models import DemoRecord

        deal = DemoRecord.objects.filter(organization=org, entity="deals").order_by("number").first()
        values["deal_id"] = deal.record_id
    for name, value in values.items():
        field = page.locator(f"[name='{name}']")
        if isinstance(value, bool):
            field.set_checked(value)
        else:
            field.fill(value)


def wait_live_until(page, statuses: set[str]) -> str:
    """Wait, without reloading, until the run header shows one of ``statuses``."""
    labels = {s: RunStatus(s).label for s in statuses}
    page.wait_for_function(
        "labels => labels.includes(document.querySelector('#run-status').textContent.trim())",
        arg=list(labels.values()), timeout=120_000)
    shown = page.locator("#run-status").inner_text().strip()
    return next(s for s, label in labels.items() if label == shown)


def edit_first_text(value, text: str, keys=("subject", "summary", "body", "title")) -> list:
    """Change what a person would reword (a subject, a summary, a body) in nested arguments;
    return the path of the changed value."""
    items = list(value.items() if isinstance(value, dict) else enumerate(value))
    for key, item in items:
        if isinstance(item, str) and (key in keys or not keys):
            value[key] = text
            return [key]
    for key, item in items:
        if isinstance(item, (dict, list)) and item:
            found = edit_first_text(item, text, keys)
            if found:
                return [key, *found]
    return edit_first_text(value, text, keys=()) if keys else []


def read_path(value, path: list):
    for key in path:
        value = value[key]
    return value


def approve_with_an_edit(page, run: Run, template: str) -> None:
    approval = Approval.objects.get(run=run, status="pending")
    page.goto("/approvals/")
    page.get_by_role("link", name=approval.title or approval.tool or approval.node_id).first.click()
    box = page.locator("textarea[name='arguments']")
    arguments = json.loads(box.input_value())
    edited = f"Edited in the browser ({template})"
    path = edit_first_text(arguments, edited)
    box.fill(json.dumps(arguments, indent=2))
    shot(page, f"{template}-3-approval")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"**/runs/{run.pk}/")
    approval.refresh_from_db()
    assert approval.status == "approved"
    assert read_path(approval.edited_arguments, path) == edited


def add_email_connection(page, smtp) -> None:
    page.goto("/connections/new/")
    page.fill("[name=name]", "Office mail")
    page.select_option("[name=connector_type]", "email")
    page.fill("[name=settings]", json.dumps({"host": "127.0.0.1", "port": smtp.port, "security": "none",
                                             "from_address": "reports@newco.example"}))
    page.fill("[name=secret_name_0]", "password")
    page.fill("[name=secret_value_0]", "smtp-secret-value")
    page.get_by_role("button", name="Save connection").click()
    page.wait_for_url("**/connections/*/")
    assert "smtp-secret-value" not in page.content(), "a secret is never shown after saving"
    shot(page, "0-connection-saved")


def test_a_new_user_builds_runs_approves_and_reads_each_template(page, celery, fake_model, smtp):
    celery.ensure_workers(1)
    user = user_create(username="newcomer", password="a-long-pass-phrase-42", email="new@example.com")
    org = organization_create(name="Newco", owner=user)
    demo_seed(organization_id=org.pk)

    page.goto("/")
    assert "/accounts/login/" in page.url, "the dashboard needs a signed-in user"
    page.fill("[name=username]", "newcomer")
    page.fill("[name=password]", "a-long-pass-phrase-42")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    shot(page, "0-empty-workflow-list")
    add_email_connection(page, smtp)

    for template in workflows.templates.names():
        page.goto("/workflows/templates/")
        if template == workflows.templates.names()[0]:
            shot(page, "0-gallery")
        page.locator(f"#template-{template}").get_by_role("link", name="Use this template").click()
        page.fill("[name=name]", f"My {template}")
        shot(page, f"{template}-0-settings")
        page.get_by_role("button", name="Create workflow").click()
        page.get_by_role("link", name="Run now").click()
        fill_run_form(page, template, org)
        if template in SCRIPTS:
            fake_model.script(SCRIPTS[template])
        shot(page, f"{template}-1-run-form")
        page.get_by_role("button", name="Start the run").click()
        page.wait_for_url("**/runs/*/")
        run = Run.objects.get(workflow__organization=org, workflow__name=f"My {template}")
        page.evaluate("window.__sameDocument = true")

        status = wait_live_until(page, {"succeeded", "failed", "waiting_approval"})
        shot(page, f"{template}-2-live")
        if status == "waiting_approval":
            approve_with_an_edit(page, run, template)
            page.evaluate("window.__sameDocument = true")
            status = wait_live_until(page, {"succeeded", "failed"})
        run.refresh_from_db()
        assert status == "succeeded", f"{template}: {run.error}"
        # The run row says "succeeded" a moment before its final event is written; the page
        # keeps polling until that event has arrived, then stops.
        page.locator("#timeline .ev-runfinished").wait_for()
        page.wait_for_function("!document.querySelector('#timeline-tail').hasAttribute('hx-trigger')")
        assert page.evaluate("window.__sameDocument === true"), "the page updated itself without a reload"
        assert page.locator("#timeline .ev-runfinished").count() == 1
        shot(page, f"{template}-4-finished")

        reports = list(run.artifacts.filter(media_type__in=["text/html", "text/markdown"]))
        if template == "marketing_campaign":
            assert smtp.messages, "the approved campaign emails reached the mail server"
        if template not in REPORTING:
            continue
        assert reports, f"{template} produced a report"
        report = page.locator(".artifacts .artifact").first
        if reports[0].media_type == "text/markdown":
            report.locator(".prose h1, .prose h2").first.wait_for()
        else:
            page.frame_locator("iframe.report").locator("h1").first.wait_for()
        shot(page, f"{template}-5-report-in-place")
        page.goto(f"/artifacts/{reports[0].pk}/")
        shot(page, f"{template}-6-report")

    # The same person switches to Japanese: the navigation, statuses and the run page follow.
    page.goto("/runs/")
    page.select_option(".lang select", "ja")  # submits the switcher, which comes back to this page
    page.wait_for_function("document.documentElement.lang === 'ja'")
    assert page.locator(".mainnav").inner_text().startswith("ワークフロー")
    assert page.locator(".runs .status-succeeded").first.inner_text() == "成功"
    shot(page, "ja-1-runs")
    page.locator(".runs a.mono").first.click()
    page.locator("#timeline").wait_for()
    shot(page, "ja-2-run")


def add_node(page, node_id: str, *, after: str, config: str, node_type: str = "transform") -> None:
    page.fill("[name=add-node_id]", node_id)
    page.select_option("[name=add-type]", node_type)
    page.select_option("[name=add-after]", after)
    page.fill("[name=add-config]", config)
    page.get_by_role("button", name="Add node").click()


def test_a_person_changes_a_workflow_in_the_composer_without_reloading(page, no_workers):
    from apps.automations.services import workflow_create

    user = user_create(username="builder", password="a-long-pass-phrase-42")
    org = organization_create(name="Buildco", owner=user)
    from apps.accounts.actors import actor_for_user

    actor = actor_for_user(user=user, organization_id=org.pk)
    workflow = workflow_create(actor=actor, name="Greeter", spec=workflows.templates.load("trivial"))
    page.goto("/accounts/login/")
    page.fill("[name=username]", "builder")
    page.fill("[name=password]", "a-long-pass-phrase-42")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")

    page.goto(f"/workflows/{workflow.pk}/composer/")
    page.evaluate("window.__sameDocument = true")
    add_node(page, "whisper", after="pack", config="template: '{{ results.greet | lower }}'")
    page.locator("#composer .graph [data-node=whisper]").wait_for()
    shot(page, "composer-1-node-added")

    add_node(page, "broken", after="whisper", config="nonsense_key: 1")
    page.locator("#composer .form-errors").wait_for()
    shot(page, "composer-2-refused")
    assert page.evaluate("window.__sameDocument === true"), "the composer swapped in place"
    workflow.refresh_from_db()
    assert workflow.current_version.number == 2
    assert [n["id"] for n in workflow.current_version.spec["nodes"]][-1] == "whisper"
