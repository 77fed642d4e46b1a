"""Another organization's objects do not exist for you: every read and write says not found."""

from __future__ import annotations

import pytest

from apps.accounts.actors import actor_for_user
from apps.accounts.selectors import audit_list
from apps.automations.selectors import connection_get, workflow_get, workflow_version_get
from apps.automations.services import connection_create, connection_rotate_secrets, workflow_update_spec
from apps.common.errors import NotFound, PermissionDenied
from apps.demo.store import DjangoDemoStore
from apps.runs.models import Approval
from apps.runs.selectors import approval_get, artifact_get, run_events, run_get, run_list
from apps.runs.services import approval_decide, run_cancel, run_create

from tests.support import advance_until_paused, workflow_from_template

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_orgs(make_org, no_workers, fake_model):
    acme, _ = make_org("Acme")
    globex, globex_user = make_org("Globex")
    workflow = workflow_from_template(acme, "hello")
    run = advance_until_paused(run_create(actor=acme, workflow_id=workflow.pk, inputs={"account": "a"}))
    connection = connection_create(actor=acme, name="crm", connector_type="demo", settings={},
                                   secrets={"token": "s3cret-acme"})
    from apps.runs.ports import DbArtifactStore

    artifact = DbArtifactStore(run).put(name="r.md", content=b"# report", media_type="text/markdown")
    return acme, globex, globex_user, workflow, run, connection, artifact


def test_reads_of_another_organizations_objects_are_not_found(two_orgs):
    acme, globex, _, workflow, run, connection, artifact = two_orgs
    approval = Approval.objects.get(run=run)
    reads = [
        lambda: workflow_get(actor=globex, workflow_id=workflow.pk),
        lambda: workflow_version_get(actor=globex, version_id=workflow.current_version_id),
        lambda: connection_get(actor=globex, connection_id=connection.pk),
        lambda: run_get(actor=globex, run_id=run.pk),
        lambda: run_events(run=run_get(actor=globex, run_id=run.pk)),
        lambda: approval_get(actor=globex, approval_id=approval.pk),
        lambda: artifact_get(actor=globex, artifact_id=artifact.id),
    ]
    for read in reads:
        with pytest.raises(NotFound):
            read()
    assert not run_list(actor=globex).exists()
    assert not audit_list(actor=globex).filter(organization=acme.organization).exists()
    # and the owner still sees them all
    assert run_get(actor=acme, run_id=run.pk) == run


def test_writes_to_another_organizations_objects_are_not_found_and_change_nothing(two_orgs):
    acme, globex, _, workflow, run, connection, _ = two_orgs
    approval = Approval.objects.get(run=run)
    writes = [
        lambda: run_create(actor=globex, workflow_id=workflow.pk, inputs={"account": "a"}),
        lambda: run_cancel(actor=globex, run_id=run.pk),
        lambda: approval_decide(actor=globex, approval_id=approval.pk, approve=True),
        lambda: workflow_update_spec(actor=globex, workflow=workflow, spec=workflow.current_version.spec | {"title": "x"}),
        lambda: connection_rotate_secrets(actor=globex, connection=connection, secrets={"token": "stolen"}),
    ]
    for write in writes:
        with pytest.raises(NotFound):
            write()
    run.refresh_from_db()
    approval.refresh_from_db()
    assert run.status == "waiting_approval" and approval.status == "pending"
    assert workflow.versions.count() == 1


def test_a_user_is_not_an_actor_in_an_organization_they_do_not_belong_to(two_orgs):
    acme, _, globex_user, *_ = two_orgs
    with pytest.raises(NotFound):
        actor_for_user(user=globex_user, organization_id=acme.organization.pk)


def test_demo_crm_records_are_scoped_to_their_organization(two_orgs):
    acme, globex, *_ = two_orgs
    assert DjangoDemoStore(acme.organization.pk).list("accounts", limit=1).records
    assert DjangoDemoStore(globex.organization.pk).list("accounts", limit=1).records == []


def test_roles_limit_what_members_may_do(make_org, no_workers, fake_model):
    owner, _ = make_org("Initech")
    workflow = workflow_from_template(owner, "hello")
    from apps.accounts.models import Membership
    from apps.accounts.services import user_create

    viewer_user = user_create(username="viewer-initech", password="pw-123456789")
    Membership.objects.create(organization=owner.organization, user=viewer_user, role="viewer")
    viewer = actor_for_user(user=viewer_user, organization_id=owner.organization.pk)
    with pytest.raises(PermissionDenied):
        run_create(actor=viewer, workflow_id=workflow.pk, inputs={"account": "a"})
    with pytest.raises(PermissionDenied):
        connection_create(actor=viewer, name="x", connector_type="demo", settings={}, secrets={})

    run = advance_until_paused(run_create(actor=owner, workflow_id=workflow.pk, inputs={"account": "a"}))
    approval = Approval.objects.get(run=run)
    with pytest.raises(PermissionDenied):
        approval_decide(actor=viewer, approval_id=approval.pk, approve=True)
