"""The management commands a newcomer and an operator use."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from apps.automations.models import Workflow
from apps.runs.models import Run

pytestmark = pytest.mark.django_db(transaction=True)


def run_command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_setup_creates_an_org_a_user_and_a_workflow_per_template():
    import workflows.templates

    first = run_command("demo_setup")
    assert "Demo Company" in first
    assert Workflow.objects.count() == len(workflows.templates.names())
    run_command("demo_setup")
    assert Workflow.objects.count() == len(workflows.templates.names()), "running it again adds nothing"


def test_run_workflow_waits_and_prints_status_outputs_and_the_trace(settings, no_workers):
    settings.RUN_EXECUTION = "inprocess"
    run_command("demo_setup")
    out = run_command("run_workflow", "Trivial", "--input", "name=Lin", "--wait")
    assert "status: succeeded" in out
    assert "HELLO, LIN!" in out
    run = Run.objects.get()
    assert f"/runs/{run.pk}/" in out
    trace = run_command("show_run", str(run.pk))
    assert "run.started" in trace and "run.finished" in trace


def test_run_workflow_rejects_bad_inputs_with_their_path(no_workers):
    run_command("demo_setup")
    with pytest.raises(CommandError, match="inputs.name"):
        run_command("run_workflow", "Trivial", "--input", "name=12")
    with pytest.raises(CommandError, match="not found"):
        run_command("run_workflow", "No such workflow")
    with pytest.raises(CommandError, match="key=value"):
        run_command("run_workflow", "Trivial", "--input", "oops")
    assert not Run.objects.exists()


def test_export_then_import_round_trips_a_workflow(tmp_path, no_workers):
    run_command("demo_setup")
    exported = run_command("export_workflow", "Trivial")
    path = tmp_path / "trivial.yaml"
    path.write_text(exported)
    out = run_command("import_workflow", str(path), "--name", "Trivial copy")
    assert "version 1" in out
    copy = Workflow.objects.get(name="Trivial copy")
    assert copy.current_version.spec == Workflow.objects.get(name="Trivial").current_version.spec
    assert run_command("export_workflow", "Trivial copy").replace("Trivial copy", "Trivial") == exported


def test_import_reports_every_problem_of_a_broken_file(tmp_path, no_workers):
    run_command("demo_setup")
    path = tmp_path / "broken.yaml"
    path.write_text("name: Broken\nspec:\n  spec_version: 1\n  colour: red\n  nodes:\n    - {id: a, type: nope}\n")
    with pytest.raises(CommandError) as caught:
        run_command("import_workflow", str(path))
    message = str(caught.value)
    assert "nodes[0].type: unknown node type 'nope'" in message
    assert "colour" in message, "every problem is listed, not just the first"
    assert not Workflow.objects.filter(name="Broken").exists()


def test_import_of_a_file_that_is_not_yaml_says_so(tmp_path, no_workers):
    run_command("demo_setup")
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n  nodes: {\n")
    with pytest.raises(CommandError, match="the YAML file is invalid"):
        run_command("import_workflow", str(path))
