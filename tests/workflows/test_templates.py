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
                               {"subject": "Book the security review", "due_date": "2026-11-13", "owner_email": ""},
                              {"subject": "Plan the training day", "due_date": "2026-11-20",
                               "owner_email": "henrik@customer.example"}]}
    fake_model.script([{"content": json.dumps(notes)}] * parts + [
        {"reasoning": "Match Maya.", "tool_calls": [{"name": "demo__list_owners", "arguments": {}}]},
        {"content": json.dumps(answer)}])
    run = runner(templates.load("meeting_summary"), model=client,
                 connectors={"demo": demo, "slack": slack_connector(slack)})
    paused = run.start({"title": "Renewal call", "transcript": transcript, "deal_id": deal["id"],
                        "meeting_date": "2026-10-30"})
    assert [p["node_id"] for p in paused] == ["review"]
    # An owner who is not a CRM user is left out before the review, and the reviewer is told.
    assert [a.get("owner_email") for a in paused[0]["arguments"]["action_items"]] == [maya["email"], "", ""]
    assert "Not CRM users, so their tasks are unassigned: henrik@customer.example." in paused[0]["reasoning"]
    assert run.resume({"decision": "approve", "arguments": paused[0]["arguments"], "reason": "",
                       "decided_by": ["maya"]}) == []

    tasks = [a for a in demo.store.tables["activities"].values()
             if a["type"] == "task" and a["deal_id"] == deal["id"] and a["subject"] in {
                 "Send the updated proposal", "Book the security review", "Plan the training day"}]
    assert {(t["subject"], t["owner_id"], t["deal_id"]) for t in tasks} == {
        ("Send the updated proposal", maya["id"], deal["id"]), ("Book the security review", None, deal["id"]),
        ("Plan the training day", None, deal["id"])}
    note = [a for a in demo.store.tables["activities"].values() if a.get("subject") == "Meeting: Renewal call"]
    assert note[0]["body"] == answer["summary"] and note[0]["deal_id"] == deal["id"]
    assert "Renewal call" in slack.messages[0]["text"] and "3 action items" in slack.messages[0]["text"]
    report = run.outputs()["report"]["$artifact"]  # a reference, even when outputs are loaded
    assert b"## Action items" in run.ctx.artifacts.get(report["id"])
    # Every part of the transcript went to the model, and no request carried all of it.
    note_requests = [r for r in fake_model.requests if r.get("response_format")][:parts]
    assert len(note_requests) == parts
    assert max(len(r["messages"][1]["content"]) for r in note_requests) < 14000


def test_marketing_campaign_drafts_per_segment_takes_edits_then_sends_and_records(
        runner, client, fake_model, demo, smtp):
    contacts = [c for c in demo.store.tables["contacts"].values() if c["marketing_opt_in"]]
    stages = sorted({c["lifecycle_stage"] for c in contacts})
    fake_model.script([{"content": json.dumps({"subject": f"Draft {i}", "body": "Hello, " + "x" * 30,
                                               "channel": "email"})} for i in range(len(stages))])
    run = runner(templates.load("marketing_campaign"), model=client,
                 connectors={"demo": demo, "email": smtp.connector})
    paused = run.start({"campaign": "Winter webinar", "goal": "Invite to the December webinar",
                        "max_recipients": 12})
    assert [p["node_id"] for p in paused] == ["review"]
    assert paused[0]["title"] == (f"Send campaign Winter webinar to 12 contacts (the first 12 of {len(contacts)} "
                                  "who accepted marketing)?")
    drafts = paused[0]["arguments"]["drafts"]
    assert len(drafts) == len(stages)
    drafts[0] = {**drafts[0], "subject": "Edited\nsubject "}  # a header cannot hold a line break
    assert run.resume({"decision": "approve", "arguments": {"drafts": drafts}, "reason": "",
                       "decided_by": ["mia"]}) == []
    assert len(smtp.messages) == 12
    assert smtp.messages[0][1]["Subject"] == "Edited subject"
    logged = [a for a in demo.store.tables["activities"].values() if a.get("campaign") == "Winter webinar"]
    assert len(logged) == 12 and {a["type"] for a in logged} == {"campaign"}
    statuses = {w["status"] for w in run.outputs()["sent"]}
    assert statuses == {"done"}


def test_sales_report_computes_charts_investigates_and_emails_html_with_a_pdf(
        runner, client, fake_model, demo, smtp):
    fake_model.script([
        {"reasoning": "Check the biggest deal.", "tool_calls": [
            {"name": "demo__search_deals", "arguments": {"stage": "closed_won", "order_by": "-amount", "limit": 3}}]},
        {"content": "- Revenue moved because of a few large renewals.\n- Pipeline is concentrated in negotiation."}])
    run = runner(templates.load("sales_report"), model=client, connectors={"demo": demo, "email": smtp.connector})
    paused = run.start({"period_label": "Q3 2026", "period_from": "2026-07-01", "period_to": "2026-09-30",
                        "previous_from": "2026-04-01", "previous_to": "2026-06-30",
                        "recipients": ["ceo@farside-demo.example", "cfo@farside-demo.example"]})
    assert [(p["node_id"], p["tool"]) for p in paused] == [("send", "email.send")]
    assert paused[0]["arguments"]["to"] == ["ceo@farside-demo.example", "cfo@farside-demo.example"]
    assert run.resume({"decision": "approve", "arguments": paused[0]["arguments"], "reason": "",
                       "decided_by": ["cfo"]}) == []

    won = [d for d in demo.store.tables["deals"].values()
           if d["stage"] == "closed_won" and "2026-07-01" <= d["close_date"] <= "2026-09-30"]
    figures = run.outputs()["figures"]
    assert figures["won_amount"]["current"] == round(sum(d["amount"] for d in won), 6)
    assert figures["deals_won"]["current"] == len(won)
    assert run.outputs()["email"][0]["status"] == "done", run.outputs()["email"]
    [(recipients, message)] = smtp.messages
    assert sorted(recipients) == ["ceo@farside-demo.example", "cfo@farside-demo.example"]
    html = message.get_body(("html",)).get_content()
    assert "Won revenue by owner" in html and "data:image/png;base64," in html
    assert "large renewals" in html
    [pdf] = [part for part in message.iter_attachments()]
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    # The model was never asked to add up the figures: they came computed, as data (a tool result).
    first = fake_model.requests[0]["messages"]
    assert [m["role"] for m in first] == ["system", "user", "assistant", "tool"]
    assert json.dumps(figures["won_amount"])[:20] in first[3]["content"]
    assert json.dumps(figures["won_amount"])[:20] not in first[0]["content"] + first[1]["content"]


def test_approvers_of_an_email_see_the_attachment_name_and_the_report_is_stored_once(
        runner, client, fake_model, demo, smtp):
    fake_model.script([{"content": "- Nothing unusual."}])
    run = runner(templates.load("sales_report"), model=client, connectors={"demo": demo, "email": smtp.connector})
    paused = run.start({"period_from": "2026-07-01", "period_to": "2026-09-30", "previous_from": "2026-04-01",
                        "previous_to": "2026-06-30", "recipients": ["ceo@farside-demo.example"]})
    assert paused[0]["arguments"]["attachments"] == [{"$attachment": "sales_report.pdf"}]
    assert paused[0]["arguments"]["html"]["$artifact"]["media_type"] == "text/html"
    assert len(json.dumps(paused[0])) < 2000  # approvers get names and references, not the bytes
    run.resume({"decision": "approve", "arguments": paused[0]["arguments"], "reason": "", "decided_by": ["cfo"]})
    pdfs = [r for r in run.ctx.artifacts.refs() if r.media_type == "application/pdf"]
    assert len(pdfs) == 1
    attached = next(smtp.messages[0][1].iter_attachments())
    assert attached.get_content() == run.ctx.artifacts.get(pdfs[0].id)
