"""Every page and partial needs a signed-in member, and another organization's objects are 404."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.automations.services import connection_create
from apps.runs.models import Approval, Artifact, Run
from apps.runs.services import run_create

from tests.support import advance_until_paused, workflow_from_template
from .helpers import post_form, viewer_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_orgs_objects(make_org, no_workers, fake_model):
    """Org B's workflow, paused run, pending approval, artifact and connection."""
    beta, _ = make_org("Beta")
    workflow = workflow_from_template(beta, "hello")
    run = advance_until_paused(run_create(actor=beta, workflow_id=workflow.pk, inputs={"account": "a"}))
    artifact = Artifact.objects.create(organization=beta.organization, run=run, name="r.md",
                                       media_type="text/markdown", size=2, content=b"# r")
    connection = connection_create(actor=beta, name="Mail", connector_type="email",
                                   settings={"host": "mail.example", "from_address": "a@b.example"},
                                   secrets={"password": "s3cret"})
    from apps.triggers.schedules import schedule_create
    from apps.triggers.services import webhook_endpoint_create

    schedule = schedule_create(actor=beta, workflow_id=workflow.pk, name="Mornings", cron_expression="0 8 * * 1-5")
    endpoint, _secret = webhook_endpoint_create(actor=beta, workflow_id=workflow.pk, source="hubspot",
                                                scheme="shared_token")
    return {"workflow": workflow, "run": run, "approval": Approval.objects.get(run=run), "artifact": artifact,
            "connection": connection, "schedule": schedule, "endpoint": endpoint}


def object_urls(o) -> list[str]:
    run = o["run"].pk
    return [
        f"/workflows/{o['workflow'].pk}/", f"/workflows/{o['workflow'].pk}/run/",
        f"/workflows/{o['workflow'].pk}/yaml/", f"/workflows/{o['workflow'].pk}/versions/",
        f"/workflows/{o['workflow'].pk}/export/", f"/workflows/{o['workflow'].pk}/composer/",
        f"/runs/{run}/", f"/runs/{run}/events/?after=0", f"/runs/{run}/events/?after=0&poll=1",
        f"/approvals/{o['approval'].pk}/",
        f"/artifacts/{o['artifact'].pk}/", f"/artifacts/{o['artifact'].pk}/preview/",
        f"/connections/{o['connection'].pk}/",
        f"/schedules/{o['schedule'].pk}/", f"/webhooks/{o['endpoint'].pk}/",
    ]


PAGES = ["/", "/workflows/", "/workflows/templates/", "/workflows/templates/hello/", "/workflows/import/",
         "/runs/", "/approvals/", "/connections/", "/connections/new/", "/members/", "/usage/", "/schedules/",
         "/schedules/new/", "/schedules/preview/?cron=0+8+*+*+1-5", "/webhooks/", "/webhooks/new/"]


def test_every_page_and_partial_sends_a_visitor_to_sign_in(other_orgs_objects):
    anonymous = Client()
    for url in PAGES + object_urls(other_orgs_objects):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_another_organizations_objects_are_not_found(make_org, signed_in, other_orgs_objects):
    _, user = make_org("Acme")
    browser = signed_in(user)
    for url in object_urls(other_orgs_objects):
        assert browser.get(url).status_code == 404, url
    for page in PAGES:
        assert browser.get(page).status_code == 200, page


def test_another_organizations_run_cannot_be_cancelled_or_approved(make_org, signed_in, other_orgs_objects):
    _, user = make_org("Acme")
    browser = signed_in(user)
    run, approval = other_orgs_objects["run"], other_orgs_objects["approval"]

    assert post_form(browser, f"/runs/{run.pk}/cancel/", {}, page_url="/runs/").status_code == 404
    connection = other_orgs_objects["connection"]
    assert post_form(browser, f"/connections/{connection.pk}/delete/", {}, page_url="/").status_code == 404
    connection.refresh_from_db()
    response = post_form(browser, f"/approvals/{approval.pk}/", {"decision": "approve", "arguments": "{}"},
                         page_url="/approvals/")
    assert response.status_code == 404
    run.refresh_from_db()
    approval.refresh_from_db()
    assert run.status == "waiting_approval" and approval.status == "pending"


def test_a_member_of_both_sees_each_organizations_objects_only_after_switching(make_org, signed_in,
                                                                               other_orgs_objects):
    from apps.accounts.models import Membership

    acme, user = make_org("Acme")
    Membership.objects.create(organization=other_orgs_objects["workflow"].organization, user=user, role="viewer")
    browser = signed_in(user)
    url = f"/runs/{other_orgs_objects['run'].pk}/"
    assert browser.get(url).status_code == 404, "Acme is chosen first (alphabetical)"

    post_form(browser, "/organizations/switch/", {"organization": other_orgs_objects["workflow"].organization_id,
                                                  "next": "/runs/"}, page_url="/runs/")
    assert browser.get(url).status_code == 200
    assert str(acme.organization.name) in browser.get("/runs/").content.decode(), "the switcher offers Acme"


def test_switching_to_an_organization_one_is_not_in_is_not_found(make_org, signed_in, other_orgs_objects):
    _, user = make_org("Acme")
    browser = signed_in(user)
    response = post_form(browser, "/organizations/switch/",
                         {"organization": other_orgs_objects["workflow"].organization_id}, page_url="/")
    assert response.status_code == 404


def test_a_viewer_cannot_start_or_cancel_runs(make_org, signed_in, no_workers):
    owner, _ = make_org("Acme")
    viewer = viewer_of(owner)
    workflow = workflow_from_template(owner, "trivial", seed_demo=False)
    browser = signed_in(viewer)

    assert "Run now" not in browser.get(f"/workflows/{workflow.pk}/").content.decode(), "no button that would fail"
    response = post_form(browser, f"/workflows/{workflow.pk}/run/", {"name": "Ada"})
    assert response.status_code == 403
    assert not Run.objects.exists()


def test_a_viewer_is_told_another_organizations_objects_do_not_exist_and_refused_its_own(
        make_org, signed_in, other_orgs_objects):
    owner, _ = make_org("Acme")
    viewer = viewer_of(owner)
    connection = connection_create(actor=owner, name="Mail", connector_type="email",
                                   settings={"host": "mail.example", "from_address": "a@b.example"},
                                   secrets={"password": "s3cret"})
    workflow = workflow_from_template(owner, "trivial", seed_demo=False)
    theirs = other_orgs_objects
    browser = signed_in(viewer)

    for url in (f"/runs/{theirs['run'].pk}/cancel/", f"/connections/{theirs['connection'].pk}/check/",
                f"/connections/{theirs['connection'].pk}/delete/", f"/workflows/{theirs['workflow'].pk}/delete/"):
        assert post_form(browser, url, {}, page_url="/").status_code == 404, url
    for url in (f"/connections/{connection.pk}/check/", f"/connections/{connection.pk}/delete/",
                f"/workflows/{workflow.pk}/delete/"):
        assert post_form(browser, url, {}, page_url="/").status_code == 403, url
    connection.refresh_from_db()
    assert connection.last_tested_at is None


def test_a_viewer_cannot_remove_schedules_or_rotate_webhook_secrets_of_any_organization(
        make_org, signed_in, other_orgs_objects):
    from apps.triggers.models import Schedule, WebhookEndpoint
    from apps.triggers.schedules import schedule_create
    from apps.triggers.services import webhook_endpoint_create

    owner, _ = make_org("Acme")
    viewer = viewer_of(owner)
    workflow = workflow_from_template(owner, "trivial", seed_demo=False)
    schedule = schedule_create(actor=owner, workflow_id=workflow.pk, name="Nightly", cron_expression="0 2 * * *")
    endpoint, _secret = webhook_endpoint_create(actor=owner, workflow_id=workflow.pk, source="zoho",
                                                scheme="shared_token")
    theirs = other_orgs_objects
    secrets_before = {e.pk: bytes(e.secrets_encrypted) for e in WebhookEndpoint.objects.all()}
    browser = signed_in(viewer)

    for url in (f"/schedules/{theirs['schedule'].pk}/delete/", f"/webhooks/{theirs['endpoint'].pk}/rotate/"):
        assert post_form(browser, url, {}, page_url="/").status_code == 404, url
    for url in (f"/schedules/{schedule.pk}/delete/", f"/webhooks/{endpoint.pk}/rotate/"):
        assert post_form(browser, url, {}, page_url="/").status_code == 403, url
    assert Schedule.objects.count() == 2
    assert {e.pk: bytes(e.secrets_encrypted) for e in WebhookEndpoint.objects.all()} == secrets_before


def test_posts_without_the_csrf_token_are_refused(make_org, signed_in, no_workers):
    owner, user = make_org("Acme")
    workflow = workflow_from_template(owner, "trivial", seed_demo=False)
    browser = signed_in(user)
    assert browser.post(f"/workflows/{workflow.pk}/run/", {"name": "Ada"}).status_code == 403
    assert not Run.objects.exists()
