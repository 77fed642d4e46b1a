"""The agent loop against the real fake vLLM HTTP server and the demo connector."""

import json

import pytest

from workflows.agent import transcript


def agent_spec(tools=("calculator",), budgets=None, **config):
    node = {"id": "work", "type": "agent",
            "config": {"instructions": "You are a diligent analyst.", "task": "Compute things for {{ inputs.who }}.",
                       "tools": list(tools), **config}}
    if budgets:
        node["config"]["budgets"] = budgets
    return {"spec_version": 1, "name": "agent", "nodes": [node],
            "inputs": {"type": "object", "properties": {"who": {"type": "string", "default": "Ada"}}},
            "outputs": {"answer": "results.work.answer"}}


def calc(i):
    return {"reasoning": f"thinking {i}", "tool_calls": [{"name": "calculator", "arguments": {"expression": f"{i}+1"}}]}


def tool_results(fake_model):
    """The contents of the tool messages in the last request the model received."""
    return [m["content"] for m in fake_model.requests[-1]["messages"] if m["role"] == "tool"]


def cold_history(runner, client, fake_model, calls):
    """Run an agent through ``calls`` tool calls, then forget the transcript cache as a fresh
    worker would have it; returns the run, its transcript head and the history a warm worker saw."""
    fake_model.script([calc(i) for i in range(calls)] + [{"content": "done"}])
    run = runner(agent_spec(), model=client)
    run.start()
    head = run.state["agents"]["work"]["head"]
    warm = transcript.load(run.ctx, head)
    transcript.forget()
    return run, head, warm


def test_an_agent_makes_300_tool_calls_sending_every_reasoning_back_with_ids_echoed(runner, client, fake_model):
    fake_model.script([calc(i) for i in range(300)] + [{"reasoning": "all done", "content": "The answer is 301."}])
    run = runner(agent_spec(), model=client)
    assert run.start() == []
    assert run.outputs()["answer"] == "The answer is 301."
    assert run.state["results"]["work"]["tool_calls"] == 300
    requests = fake_model.requests
    assert len(requests) == 301
    last = requests[-1]["messages"]
    assistants = [m for m in last if m["role"] == "assistant"]
    assert [m["reasoning_content"] for m in assistants] == [f"thinking {i}" for i in range(300)]
    assert all(m["reasoning"] == m["reasoning_content"] for m in assistants)
    tool_messages = [m for m in last if m["role"] == "tool"]
    assert [t["tool_call_id"] for t in tool_messages] == [a["tool_calls"][0]["id"] for a in assistants]
    assert tool_messages[-1]["content"] == '{"result": 300}'
    # The prompt prefix is byte-stable: each request starts with the previous request's messages.
    assert all(requests[i]["messages"] == requests[i + 1]["messages"][: len(requests[i]["messages"])]
               for i in range(0, 300, 37))


def test_the_default_ceiling_stops_an_endless_agent_and_asks_for_a_final_answer(runner, client, fake_model):
    fake_model.script([calc(i) for i in range(300)] + [{"content": "Final: partial results."}])
    run = runner(agent_spec(), model=client)
    run.start()
    final_request = fake_model.requests[-1]
    assert "tools" not in final_request or not final_request["tools"]
    assert "tool-call budget" in final_request["messages"][-1]["content"] or \
        "tool calls budget" in final_request["messages"][-1]["content"]
    result = run.state["results"]["work"]
    assert result["answer"] == "Final: partial results." and result["stopped_by"] == "tool_calls"
    assert [e.payload["budget"] for e in run.events("budget.exhausted")] == ["tool_calls"]


def test_a_token_budget_stop_still_produces_a_final_answer(runner, client, fake_model):
    fake_model.script([{**calc(i), "prompt_tokens": 1000, "completion_tokens": 100} for i in range(3)]
                      + [{"content": "Stopped early, here is what I know."}])
    run = runner(agent_spec(budgets={"max_tokens": 2500}), model=client)
    run.start()
    assert len(fake_model.requests) == 4
    assert run.outputs()["answer"] == "Stopped early, here is what I know."
    assert run.state["results"]["work"]["stopped_by"] == "tokens"


def test_tool_errors_and_invalid_arguments_go_back_to_the_model_as_tool_results(runner, client, fake_model):
    fake_model.script([
        {"tool_calls": [{"name": "calculator", "arguments": {"expression": "1/0"}},
                        {"name": "calculator", "arguments": {"expr": "1"}},
                        {"name": "demo__delete_everything", "arguments": {}},
                        {"name": "calculator", "arguments": "{not json"}]},
        {"content": "I could not compute it."}])
    run = runner(agent_spec(), model=client)
    run.start()
    results = tool_results(fake_model)
    assert "division by zero" in results[0]
    assert "invalid arguments for calculator" in results[1]
    assert "does not exist" in results[2]
    assert "could not be read" in results[3]
    assert len(run.events("tool.rejected")) == 3


def test_a_tool_call_cut_off_by_the_length_limit_is_never_executed(runner, client, fake_model):
    fake_model.script([
        {"reasoning": "write it", "tool_calls": [{"name": "demo.create_task", "arguments": {"subject": "x"}}],
         "leak_tool_calls": "content", "cut_tool_section": True, "finish_reason": "length"},
        {"content": "Sorry, giving up on the task."}])
    run = runner(agent_spec(tools=("demo.create_task",)), model=client)
    assert run.start() == []  # no approval was asked: nothing was about to run
    assert not run.events("tool.call")
    assert "cut off" in fake_model.requests[-1]["messages"][-1]["content"]


def test_repeating_the_same_call_is_refused_after_three_times(runner, client, fake_model):
    same = {"tool_calls": [{"name": "calculator", "arguments": {"expression": "2*2"}}]}
    fake_model.script([same] * 5 + [{"content": "4"}])
    run = runner(agent_spec(), model=client)
    run.start()
    results = tool_results(fake_model)
    assert results[:3] == ['{"result": 4}'] * 3
    assert all("already called" in r for r in results[3:])


def test_parallel_calls_all_run_and_answer_in_the_order_asked(runner, client, fake_model):
    fake_model.script([{"tool_calls": [{"name": "calculator", "arguments": {"expression": f"{i}*10"}}
                                       for i in range(7)]}, {"content": "ok"}])
    run = runner(agent_spec(max_parallel_tools=3), model=client)
    run.start()
    results = tool_results(fake_model)
    assert results == [f'{{"result": {i * 10}}}' for i in range(7)]


def test_a_cold_worker_rebuilds_the_same_history_from_artifacts(runner, client, fake_model):
    run, head, warm = cold_history(runner, client, fake_model, 4)
    assert transcript.load(run.ctx, head) == warm
    assert len(warm) == 2 + 4 * 2 + 1
    # Each model.call event names the segment holding its turn, unclipped, for replay.
    call = run.events("model.call")[2]
    assert transcript.load(run.ctx, call.payload["transcript"])[-1]["reasoning"] == "thinking 2"


def test_large_tool_results_are_stored_as_artifacts_and_the_model_gets_a_preview(runner, client, fake_model):
    fake_model.script([{"tool_calls": [{"name": "demo.search_deals", "arguments": {"limit": 500}}]},
                       {"content": "done"}])
    run = runner(agent_spec(tools=("demo.search_deals", "read_artifact"), inline_result_bytes=2000), model=client)
    run.start()
    content = tool_results(fake_model)[0]
    assert "[full result: artifact " in content and len(content) < 2000
    artifact_id = content.split("[full result: artifact ", 1)[1].split(",", 1)[0]
    assert b'"results"' in run.ctx.artifacts.get(artifact_id)


@pytest.mark.parametrize("answer, ok", [('{"total": 3}', True), ("three", False)])
def test_a_final_answer_is_checked_against_the_output_schema(runner, client, fake_model, answer, ok):
    fake_model.script([{"content": answer}, {"content": '{"total": 3}'}])
    run = runner(agent_spec(output_schema={"type": "object", "required": ["total"]}), model=client)
    run.start()
    assert run.outputs()["answer"] == {"total": 3}
    assert len(fake_model.requests) == (1 if ok else 2)


def test_an_answer_that_misses_the_schema_is_asked_for_again_without_tools_in_the_schema_shape(
        runner, client, fake_model):
    schema = {"type": "object", "required": ["total"], "properties": {"total": {"type": "integer"}}}
    fake_model.script([calc(1), {"content": "The total is three."}, {"content": '{"total": 3}'}])
    run = runner(agent_spec(output_schema=schema), model=client)
    run.start()
    assert run.outputs()["answer"] == {"total": 3}
    first, answered, restated = fake_model.requests
    # The model is shown the shape it must answer in, from the first turn on.
    assert '"required": ["total"]' in first["messages"][0]["content"]
    # While tools are offered no response_format is sent: it would forbid the calls.
    assert first["tools"] and "response_format" not in first and "response_format" not in answered
    assert not restated.get("tools")
    assert restated["response_format"]["json_schema"]["schema"] == schema


def test_an_agent_whose_answers_never_fit_the_schema_fails_saying_so(runner, client, fake_model):
    fake_model.script([{"content": "three"}] * 5)
    run = runner(agent_spec(output_schema={"type": "object", "required": ["total"]}), model=client)
    with pytest.raises(Exception, match="did not match the output schema"):
        run.start()
    assert len(fake_model.requests) == 4


def test_near_the_window_old_tool_results_are_compacted_but_the_plan_is_kept(runner, client, fake_model):
    plan = "PLAN: read each account, then compare."
    fake_model.script([{"reasoning": plan, "tool_calls": [{"name": "demo__search_accounts", "arguments": {"limit": 20}}]}]
                      + [{"reasoning": f"step {i}", "tool_calls": [
                          {"name": "demo__search_accounts", "arguments": {"limit": 20 + i}}]} for i in range(1, 12)]
                      + [{"content": "compared"}])
    data = agent_spec(tools=("demo.search_accounts",), inline_result_bytes=50000)
    data["model"] = {"context_window": 30000, "max_tokens": 2000}
    run = runner(data, model=client)
    run.start()
    [compacted, *later] = run.events("context.compacted")
    assert len(later) <= 1  # compaction leaves headroom instead of recurring every turn
    assert compacted.payload["compacted_messages"] > 0 and compacted.payload["bytes_saved"] > 10000
    after = fake_model.requests[compacted.payload["step"]]["messages"]
    assert after[2]["reasoning_content"] == plan  # the first turn, with the plan, is never shortened
    assert any(m["role"] == "tool" and m["content"].startswith("[compacted") for m in after)
    assert not after[-1]["content"].startswith("[compacted")  # the result the model is acting on stays whole
    # The compacted history is what later turns send: the prefix is byte-stable again after one turn.
    nxt = fake_model.requests[compacted.payload["step"] + 1]["messages"]
    assert nxt[: len(after)] == after
    # A compacted result names the artifact that still holds it in full.
    stub = next(m["content"] for m in after if m["role"] == "tool" and m["content"].startswith("[compacted"))
    artifact = stub.split("Full result: artifact ", 1)[1].split(".", 1)[0]
    assert b"results" in run.ctx.artifacts.get(artifact)


def test_a_prompt_the_server_finds_too_long_is_compacted_and_sent_again(runner, client, fake_model):
    fake_model.script([{"tool_calls": [{"name": "demo__search_accounts", "arguments": {"limit": 30 + i}}]}
                       for i in range(4)]
                      + [{"status": 400, "error": "This model's maximum context length is 8192 tokens."},
                         {"content": "fine"}])
    run = runner(agent_spec(tools=("demo.search_accounts",), inline_result_bytes=50000), model=client)
    run.start()
    assert run.outputs()["answer"] == "fine"
    [event] = run.events("context.compacted")
    assert event.payload["reason"] == "context_too_long"
    retried = fake_model.requests[-1]["messages"]
    assert len(str(retried)) < len(str(fake_model.requests[-2]["messages"])) / 2


@pytest.mark.parametrize("budgets, model, stopped_by", [
    ({"max_seconds": 0.000001}, {}, "seconds"),  # any model turn takes longer than a microsecond
    ({"max_cost_usd": 0.01}, {"price_per_million_input": 10000.0}, "cost_usd"),
])
def test_time_and_cost_budgets_end_with_a_final_answer(runner, client, fake_model, budgets, model, stopped_by):
    fake_model.script([calc(i) for i in range(3)] + [{"content": "out of budget, here is the answer"}])
    data = agent_spec(budgets=budgets)
    data["model"] = model
    run = runner(data, model=client)
    run.start()
    result = run.state["results"]["work"]
    assert result["stopped_by"] == stopped_by and result["answer"] == "out of budget, here is the answer"
    assert result["tool_calls"] == 1  # the first turn spends the budget; its call still gets its answer


def test_tool_calls_leaked_as_kimi_markup_in_the_content_are_still_made(runner, client, fake_model):
    fake_model.script([{"reasoning": "compute", "tool_calls": [{"name": "calculator", "arguments": {"expression": "6*7"}}],
                        "leak_tool_calls": "content"}, {"content": "42"}])
    run = runner(agent_spec(), model=client)
    run.start()
    assert run.outputs()["answer"] == "42"
    [call] = run.events("tool.call")
    assert call.payload["result"] == {"result": 42}
    assistant = fake_model.requests[-1]["messages"][2]
    assert "<|tool_call" not in assistant["content"]


def test_a_connector_failure_in_a_fetch_fails_the_node_with_a_readable_event(runner, demo_failing):
    run = runner({"spec_version": 1, "name": "f", "nodes": [
        {"id": "read", "type": "fetch", "config": {"operation": "demo.get_record",
                                                  "args": {"entity": "deals", "id": "deal-nope"}}}]},
                 connectors={"demo": demo_failing})
    with pytest.raises(Exception) as caught:
        run.start()
    [event] = run.events("node.failed")
    assert "deal-nope" in event.payload["error"] and str(caught.value)


@pytest.fixture
def demo_failing():
    from connectors.demo import DemoConnector

    return DemoConnector(settings={"today": "2026-11-02"}, secrets={})


def test_built_in_tools_read_and_search_artifacts_and_tell_the_time_in_the_org_timezone(runner, client, fake_model):
    run = runner(agent_spec(tools=("read_artifact", "search_artifact", "current_time")), model=client,
                 timezone="Asia/Tokyo")
    text = "\n".join(f"line {i}: nothing" for i in range(500)) + "\nline 500: the renewal is due in March\n"
    ref = run.ctx.artifacts.put(name="t.txt", content=text.encode(), media_type="text/plain")
    fake_model.script([{"tool_calls": [
        {"name": "search_artifact", "arguments": {"artifact_id": ref.id, "query": "renewal March"}},
        {"name": "read_artifact", "arguments": {"artifact_id": ref.id, "offset": 10, "length": 20}},
        {"name": "read_artifact", "arguments": {"artifact_id": "missing"}},
        {"name": "current_time", "arguments": {}}]}, {"content": "March"}])
    run.start()
    search, read, missing, now = [json.loads(content) for content in tool_results(fake_model)]
    assert search["hits"] == [{"line": 501, "text": "line 500: the renewal is due in March"}]
    assert read["text"] == text[10:30] and read["next_offset"] == 30
    assert "no artifact 'missing'" in missing["error"]
    assert now["timezone"] == "Asia/Tokyo" and now["now"].endswith("+09:00")


def test_an_answer_cut_off_by_the_output_limit_is_asked_again_shorter(runner, client, fake_model):
    fake_model.script([{"content": "The quarter was", "finish_reason": "length"}, {"content": "Good quarter."}])
    run = runner(agent_spec(), model=client)
    run.start()
    assert run.outputs()["answer"] == "Good quarter."
    assert "cut off by the output limit" in fake_model.requests[-1]["messages"][-1]["content"]


def test_a_cold_worker_reads_a_bounded_number_of_transcript_segments(runner, client, fake_model):
    run, head, warm = cold_history(runner, client, fake_model, 40)
    reads = []
    original = run.ctx.artifacts.get
    run.ctx.artifacts.get = lambda artifact_id: reads.append(artifact_id) or original(artifact_id)
    assert transcript.load(run.ctx, head) == warm
    assert len(reads) <= transcript.SNAPSHOT_EVERY
    assert len(warm) == 2 + 40 * 2 + 1


def test_tool_call_events_stay_small_however_big_the_result(runner, client, fake_model):
    fake_model.script([{"tool_calls": [{"name": "demo__search_deals", "arguments": {"limit": 500}}]},
                       {"content": "done"}])
    run = runner(agent_spec(tools=("demo.search_deals",)), model=client)
    run.start()
    [event] = run.events("tool.call")
    assert len(json.dumps(event.payload)) < 8000
    assert event.payload["result"]["chars"] > 50_000  # says how big the real result was


def test_the_same_call_asked_many_times_in_one_turn_runs_three_times(runner, client, fake_model):
    same = {"name": "calculator", "arguments": {"expression": "2*2"}}
    fake_model.script([{"tool_calls": [same] * 5}, {"content": "4"}])
    run = runner(agent_spec(), model=client)
    run.start()
    results = tool_results(fake_model)
    assert results[:3] == ['{"result": 4}'] * 3 and all("already called" in r for r in results[3:])


def test_each_tool_call_on_an_engine_thread_releases_that_thread(runner, client, fake_model):
    import threading

    released = []
    fake_model.script([{"tool_calls": [{"name": "calculator", "arguments": {"expression": f"{i}+0"}}
                                       for i in range(5)]}, {"content": "ok"}])
    run = runner(agent_spec(max_parallel_tools=2), model=client,
                 release_thread=lambda: released.append(threading.current_thread().name))
    run.start()
    assert len(released) == 5 and threading.current_thread().name not in released
