"""Runs through the API: start with an idempotency key, list, follow events, cancel, download."""

from __future__ import annotations

import pytest

from apps.automations.services import workflow_create
from apps.runs.models import Run, RunStatus
from apps.runs.ports import DbArtifactStore
from apps.runs.services import run_create
from tests.support import advance_until_paused
import workflows.templates

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trivial(acme):
    return workflow_create(actor=acme, name="trivial", spec=workflows.templates.load("trivial"))


def test_starting_a_run_twice_with_one_idempotency_key_starts_one_run(owner_api, trivial, no_workers):
    body = {"workflow": trivial.pk, "inputs": {"name": "Ada"}}
    first = owner_api.post("/api/v1/runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    again = owner_api.post("/api/v1/runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")

    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["trigger"] == "api" and first.json()["status"] == "queued"
    assert Run.objects.count() == 1


def test_reusing_an_idempotency_key_for_other_inputs_is_a_conflict(owner_api, trivial, no_workers):
    owner_api.post("/api/v1/runs/", {"workflow": trivial.pk, "inputs": {"name": "A"}}, format="json",
                   HTTP_IDEMPOTENCY_KEY="k")
    response = owner_api.post("/api/v1/runs/", {"workflow": trivial.pk, "inputs": {"name": "B"}}, format="json",
                              HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert Run.objects.count() == 1


def test_inputs_that_do_not_match_the_schema_are_refused_with_their_path(owner_api, trivial, no_workers):
    response = owner_api.post("/api/v1/runs/", {"workflow": trivial.pk, "inputs": {"name": 12}}, format="json")

    assert response.status_code == 400
    assert [p["path"] for p in response.json()["error"]["problems"]] == ["inputs.name"]
    assert not Run.objects.exists()


def test_runs_are_listed_newest_first_with_filters(acme, owner_api, trivial, no_workers):
    runs = [run_create(actor=acme, workflow_id=trivial.pk) for _ in range(3)]
    run_create(actor=acme, workflow_id=trivial.pk, trigger="cli")

    listed = owner_api.get("/api/v1/runs/?trigger=dashboard&limit=2")
    page = listed.json()
    assert [r["id"] for r in page["results"]] == [str(runs[2].pk), str(runs[1].pk)]
    rest = owner_api.get(page["next"]).json()
    assert [r["id"] for r in rest["results"]] == [str(runs[0].pk)] and rest["next"] is None
    assert owner_api.get("/api/v1/runs/?status=nonsense").status_code == 400


def test_events_are_read_incrementally_with_a_cursor(acme, owner_api, trivial, no_workers):
    run = advance_until_paused(run_create(actor=acme, workflow_id=trivial.pk, inputs={"name": "Bo"}))
    assert run.status == RunStatus.SUCCEEDED

    first = owner_api.get(f"/api/v1/runs/{run.pk}/events/?limit=3").json()
    assert [e["seq"] for e in first["results"]] == [1, 2, 3] and first["next_after"] == 3
    rest = owner_api.get(f"/api/v1/runs/{run.pk}/events/?after={first['next_after']}").json()
    assert rest["results"][0]["seq"] == 4 and rest["results"][-1]["kind"] == "run.finished"
    assert rest["finished"] is True
    empty = owner_api.get(f"/api/v1/runs/{run.pk}/events/?after={rest['next_after']}").json()
    assert empty["results"] == [] and empty["next_after"] == rest["next_after"]


def test_cancelling_a_queued_run_ends_it_and_a_second_cancel_is_a_conflict(acme, owner_api, trivial, no_workers):
    run = run_create(actor=acme, workflow_id=trivial.pk)

    response = owner_api.post(f"/api/v1/runs/{run.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert owner_api.post(f"/api/v1/runs/{run.pk}/cancel/").status_code == 409


def test_an_artifact_downloads_with_its_media_type(acme, owner_api, trivial, no_workers):
    run = run_create(actor=acme, workflow_id=trivial.pk)
    ref = DbArtifactStore(run).put(name="report.csv", content=b"a,b\n1,2\n", media_type="text/csv")

    listed = owner_api.get(f"/api/v1/runs/{run.pk}/artifacts/").json()
    assert [a["name"] for a in listed] == ["report.csv"]
    response = owner_api.get(f"/api/v1/artifacts/{ref.id}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert response.content == b"a,b\n1,2\n"


def test_an_approval_is_decided_with_edited_arguments(acme, owner_api, no_workers, fake_model):
    from tests.support import workflow_from_template

    workflow = workflow_from_template(acme, "hello")
    run = advance_until_paused(run_create(actor=acme, workflow_id=workflow.pk, inputs={"account": "a"}))
    pending = owner_api.get("/api/v1/approvals/").json()["results"]
    assert [a["run"] for a in pending] == [str(run.pk)]

    decided = owner_api.post(f"/api/v1/approvals/{pending[0]['id']}/decision/",
                             {"approve": True, "arguments": {"body": "Edited"}, "reason": "tone"}, format="json")
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "approved" and decided.json()["edited_arguments"] == {"body": "Edited"}
    assert owner_api.get("/api/v1/approvals/").json()["results"] == []
    assert owner_api.post(f"/api/v1/approvals/{pending[0]['id']}/decision/", {"approve": False},
                          format="json").status_code == 409
