"""The embedded demo: its setup for the local model, its Slack sink, and the meeting summary it runs."""

from __future__ import annotations

import io
import json
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command

import workflows.templates
from apps.automations.models import Workflow
from apps.demo.management.commands.demo_outbox import SLACK_PATH, _last_number, _SaveToFolder, _SlackWebhook
from apps.runs.models import Run
from connectors.netpolicy import NetworkPolicy, set_default_policy
from connectors.slack import SlackConnector

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE = Path(__file__).resolve().parents[2] / "apps" / "demo" / "samples" / "renewal_call.vtt"


def run_command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def slack_sink(tmp_path):
    """The demo outbox's Slack webhook on a free port, saving into tmp_path."""
    handler = type("SlackWebhook", (_SlackWebhook,), {"folder": tmp_path, "count": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    previous = set_default_policy(NetworkPolicy.allowing(["127.0.0.0/8"]))
    yield server.server_address[1], tmp_path
    set_default_policy(previous)
    server.shutdown()


def test_demo_setup_for_the_local_model_sizes_the_workflows_for_it_and_keeps_their_nodes():
    run_command("demo_setup", "--local-model")
    template = workflows.templates.load("meeting_summary")
    spec = Workflow.objects.get(name=template["title"]).current_version.spec
    assert spec["model"] == {"context_window": 8192, "max_tokens": 1536}
    assert spec["budgets"]["max_tool_calls"] == 6 and template["budgets"]["max_tool_calls"] == 80
    assert spec["nodes"] == template["nodes"] and spec["write_policy"] == template["write_policy"]
    assert "Demo copy for the local CPU model" in Workflow.objects.get(name=template["title"]).description


def test_demo_setup_without_the_local_model_adds_the_templates_as_they_are():
    run_command("demo_setup")
    template = workflows.templates.load("meeting_summary")
    assert Workflow.objects.get(name=template["title"]).current_version.spec == template


def test_demo_setup_brings_back_a_demo_workflow_that_was_deleted():
    from apps.accounts.actors import actor_for_user
    from apps.accounts.models import Membership
    from apps.automations.services import workflow_delete

    run_command("demo_setup")
    title = workflows.templates.load("meeting_summary")["title"]
    deleted = Workflow.objects.get(name=title)
    owner = Membership.objects.filter(organization=deleted.organization).first()
    workflow_delete(actor=actor_for_user(user=owner.user, organization_id=deleted.organization_id),
                    workflow_id=deleted.pk)

    output = run_command("demo_setup")

    assert title in output
    assert Workflow.objects.filter(name=title, archived_at__isnull=True).exclude(pk=deleted.pk).count() == 1


def test_the_outbox_keeps_each_slack_message_as_a_file_and_passes_the_connection_check(slack_sink):
    port, folder = slack_sink
    connector = SlackConnector(settings={}, secrets={"webhook_url": f"http://127.0.0.1:{port}{SLACK_PATH}"})
    connector.check()
    connector.call("slack.post_message", {"text": "*Renewal call*: 3 action items"}, idempotency_key="k1")
    [saved] = folder.glob("slack-*.json")
    assert json.loads(saved.read_text()) == {"text": "*Renewal call*: 3 action items"}


def test_the_demo_meeting_summary_writes_tasks_and_a_note_and_posts_to_the_outbox(
        settings, no_workers, fake_model, slack_sink):
    settings.RUN_EXECUTION = "inprocess"
    port, folder = slack_sink
    run_command("demo_setup", "--local-model", "--slack-port", str(port))
    answer = {"summary": "Renewal agreed; the ERP connector is late.", "decisions": ["Renew the Core licence"],
              "risks": ["The connector slips again"],
              "action_items": [{"subject": "Send the split quote", "due_date": "2026-12-02",
                                "owner_email": "maya.lindqvist@farside-demo.example"},
                               {"subject": "Send the test plan", "due_date": "2026-12-04", "owner_email": "Jonas"}]}
    fake_model.script([{"content": json.dumps({"points": [], "decisions": [], "risks": [], "action_items": []})},
                       {"content": json.dumps(answer)}])
    from apps.demo.models import DemoRecord

    deal = DemoRecord.objects.filter(entity="deals", data__closed=False).order_by("number").first()
    out = run_command("run_workflow", "Meeting summary to CRM", "--wait", "--approve-as", "demo",
                      "--input", "title=Renewal call", "--input", f"transcript=@{SAMPLE}",
                      "--input", f"deal_id={deal.record_id}", "--input", "meeting_date=2026-11-27")
    assert "status: succeeded" in out
    run = Run.objects.get()
    tasks = DemoRecord.objects.filter(entity="activities", data__type="task", data__deal_id=deal.record_id,
                                      data__subject__startswith="Send the ")
    assert sorted((t.data["subject"], t.data["owner_id"]) for t in tasks) == [
        ("Send the split quote", "own-1"), ("Send the test plan", None)]
    assert DemoRecord.objects.filter(entity="activities", data__type="note",
                                     data__subject="Meeting: Renewal call").count() == 1
    [posted] = folder.glob("slack-*.json")
    assert "2 action items" in json.loads(posted.read_text())["text"]
    assert run.status == "succeeded"


def test_a_restarted_outbox_adds_to_the_folder_instead_of_overwriting_what_is_there(tmp_path):
    (tmp_path / "0001.eml").write_text("the sales report")
    (tmp_path / "0002.eml").write_text("the campaign")
    (tmp_path / "slack-0003.json").write_text("{}")
    assert _SaveToFolder(tmp_path).count == 2
    assert _last_number(tmp_path, "slack-*.json") == 3
