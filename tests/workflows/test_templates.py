"""The flagship templates end to end: fake model server (scripted), demo CRM, fake Slack."""

import json
from datetime import date

import pytest

from connectors.demo import DemoConnector, MemoryDemoStore
from connectors.netpolicy import NetworkPolicy, set_default_policy
from connectors.slack import SlackConnector
from connectors.slack.fake import FakeSlack
from workflows import templates
from workflows.textutils import chunks, transcript_text

from .transcripts import vtt

TODAY = date(2026, 11, 2)
SLACK_PATH = "/services/T000/B000/workflowtests"


@pytest.fixture
def demo():
    return DemoConnector(settings={"today": TODAY.isoformat()}, secrets={},
                         store=MemoryDemoStore.seeded(seed=7, today=TODAY))


@pytest.fixture
def slack():
    previous = set_default_policy(NetworkPolicy.allowing(["127.0.0.0/8"]))
    with FakeSlack(SLACK_PATH) as fake:
        yield fake
    set_default_policy(previous)


def slack_connector(fake):
    return SlackConnector(settings={}, secrets={"webhook_url": fake.url + SLACK_PATH})


def owner(demo, name):
    return next(o for o in demo.store.tables["owners"].values() if o["name"] == name)


def test_meeting_summary_turns_a_transcript_into_tasks_a_note_and_a_slack_message(
        runner, client, fake_model, demo, slack):
    transcript = vtt(3000)
    parts = len(chunks(transcript_text(transcript), 12000))
    deal = next(d for d in demo.store.tables["deals"].values() if not d["closed"])
    maya = owner(demo, "Maya Lindqvist")
    notes = {"points": ["renewal discussed"], "decisions": ["go ahead"], "risks": ["integration delay"],
             "action_items": [{"task": "send proposal", "owner": "Maya", "due": "Friday"}]}
    answer = {"summary": "The team agreed to renew and to watch the integration delay.",
              "decisions": ["Renew the Core licence"], "risks": ["Integration is late"],
              "action_items": [{"subject": "Send the updated proposal", "due_date": "2026-11-06",
                                "owner_email": maya["email"]},
                               {"subject": "Book the security review", "due_date": "2026-11-13"}]}
    fake_model.script([{"content": json.dumps(notes)}] * parts + [
        {"reasoning": "Match Maya.", "tool_calls": [{"name": "demo__list_owners", "arguments": {}}]},
        {"content": json.dumps(answer)}])
    run = runner(templates.load("meeting_summary"), model=client,
                 connectors={"demo": demo, "slack": slack_connector(slack)})
    paused = run.start({"title": "Renewal call", "transcript": transcript, "deal_id": deal["id"],
                        "meeting_date": "2026-10-30"})
    assert [p["node_id"] for p in paused] == ["review"]
    assert paused[0]["arguments"]["action_items"] == answer["action_items"]
    assert run.resume({"decision": "approve", "arguments": paused[0]["arguments"], "reason": "",
                       "decided_by": ["maya"]}) == []

    tasks = [a for a in demo.store.tables["activities"].values()
             if a["type"] == "task" and a["subject"] in {"Send the updated proposal", "Book the security review"}]
    assert {(t["subject"], t["owner_id"], t["deal_id"]) for t in tasks} == {
        ("Send the updated proposal", maya["id"], deal["id"]), ("Book the security review", None, deal["id"])}
    note = [a for a in demo.store.tables["activities"].values() if a.get("subject") == "Meeting: Renewal call"]
    assert note[0]["body"] == answer["summary"] and note[0]["deal_id"] == deal["id"]
    assert "Renewal call" in slack.messages[0]["text"] and "2 action items" in slack.messages[0]["text"]
    report = run.outputs(load=False)["report"]["$artifact"]
    assert b"## Action items" in run.ctx.artifacts.get(report["id"])
    # Every part of the transcript went to the model, and no request carried all of it.
    note_requests = [r for r in fake_model.requests if r.get("response_format")][:parts]
    assert len(note_requests) == parts
    assert max(len(r["messages"][1]["content"]) for r in note_requests) < 14000
