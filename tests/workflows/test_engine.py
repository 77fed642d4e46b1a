import pytest

import workflows
from workflows import templates


def spec(nodes, edges=(), **extra):
    return {"spec_version": 1, "name": "t", "nodes": nodes, "edges": list(edges), **extra}


def test_trivial_template_runs_three_transforms_to_its_output(runner):
    run = runner(templates.load("trivial"))
    assert run.start({"name": "Ada"}) == []
    assert run.outputs() == {"result": {"greeting": "Hello, Ada!", "loud": "HELLO, ADA!", "length": 11}}
    assert [e.node_id for e in run.events("node.finished")] == ["greet", "shout", "pack"]


def test_initial_state_reports_every_invalid_input_with_its_path():
    s = workflows.load_spec(spec([{"id": "a", "type": "transform", "config": {"template": "x"}}], inputs={
        "type": "object", "required": ["period"],
        "properties": {"period": {"type": "string"}, "emails": {"type": "array", "items": {"type": "string",
                                                                                           "format": "email"}}}}))
    with pytest.raises(workflows.InputError) as caught:
        workflows.initial_state(s, {"emails": ["ok@example.com", "not-an-email"]})
    assert {(e.path, e.message.split(" ")[0]) for e in caught.value.errors} == {
        ("inputs", "'period'"), ("inputs.emails[1]", "'not-an-email'")}


def test_hello_pauses_for_approval_then_writes_the_edited_note(runner, client):
    run = runner(templates.load("hello"), model=client)
    paused = run.start({"account": "a"})
    assert [p["kind"] for p in paused] == ["approval"]
    assert paused[0]["node_id"] == "confirm" and paused[0]["idempotency_key"] == f"{run.ctx.run_id}:confirm:approval"
    assert run.resume({"decision": "approve", "arguments": {"body": "Hello from Ada"}, "reason": "",
                       "decided_by": ["ada"]}) == []
    writes = run.outputs()["note"]
    assert writes[0]["status"] == "done"
    assert writes[0]["result"]["record"]["body"] == "Hello from Ada"


def test_a_rejected_approval_fails_the_run_with_the_reason(runner, client):
    run = runner(templates.load("hello"), model=client)
    run.start({"account": "a"})
    with pytest.raises(workflows.NodeError, match="rejected by bob: tone"):
        run.resume({"decision": "reject", "arguments": {}, "reason": "tone", "decided_by": ["bob"]})
    assert not run.events("tool.call")


def test_approval_waits_for_the_required_number_of_distinct_approvers(runner):
    run = runner(spec([{"id": "ok", "type": "approval",
                        "config": {"title": "Go?", "required_approvers": 2, "arguments": {"x": 1}}}]))
    run.start()
    again = run.resume({"decision": "approve", "arguments": {"x": 2}, "reason": "", "decided_by": ["ann"]})
    assert again[0]["approved_by"] == ["ann"] and again[0]["arguments"] == {"x": 2}
    assert run.resume({"decision": "approve", "arguments": {"x": 2}, "reason": "", "decided_by": ["ann"]})
    assert run.resume({"decision": "approve", "arguments": {"x": 3}, "reason": "", "decided_by": ["cy"]}) == []
    assert run.state["results"]["ok"] == {"decision": "approve", "arguments": {"x": 3}, "reason": "",
                                          "decided_by": ["ann", "cy"]}


def test_branch_and_conditional_edges_choose_the_path(runner):
    run = runner(spec(
        [{"id": "n", "type": "transform", "config": {"mapping": {"v": "{{ inputs.v }}"}}},
         {"id": "pick", "type": "branch", "config": {"cases": [{"when": "results.n.v > 10", "to": "big"}],
                                                    "default": "small"}},
         {"id": "big", "type": "transform", "config": {"template": "big"}},
         {"id": "small", "type": "transform", "config": {"template": "small"}},
         {"id": "odd", "type": "transform", "config": {"template": "odd"}}],
        [{"from": "n", "to": "pick"}, {"from": "small", "to": "odd", "condition": "results.n.v % 2 == 1"}],
        inputs={"type": "object", "properties": {"v": {"type": "integer"}}}))
    run.start({"v": 3})
    assert set(run.state["results"]) == {"n", "pick", "small", "odd"}


def test_map_runs_its_body_per_item_in_bounded_batches_and_keeps_order(runner):
    run = runner(spec(
        [{"id": "each", "type": "map", "config": {
            "over": "inputs.names", "max_parallel": 2,
            "node": {"type": "transform", "config": {"template": "{{ index }}:{{ item | upper }}"}}}},
         {"id": "joined", "type": "transform", "config": {"template": "{{ results.each | join(',') }}"}}],
        [{"from": "each", "to": "joined"}],
        inputs={"type": "object", "properties": {"names": {"type": "array"}}}))
    updates = []
    from workflows.testing import run_until_pause
    run_until_pause(run.graph, run.ctx, workflows.initial_state(run.spec, {"names": list("abcde")}),
                    on_update=updates.append)
    assert run.state["results"]["joined"] == "0:A,1:B,2:C,3:D,4:E"
    batches = [u for u in updates if "each__item" in u]
    assert len(batches) == 5  # each item task reports once
    assert [e.payload["done"] for e in run.events("map.progress")] == [0, 2, 4, 5]
    # One map in the trace: started once, finished once with every item's result, not per batch.
    assert [e.node_id for e in run.events("node.started")] == ["each", "joined"]
    [finished] = [e for e in run.events("node.finished") if e.node_id == "each"]
    assert finished.payload["output"] == ["0:A", "1:B", "2:C", "3:D", "4:E"]


def test_a_map_item_whose_model_answer_is_unusable_fails_the_run_naming_the_item(runner, client, fake_model):
    schema = {"type": "object", "required": ["points"], "properties": {"points": {"type": "array"}}}
    fake_model.script([{"content": '{"points": []}'}, {"content": "not json"}, {"content": "still not json"}])
    run = runner(spec([{"id": "notes", "type": "map", "config": {
        "over": "inputs.parts", "max_parallel": 1,
        "node": {"type": "llm", "config": {"prompt": "{{ item }}", "output_schema": schema}}}}],
        inputs={"type": "object", "properties": {"parts": {"type": "array"}}}), model=client)
    with pytest.raises(workflows.NodeError, match=r"^notes: item 2: the model's answer did not match"):
        run.start({"parts": ["first", "second"]})
    [failed] = run.events("node.failed")
    assert failed.node_id == "notes" and failed.payload["error"].startswith("item 2: ")


def test_big_results_live_in_artifacts_not_in_state(runner):
    run = runner(spec([{"id": "big", "type": "transform",
                        "config": {"template": "{% for i in range(5000) %}row {{ i }}\n{% endfor %}"}},
                       {"id": "n", "type": "transform", "config": {"template": "{{ results.big | length }}"}}],
                      [{"from": "big", "to": "n"}]))
    run.start()
    assert set(run.state["results"]["big"]) == {"$artifact"}
    assert int(run.state["results"]["n"]) > 40_000


def test_the_command_line_validates_exports_and_runs_a_template(tmp_path, capsys):
    from workflows.__main__ import main

    assert main(["run", "trivial", "--inputs", '{"name": "Bo"}']) == 0
    assert '"loud": "HELLO, BO!"' in capsys.readouterr().out
    assert main(["export", "hello"]) == 0
    exported = tmp_path / "hello.yaml"
    exported.write_text(capsys.readouterr().out)
    assert workflows.load_yaml(exported.read_text()) == templates.load("hello")
    broken = tmp_path / "broken.yaml"
    broken.write_text(workflows.dump_yaml({"spec_version": 1, "name": "b", "nodes": [
        {"id": "a", "type": "fetch", "config": {"operation": "demo.nope"}}]}))
    assert main(["validate", str(broken)]) == 2
    assert "nodes[0].config.operation: unknown tool 'demo.nope'" in capsys.readouterr().err


@pytest.mark.parametrize("template, words", [
    ('{{ "x" * 10000000 }}', "sequences longer than"),
    ("{{ 9 ** 9999 }}", "exponents above"),
    ("{% for i in range(10000000) %}{% endfor %}", "Range too big"),
    ("{{ lipsum.__globals__ }}", "unsafe"),
])
def test_a_template_cannot_exhaust_the_worker_or_reach_python_internals(runner, template, words):
    run = runner(spec([{"id": "t", "type": "transform", "config": {"template": template}}]))
    with pytest.raises(workflows.NodeError, match=words):
        run.start()
    assert run.events("node.failed")[0].payload["error"]


def test_parallel_branches_meet_at_a_join_all_node_which_runs_once(runner, client, fake_model):
    fake_model.script([calc_turn, {"content": "agent done"}])
    run = runner(spec(
        [{"id": "start", "type": "transform", "config": {"template": "go"}},
         {"id": "quick", "type": "transform", "config": {"template": "quick"}},
         {"id": "slow", "type": "agent", "config": {"instructions": "Work.", "task": "Add.", "tools": ["calculator"]}},
         {"id": "meet", "type": "transform", "join": "all",
          "config": {"template": "{{ results.quick }} + {{ results.slow.answer }}"}}],
        [{"from": "start", "to": "quick"}, {"from": "start", "to": "slow"},
         {"from": "quick", "to": "meet"}, {"from": "slow", "to": "meet"}]), model=client)
    run.start()
    assert run.state["results"]["meet"] == "quick + agent done"
    assert [e.node_id for e in run.events("node.finished")].count("meet") == 1


calc_turn = {"tool_calls": [{"name": "calculator", "arguments": {"expression": "1+1"}}]}


def test_join_all_needs_several_unconditional_incoming_edges():
    with pytest.raises(workflows.SpecError) as caught:
        workflows.load_spec(spec([{"id": "a", "type": "transform", "config": {"template": "x"}},
                                  {"id": "b", "type": "transform", "join": "all", "config": {"template": "y"}}],
                                 [{"from": "a", "to": "b"}]))
    assert [(e.path, e.message[:14]) for e in caught.value.errors] == [("nodes[1].join", "join: all need")]


def test_a_rejection_can_route_the_run_instead_of_failing_it(runner):
    run = runner(spec(
        [{"id": "ask", "type": "approval", "config": {"title": "Publish?", "on_reject": "continue"}},
         {"id": "publish", "type": "transform", "config": {"template": "published"}},
         {"id": "shelve", "type": "transform", "config": {"template": "shelved: {{ results.ask.reason }}"}}],
        [{"from": "ask", "to": "publish", "condition": "results.ask.decision == 'approve'"},
         {"from": "ask", "to": "shelve"}]))
    run.start()
    assert run.resume({"decision": "reject", "arguments": {}, "reason": "not yet", "decided_by": ["al"]}) == []
    assert run.state["results"]["shelve"] == "shelved: not yet" and "publish" not in run.state["results"]


def test_a_loop_with_a_branch_runs_until_its_exit_condition(runner):
    run = runner(spec(
        [{"id": "start", "type": "transform", "config": {"mapping": {"n": 0}}},
         {"id": "step", "type": "transform",
          "config": {"mapping": {"n": "{{ (results.step.n if results.step is defined else 0) + 1 }}"}}},
         {"id": "check", "type": "branch", "config": {"cases": [{"when": "results.step.n < 4", "to": "step"}],
                                                     "default": "end"}},
         {"id": "end", "type": "transform", "config": {"template": "{{ results.step.n }}"}}],
        [{"from": "start", "to": "step"}, {"from": "step", "to": "check"}]))
    run.start()
    assert run.state["results"]["end"] == "4"


def test_map_items_do_not_carry_inputs_their_body_does_not_read_into_checkpoints(runner):
    import random
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(":memory:", check_same_thread=False)
    rng = random.Random(1)
    big = "".join(rng.choice("abcdefghij ") for _ in range(200_000))
    run = runner(spec([{"id": "each", "type": "map", "config": {
        "over": "inputs.names", "max_parallel": 5,
        "node": {"type": "transform", "config": {"template": "{{ item }} in {{ inputs.city }}"}}}}],
        inputs={"type": "object", "properties": {"names": {"type": "array"}, "city": {"type": "string"},
                                                 "transcript": {"type": "string"}}}),
        checkpointer=SqliteSaver(conn))
    run.start({"names": [f"n{i}" for i in range(10)], "city": "Oslo", "transcript": big})
    assert run.state["results"]["each"][3] == "n3 in Oslo"
    stored = conn.execute("SELECT sum(length(checkpoint)) + (SELECT sum(length(value)) FROM writes) "
                          "FROM checkpoints").fetchone()[0]
    # LangGraph keeps the run's input three times (input write, first two checkpoints); after the
    # intake step it is an artifact reference, so neither later steps nor map items copy it.
    assert stored < 4 * len(big)


def test_a_map_runs_an_agent_per_item_and_an_approval_inside_one_resumes_it(runner, client, fake_model):
    from connectors.demo import DemoConnector, MemoryDemoStore
    from datetime import date

    demo = DemoConnector(settings={"today": "2026-11-02"}, secrets={},
                         store=MemoryDemoStore.seeded(seed=7, today=date(2026, 11, 2)))
    fake_model.script([
        {"tool_calls": [{"name": "calculator", "arguments": {"expression": "1+1"}}]}, {"content": "a: fine"},
        {"tool_calls": [{"name": "demo__create_task", "arguments": {"subject": "Follow up b",
                                                                    "due_date": "2026-11-09"}}]},
        {"content": "b: task created"}])
    run = runner(spec([{"id": "research", "type": "map", "config": {
        "over": "inputs.accounts", "max_parallel": 1,
        "node": {"type": "agent", "config": {"instructions": "Look into the account.",
                                             "task": "Account {{ item }} (#{{ index }}).",
                                             "tools": ["calculator", "demo.create_task"]}}}}],
        inputs={"type": "object", "properties": {"accounts": {"type": "array"}}},
        write_policy={"default": "approve"}), model=client, connectors={"demo": demo})
    paused = run.start({"accounts": ["a", "b"]})
    assert [(p["node_id"], p["tool"]) for p in paused] == [("research_i1", "demo.create_task")]
    assert paused[0]["idempotency_key"] == f"{run.ctx.run_id}:research_i1:s1.c0"
    assert run.resume({"decision": "approve", "arguments": paused[0]["arguments"], "reason": "",
                       "decided_by": ["ann"]}) == []
    assert [r["answer"] for r in run.state["results"]["research"]] == ["a: fine", "b: task created"]
    assert "Account b (#1)." in fake_model.requests[2]["messages"][1]["content"]
    assert len(fake_model.requests) == 4  # the resumed agent did not start over
    assert sum(1 for t in demo.store.tables["activities"].values() if t["subject"] == "Follow up b") == 1


def test_agents_of_a_map_run_side_by_side_each_with_its_own_history(runner, client, fake_model):
    run = runner(spec([{"id": "each", "type": "map", "config": {
        "over": "inputs.names", "max_parallel": 3,
        "node": {"type": "agent", "config": {"instructions": "Check.", "task": "Check {{ item }}.",
                                             "tools": ["current_time"]}}}}],
        inputs={"type": "object", "properties": {"names": {"type": "array"}}}), model=client)
    assert run.start({"names": ["ann", "bo", "cy", "di"]}) == []
    results = run.state["results"]["each"]
    assert [r["tool_calls"] for r in results] == [1, 1, 1, 1]  # the fake's default: one call, then answer
    firsts = sorted(r["messages"][1]["content"] for r in fake_model.requests if len(r["messages"]) == 2)
    assert firsts == ["Check ann.", "Check bo.", "Check cy.", "Check di."]
    finals = [r for r in fake_model.requests if any(m["role"] == "tool" for m in r["messages"])]
    assert all(len([m for m in r["messages"] if m["role"] == "tool"]) == 1 for r in finals)


def test_an_llm_prompt_larger_than_the_window_fails_before_calling_the_model(runner, client, fake_model):
    run = runner(spec([{"id": "sum", "type": "llm", "config": {"prompt": "Summarise: {{ inputs.text }}"}}],
                      inputs={"type": "object", "properties": {"text": {"type": "string"}}},
                      model={"context_window": 4096, "max_tokens": 1024}), model=client)
    with pytest.raises(workflows.NodeError, match="split the text with a map"):
        run.start({"text": "word " * 5000})
    assert fake_model.requests == []
