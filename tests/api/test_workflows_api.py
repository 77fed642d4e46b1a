"""Workflows through the API: create, update as new versions, page, export and import."""

from __future__ import annotations

import pytest
import workflows.templates

pytestmark = pytest.mark.django_db(transaction=True)


def trivial_spec() -> dict:
    return workflows.templates.load("trivial")


def test_creating_a_workflow_returns_it_with_its_first_version(owner_api):
    response = owner_api.post("/api/v1/workflows/", {"name": "Greeter", "spec": trivial_spec()}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Greeter" and body["current_version"]["number"] == 1


def test_an_invalid_spec_is_refused_with_every_problem_and_its_path(owner_api):
    spec = trivial_spec()
    spec["nodes"][0]["type"] = "no-such-node"
    response = owner_api.post("/api/v1/workflows/", {"name": "Broken", "spec": spec}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["problems"]
    assert all(p["path"] for p in error["problems"])


def test_updating_a_workflow_adds_a_version_and_keeps_the_old_one(owner_api):
    workflow = owner_api.post("/api/v1/workflows/", {"name": "G", "spec": trivial_spec()}, format="json").json()
    spec = trivial_spec()
    spec["description"] = "changed"

    response = owner_api.post(f"/api/v1/workflows/{workflow['id']}/versions/", {"spec": spec, "note": "tweak"},
                              format="json")
    assert response.status_code == 201 and response.json()["number"] == 2

    versions = owner_api.get(f"/api/v1/workflows/{workflow['id']}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    first = owner_api.get(f"/api/v1/workflows/{workflow['id']}/versions/1/").json()
    assert first["spec"]["description"] == trivial_spec()["description"]
    assert owner_api.get(f"/api/v1/workflows/{workflow['id']}/").json()["current_version"]["number"] == 2


def test_the_list_is_paged_with_cursors_that_visit_every_workflow_once(owner_api):
    for i in range(5):
        owner_api.post("/api/v1/workflows/", {"name": f"W{i}", "spec": trivial_spec()}, format="json")

    seen, url = [], "/api/v1/workflows/?limit=2"
    while url:
        page = owner_api.get(url).json()
        assert len(page["results"]) <= 2
        seen += [w["name"] for w in page["results"]]
        url = page["next"]
    assert seen == ["W0", "W1", "W2", "W3", "W4"]


def test_a_workflow_exported_as_yaml_imports_back_as_a_new_workflow(owner_api):
    workflow = owner_api.post("/api/v1/workflows/", {"name": "Orig", "spec": trivial_spec()}, format="json").json()
    export = owner_api.get(f"/api/v1/workflows/{workflow['id']}/export/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/yaml")
    text = export.content.decode()
    assert "name: Orig" in text

    imported = owner_api.post("/api/v1/workflows/import/", {"yaml": text, "name": "Copy"}, format="json")
    assert imported.status_code == 201, imported.content
    assert imported.json()["name"] == "Copy" and imported.json()["current_version"]["checksum"] == \
        workflow["current_version"]["checksum"]


def test_deleting_a_workflow_answers_204_then_it_is_gone_but_its_runs_stay(owner_api, no_workers):
    workflow = owner_api.post("/api/v1/workflows/", {"name": "G", "spec": trivial_spec()}, format="json").json()
    run = owner_api.post("/api/v1/runs/", {"workflow": workflow["id"], "inputs": {"name": "Ada"}}, format="json").json()

    response = owner_api.delete(f"/api/v1/workflows/{workflow['id']}/")

    assert response.status_code == 204 and not response.content
    assert owner_api.get(f"/api/v1/workflows/{workflow['id']}/").status_code == 404
    assert owner_api.delete(f"/api/v1/workflows/{workflow['id']}/").status_code == 404
    assert owner_api.get("/api/v1/workflows/").json()["results"] == []
    refused = owner_api.post("/api/v1/runs/", {"workflow": workflow["id"]}, format="json")
    assert refused.status_code == 404 and "deleted" in refused.json()["error"]["message"]
    assert owner_api.get(f"/api/v1/runs/{run['id']}/").json()["workflow_name"] == "G"
    assert [r["id"] for r in owner_api.get("/api/v1/runs/").json()["results"]] == [run["id"]]


def test_an_editor_may_delete_a_workflow_and_a_viewer_may_not(make_org, api_client, no_workers):
    from apps.automations.services import workflow_create

    owner, _ = make_org("Acme")
    workflow = workflow_create(actor=owner, name="G", spec=trivial_spec())

    viewer = api_client(owner, role="viewer")
    refused = viewer.delete(f"/api/v1/workflows/{workflow.pk}/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert api_client(owner, role="editor").delete(f"/api/v1/workflows/{workflow.pk}/").status_code == 204
