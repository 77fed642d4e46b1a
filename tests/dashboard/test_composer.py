"""The composer, the YAML view, versions with a diff, import and export, and usage."""

from __future__ import annotations

import pytest

import workflows
from apps.automations.models import Workflow
from apps.runs.services import run_create

from tests.support import advance_until_paused, workflow_from_template
from .helpers import post_form

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trivial(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    return workflow_from_template(actor, "trivial", seed_demo=False), signed_in(user), actor


def test_a_yaml_problem_is_shown_at_its_line_and_nothing_is_saved(trivial):
    workflow, browser, _ = trivial
    text = workflows.dump_yaml(workflow.current_version.spec).replace("type: transform", "type: teleport", 1)

    response = post_form(browser, f"/workflows/{workflow.pk}/yaml/", {"text": text, "action": "save"})

    html = response.content.decode()
    assert response.status_code == 400
    line = next(i + 1 for i, t in enumerate(text.splitlines()) if "teleport" in t)
    problem_at = html.index(f'id="L{line}"')
    assert 'class="ln bad"' in html[problem_at - 30:problem_at] and "nodes[0]" in html[problem_at:problem_at + 600]
    assert "teleport" in html, "the typed text is kept"
    assert workflow.versions.count() == 1


def test_broken_yaml_says_where_the_parser_stopped(trivial):
    workflow, browser, _ = trivial
    response = post_form(browser, f"/workflows/{workflow.pk}/yaml/", {"text": "nodes: [\n  - id: a\n", "action": "check"})
    assert response.status_code == 400 and 'class="problem"' in response.content.decode()


def test_saving_yaml_creates_a_version_and_the_versions_page_shows_the_diff(trivial):
    workflow, browser, _ = trivial
    text = workflows.dump_yaml(workflow.current_version.spec).replace("Hello, ", "Howdy, ")

    response = post_form(browser, f"/workflows/{workflow.pk}/yaml/", {"text": text, "note": "friendlier",
                                                                       "action": "save"})

    assert response.status_code == 302
    workflow.refresh_from_db()
    assert workflow.current_version.number == 2
    html = browser.get(f"/workflows/{workflow.pk}/versions/").content.decode()
    assert "friendlier" in html
    old_line = next(t for t in text.replace("Howdy, ", "Hello, ").splitlines() if "Hello, " in t)
    assert f'<div class="del">-{old_line}</div>' in html
    assert f'<div class="add">+{old_line.replace("Hello", "Howdy")}</div>' in html


def test_the_composer_adds_connects_and_removes_nodes_as_new_versions(trivial):
    workflow, browser, _ = trivial
    url = f"/workflows/{workflow.pk}/composer/"

    post_form(browser, url, {"action": "add", "add-node_id": "whisper", "add-type": "transform",
                             "add-after": "pack", "add-config": "template: '{{ results.greet | lower }}'"})
    workflow.refresh_from_db()
    spec = workflow.current_version.spec
    assert workflow.current_version.number == 2 and spec["nodes"][-1]["id"] == "whisper"
    assert {"from": "pack", "to": "whisper"} in spec["edges"]

    post_form(browser, url, {"action": "remove", "rm-node": "whisper"})
    workflow.refresh_from_db()
    assert [n["id"] for n in workflow.current_version.spec["nodes"]] == ["greet", "shout", "pack"]
    assert workflow.current_version.number == 3


def test_the_composer_refuses_a_change_that_breaks_the_workflow(trivial):
    workflow, browser, _ = trivial
    response = post_form(browser, f"/workflows/{workflow.pk}/composer/",
                         {"action": "configure", "cfg-node": "greet", "cfg-config": "nonsense_key: 1"},
                         HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 400 and "Not saved" in html and "nonsense_key" in html
    assert html.lstrip().startswith('<div id="composer"'), "htmx gets the composer partial only"
    workflow.refresh_from_db()
    assert workflow.current_version.number == 1


def test_a_workflow_exported_and_imported_under_a_new_name_is_the_same_spec(trivial):
    workflow, browser, _ = trivial
    exported = browser.get(f"/workflows/{workflow.pk}/export/")
    assert exported["Content-Disposition"].endswith('.yaml"')

    response = post_form(browser, "/workflows/import/", {"text": exported.content.decode(), "name": "Copy"})

    copy = Workflow.objects.get(name="Copy")
    assert response.status_code == 302 and copy.current_version.spec == workflow.current_version.spec


def test_an_invalid_import_shows_problems_at_their_lines(trivial):
    _, browser, _ = trivial
    text = "name: Broken\nspec:\n  spec_version: 1\n  name: broken\n  nodes:\n    - id: a\n      type: nope\n"
    response = post_form(browser, "/workflows/import/", {"text": text})
    html = response.content.decode()
    assert response.status_code == 400
    at = html.index('id="L7"')
    assert "nodes[0]" in html[at:at + 500]
    assert not Workflow.objects.filter(name="Broken").exists()


def test_an_import_that_is_not_yaml_is_refused_with_the_parsers_message(trivial):
    _, browser, _ = trivial
    response = post_form(browser, "/workflows/import/", {"text": "name: [unclosed\n  nodes: {\n"})
    assert response.status_code == 400
    assert "but got" in response.content.decode(), "the parser's own message is shown"


def test_usage_shows_runs_and_tokens_per_workflow_per_day(trivial):
    workflow, browser, actor = trivial
    from apps.runs.models import Run

    for _ in range(2):
        advance_until_paused(run_create(actor=actor, workflow_id=workflow.pk))
    Run.objects.update(prompt_tokens=1500, completion_tokens=500)
    html = browser.get("/usage/").content.decode()
    assert "<rect" in html and "trivial: 2" in html and "trivial: 4,000" in html
    assert "Slowest runs" in html and "4,000" in html
