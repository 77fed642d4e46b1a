"""Deleting a workflow from its page: a confirmed POST with CSRF; the workflow leaves the
lists, its runs stay readable, and only roles that may edit see or use the button."""

from __future__ import annotations

import pytest

from apps.runs.services import run_create

from tests.support import advance_until_paused, workflow_from_template
from .helpers import post_form, viewer_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_owner_deletes_a_workflow_after_confirming_and_its_runs_stay(make_org, signed_in, no_workers):
    owner, user = make_org("Acme")
    workflow = workflow_from_template(owner, "trivial", seed_demo=False)
    run = advance_until_paused(run_create(actor=owner, workflow_id=workflow.pk, inputs={"name": "Ada"}))
    browser = signed_in(user)
    page = browser.get(f"/workflows/{workflow.pk}/").content.decode()
    assert f'action="/workflows/{workflow.pk}/delete/"' in page and "return confirm(" in page

    response = post_form(browser, f"/workflows/{workflow.pk}/delete/", {}, page_url=f"/workflows/{workflow.pk}/",
                         follow=True)

    assert response.redirect_chain[-1][0] == "/workflows/"
    assert "deleted" in response.content.decode()
    assert f"/workflows/{workflow.pk}/" not in response.content.decode()
    assert browser.get(f"/workflows/{workflow.pk}/").status_code == 404
    run_page = browser.get(f"/runs/{run.pk}/")
    assert run_page.status_code == 200
    assert f'href="/workflows/{workflow.pk}/"' not in run_page.content.decode(), "no link to a page that is gone"
    assert browser.get("/runs/").content.decode().count(str(run.pk)[:8]) >= 1


def test_a_delete_without_the_csrf_token_is_refused(make_org, signed_in, no_workers):
    owner, user = make_org("Acme")
    workflow = workflow_from_template(owner, "trivial", seed_demo=False)

    assert signed_in(user).post(f"/workflows/{workflow.pk}/delete/").status_code == 403
    assert signed_in(user).get(f"/workflows/{workflow.pk}/").status_code == 200


def test_a_viewer_sees_no_delete_button_and_cannot_delete(make_org, signed_in, no_workers):
    owner, _ = make_org("Acme")
    viewer = viewer_of(owner)
    workflow = workflow_from_template(owner, "trivial", seed_demo=False)
    browser = signed_in(viewer)

    assert "/delete/" not in browser.get(f"/workflows/{workflow.pk}/").content.decode()
    assert post_form(browser, f"/workflows/{workflow.pk}/delete/", {},
                     page_url=f"/workflows/{workflow.pk}/").status_code == 403
    assert browser.get(f"/workflows/{workflow.pk}/").status_code == 200


def test_another_organizations_workflow_cannot_be_deleted(make_org, signed_in, no_workers):
    theirs, _ = make_org("Theirs")
    _, user = make_org("Ours")
    workflow = workflow_from_template(theirs, "trivial", seed_demo=False)

    assert post_form(signed_in(user), f"/workflows/{workflow.pk}/delete/", {}, page_url="/workflows/").status_code == 404
    workflow.refresh_from_db()
    assert workflow.archived_at is None
