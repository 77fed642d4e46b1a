"""Forms reject bad input with a message next to the field and keep what the user typed."""

from __future__ import annotations

import re

import pytest

from apps.automations.models import Connection, Workflow
from apps.automations.services import connection_create
from apps.runs.models import Approval, Run
from apps.runs.services import run_create

from tests.support import advance_until_paused, workflow_from_template
from .helpers import post_form

pytestmark = pytest.mark.django_db(transaction=True)


def error_after(html: str, field: str) -> str:
    """The error message rendered in the field block of ``field``."""
    block = re.search(rf'<div class="field has-error">(?:(?!<div class="field).)*?name="{field}".*?'
                      rf'<p class="error"[^>]*>(.*?)</p>', html, re.S)
    return block.group(1) if block else ""


def test_the_run_form_puts_a_schema_problem_next_to_its_field_and_keeps_the_rest(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "marketing_campaign")
    browser = signed_in(user)

    response = post_form(browser, f"/workflows/{workflow.pk}/run/",
                         {"campaign": "Winter renewals", "goal": "", "max_recipients": "0"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "required" in error_after(html, "goal").lower()
    assert "greater than or equal to 1" in error_after(html, "max_recipients")
    assert 'value="Winter renewals"' in html
    assert not Run.objects.exists()


def test_the_run_form_is_generated_from_the_input_schema(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "meeting_summary")
    html = signed_in(user).get(f"/workflows/{workflow.pk}/run/").content.decode()
    assert '<textarea name="transcript"' in html and 'type="file" name="transcript__file"' in html
    assert 'type="date" name="meeting_date"' in html
    assert 'type="checkbox" name="notify_slack"' in html and "checked" in html
    assert 'name="title" value="Meeting"' in html, "the schema's default is filled in"


def test_a_transcript_can_be_uploaded_as_a_file(make_org, signed_in, no_workers):
    from django.core.files.uploadedfile import SimpleUploadedFile

    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "meeting_summary")
    browser = signed_in(user)
    upload = SimpleUploadedFile("call.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n".encode())

    response = post_form(browser, f"/workflows/{workflow.pk}/run/",
                         {"transcript": "", "transcript__file": upload, "meeting_date": "2026-10-30"})

    assert response.status_code == 302
    assert Run.objects.get().inputs["transcript"].startswith("WEBVTT")


def test_a_workflow_name_already_taken_is_refused_at_the_name(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    workflow_from_template(actor, "trivial", name="Daily report", seed_demo=False)
    browser = signed_in(user)

    response = post_form(browser, "/workflows/templates/trivial/",
                         {"name": "Daily report", "description": "for the team", "write_policy": "approve",
                          "required_approvers": "1", "inputs-name": "Ada"})

    html = response.content.decode()
    assert response.status_code == 400 and "already exists" in error_after(html, "name")
    assert "for the team" in html and 'value="Ada"' in html
    assert Workflow.objects.count() == 1


def test_creating_from_a_template_saves_the_chosen_settings(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    browser = signed_in(user)
    response = post_form(browser, "/workflows/templates/trivial/",
                         {"name": "Greeter", "write_policy": "deny", "required_approvers": "2", "inputs-name": "Ada"})
    workflow = Workflow.objects.get(name="Greeter")
    assert response.status_code == 302 and response["Location"] == f"/workflows/{workflow.pk}/"
    spec = workflow.current_version.spec
    assert spec["inputs"]["properties"]["name"]["default"] == "Ada"
    assert spec["write_policy"]["default"] == "deny" and spec["write_policy"]["required_approvers"] == 2
    assert workflow.template == "trivial"


def test_approval_arguments_that_are_not_json_are_refused_and_kept(make_org, signed_in, no_workers, fake_model):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "hello")
    run = advance_until_paused(run_create(actor=actor, workflow_id=workflow.pk, inputs={"account": "a"}))
    approval = Approval.objects.get(run=run)
    browser = signed_in(user)

    response = post_form(browser, f"/approvals/{approval.pk}/", {"decision": "approve", "arguments": '{"body": '})
    html = response.content.decode()
    assert response.status_code == 400 and "not valid JSON" in error_after(html, "arguments")
    assert "{&quot;body&quot;: </textarea>" in html

    response = post_form(browser, f"/approvals/{approval.pk}/", {"decision": "reject", "reason": ""})
    assert "Say why" in error_after(response.content.decode(), "reason")
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_an_approval_shows_the_reasoning_and_records_an_edited_argument(make_org, signed_in, no_workers,
                                                                         fake_model):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "hello")
    run = advance_until_paused(run_create(actor=actor, workflow_id=workflow.pk, inputs={"account": "a"}))
    approval = Approval.objects.get(run=run)
    browser = signed_in(user)
    page = browser.get(f"/approvals/{approval.pk}/").content.decode()
    assert "Save the greeting as a note?" in page and "1 of 1 required approvals" not in page
    assert "0 of 1 required approvals" in page

    response = post_form(browser, f"/approvals/{approval.pk}/",
                         {"decision": "approve", "arguments": '{"body": "Hi from a person"}', "reason": "tone"})

    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    approval.refresh_from_db()
    assert approval.status == "approved" and approval.edited_arguments == {"body": "Hi from a person"}


def test_a_connection_with_bad_settings_is_refused_and_the_secret_is_not_echoed(make_org, signed_in):
    _, user = make_org("Acme")
    browser = signed_in(user)
    response = post_form(browser, "/connections/new/",
                         {"name": "Office mail", "connector_type": "email", "settings": "{host: nope",
                          "secret_name_0": "password", "secret_value_0": "hunter2-secret"})
    html = response.content.decode()
    assert response.status_code == 400 and "not valid JSON" in error_after(html, "settings")
    assert 'value="Office mail"' in html and "hunter2-secret" not in html
    assert not Connection.objects.exists()


def test_a_second_connection_with_the_same_name_is_refused_next_to_the_name(make_org, signed_in):
    actor, user = make_org("Acme")
    connection_create(actor=actor, name="CRM", connector_type="http", settings={}, secrets={})
    browser = signed_in(user)
    response = post_form(browser, "/connections/new/", {"name": "CRM", "connector_type": "http", "settings": "{}"})
    html = response.content.decode()
    assert response.status_code == 400 and "already exists" in error_after(html, "name")
    assert Connection.objects.count() == 1


def test_a_saved_connections_secret_is_never_shown_again(make_org, signed_in):
    _, user = make_org("Acme")
    browser = signed_in(user)
    response = post_form(browser, "/connections/new/",
                         {"name": "Office mail", "connector_type": "email",
                          "settings": '{"host": "mail.example", "from_address": "a@acme.example"}',
                          "secret_name_0": "password", "secret_value_0": "hunter2-secret"})
    assert response.status_code == 302
    for url in [response["Location"], "/connections/"]:
        html = browser.get(url).content.decode()
        assert "Office mail" in html and "hunter2-secret" not in html and "password" in html

    connection = Connection.objects.get()
    post_form(browser, f"/connections/{connection.pk}/",
              {"secret_name_0": "password", "secret_value_0": "rotated-secret"})
    from apps.automations.crypto import decrypt_secrets

    connection.refresh_from_db()
    assert decrypt_secrets(connection.secrets_encrypted) == {"password": "rotated-secret"}
    assert "rotated-secret" not in browser.get(f"/connections/{connection.pk}/").content.decode()


def test_signing_in_with_a_wrong_password_keeps_the_username(make_org):
    from django.test import Client

    _, user = make_org("Acme")
    browser = Client(enforce_csrf_checks=True)
    response = post_form(browser, "/accounts/login/", {"username": user.username, "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200 and "correct username and password" in html
    assert f'value="{user.username}"' in html


def test_a_password_reset_link_is_sent_by_email(make_org, mailoutbox):
    from django.test import Client

    _, user = make_org("Acme")
    user.email = "owner@acme.example"
    user.save()
    response = post_form(Client(enforce_csrf_checks=True), "/accounts/password_reset/",
                         {"email": "owner@acme.example"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body


def test_a_connection_can_be_checked_and_deleted(make_org, signed_in):
    from apps.accounts.models import AuditEntry

    _, user = make_org("Acme")
    browser = signed_in(user)
    post_form(browser, "/connections/new/", {"name": "Office mail", "connector_type": "email",
                                             "settings": '{"host": "mail.example", "from_address": "a@acme.example"}',
                                             "secret_name_0": "password", "secret_value_0": "pw"})
    connection = Connection.objects.get()
    checked = post_form(browser, f"/connections/{connection.pk}/check/", {}, page_url="/connections/", follow=True)
    connection.refresh_from_db()
    from django.utils.html import escape

    assert connection.last_tested_at is not None and connection.last_test_ok is False  # mail.example is not a mail server
    assert escape(connection.last_test_message) in checked.content.decode()

    response = post_form(browser, f"/connections/{connection.pk}/delete/", {}, page_url="/connections/")
    assert response.status_code == 302 and not Connection.objects.exists()
    assert AuditEntry.objects.filter(action="connection.delete").count() == 1
