from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest
import jsonschema

from inference import ChatClient, validate_tool_call
from inference.fake import FakeVLLMRemote, FakeVLLMServer
from inference.router import parse_metrics
from tests.inference.k2_messages import tool, user

CRM_TOOL = {"type": "function", "function": {"name": "search_deals", "description": "Search CRM deals", "parameters": {
    "type": "object",
    "properties": {
        "stage": {"type": "string", "enum": ["open", "won", "lost"]},
        "owner_email": {"type": "string", "format": "email"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20},
        "since": {"type": "string", "format": "date"},
        "query": {"type": "string", "examples": ["renewal"]},
    },
    "required": ["stage", "owner_email", "query"],
}}}


def test_by_default_it_thinks_then_calls_an_offered_tool_with_schema_valid_arguments(fake: FakeVLLMServer, client: ChatClient) -> None:
    completion = client.chat(user(), [CRM_TOOL])

    assert completion.reasoning
    assert len(completion.tool_calls) == 1
    call = completion.tool_calls[0]
    assert call.id == "functions.search_deals:0"
    assert call.arguments == {"stage": "open", "owner_email": "jane.doe@example.com", "query": "renewal"}
    assert validate_tool_call(call, [CRM_TOOL]) is None


def test_by_default_it_calls_the_tool_the_user_named(fake: FakeVLLMServer, client: ChatClient) -> None:
    completion = client.chat(user("please use get_company"), [tool("get_deal"), tool("get_company")])

    assert completion.tool_calls[0].name == "get_company"


def test_by_default_it_answers_with_content_once_a_tool_result_is_in(fake: FakeVLLMServer, client: ChatClient) -> None:
    messages = user()
    first = client.chat(messages, [CRM_TOOL])
    messages += [first.to_message(), {"role": "tool", "tool_call_id": first.tool_calls[0].id, "content": "3 deals: Acme, Globex, Initech"}]

    second = client.chat(messages, [CRM_TOOL])

    assert second.tool_calls == []
    assert "Acme, Globex, Initech" in second.content
    assert second.finish_reason == "stop"


def test_by_default_it_answers_json_valid_for_a_response_format_schema(fake: FakeVLLMServer, client: ChatClient) -> None:
    schema = {"type": "object", "properties": {
        "title": {"type": "string", "minLength": 3},
        "highlights": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "total": {"type": "number"},
        "status": {"enum": ["ok", "warn"]},
    }, "required": ["title", "highlights"]}

    completion = client.chat(user("Write the weekly report"), response_format={"type": "json_schema", "json_schema": {"name": "report", "schema": schema}})

    data = json.loads(completion.content)
    jsonschema.validate(data, schema)
    assert len(data["highlights"]) == 2


def test_by_default_it_honours_guided_json(fake: FakeVLLMServer, client: ChatClient) -> None:
    schema = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 3}}, "required": ["score"]}

    completion = client.chat(user(), guided_json=schema)

    assert json.loads(completion.content) == {"score": 3}


def test_it_serves_health_models_and_vllm_metrics(fake: FakeVLLMServer) -> None:
    assert httpx.get(fake.root + "/health").status_code == 200
    models = httpx.get(fake.url + "/models").json()["data"]
    assert models[0]["id"] == "kimi-k2-thinking" and models[0]["max_model_len"] == 262144
    metrics = parse_metrics(httpx.get(fake.root + "/metrics").text)
    for name in ("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
                 "vllm:prompt_tokens_total", "vllm:generation_tokens_total", "vllm:prefix_cache_hits_total"):
        assert name in metrics


def test_metrics_count_the_tokens_it_served(fake: FakeVLLMServer, client: ChatClient) -> None:
    completion = client.chat(user())

    metrics = parse_metrics(httpx.get(fake.root + "/metrics").text)
    assert metrics["vllm:prompt_tokens_total"] == completion.usage.prompt_tokens
    assert metrics["vllm:generation_tokens_total"] == completion.usage.completion_tokens


def test_it_can_be_scripted_and_inspected_over_http_from_another_process(fake: FakeVLLMServer, client: ChatClient) -> None:
    remote = FakeVLLMRemote(fake.url)
    remote.script([{"content": "first"}, {"content": "second"}])

    assert client.chat(user()).content == "first"
    assert client.chat(user()).content == "second"
    assert [r["messages"][-1]["content"] for r in remote.requests] == ["Find the open deals"] * 2
    remote.reset()
    assert remote.requests == []


def test_the_http_control_endpoint_rejects_an_unknown_reply_field(fake: FakeVLLMServer) -> None:
    response = httpx.post(fake.root + "/_fake/push", json={"contnet": "typo"})

    assert response.status_code == 400


def test_it_refuses_a_prompt_longer_than_the_window_like_vllm(fake: FakeVLLMServer) -> None:
    response = httpx.post(fake.url + "/chat/completions", json={
        "model": "kimi-k2-thinking", "messages": [{"role": "user", "content": "x"}], "max_tokens": 300000})

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("'max_tokens' or 'max_completion_tokens' is too large: 300000.")
    assert "maximum context length is 262144 tokens" in response.json()["error"]["message"]


def test_the_command_line_server_plays_a_scenario_file(tmp_path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("replies:\n  - content: from the scenario file\nconfig:\n  max_model_len: 4096\n")
    with FakeVLLMServer() as probe:  # borrow a free port, then release it for the subprocess
        port = probe.port
    process = subprocess.Popen([sys.executable, "-m", "inference.fake", "--port", str(port), "--scenario", str(scenario)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert "fake vLLM serving" in process.stdout.readline()
        with ChatClient(f"http://127.0.0.1:{port}", "kimi-k2-thinking") as cli:
            assert cli.chat(user(), max_tokens=100).content == "from the scenario file"
            assert cli.context_window() == 4096
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_it_streams_many_requests_at_once(fake: FakeVLLMServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake.config.tpot_s = 0.001
    fake.config.max_num_seqs = 8
    with ChatClient(fake.url, "kimi-k2-thinking") as cli, ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: cli.chat(user(f"question {i}")).content, range(32)))

    assert all(f"question {i}" in r for i, r in enumerate(results))
    stats = fake.stats()
    assert stats["served"] == 32
    assert stats["max_waiting"] > 0  # 16 callers, 8 sequences: the batching limit queued some


def test_by_default_it_calls_the_tool_that_tool_choice_names(fake: FakeVLLMServer, client: ChatClient) -> None:
    completion = client.chat(user(), [tool("get_deal"), tool("get_company")],
                             tool_choice={"type": "function", "function": {"name": "get_company"}})

    assert [c.name for c in completion.tool_calls] == ["get_company"]


def test_by_default_it_answers_without_tools_when_tool_choice_is_none(fake: FakeVLLMServer, client: ChatClient) -> None:
    completion = client.chat(user(), [tool("get_deal")], tool_choice="none")

    assert completion.tool_calls == [] and completion.content


def test_a_strict_fake_refuses_an_unknown_model_like_vllm(fake: FakeVLLMServer) -> None:
    from inference import BadRequestError

    fake.config.strict_model = True
    with ChatClient(fake.url, "gpt-4o") as wrong:
        with pytest.raises(BadRequestError) as caught:
            wrong.chat(user())

    assert caught.value.status == 404 and "does not exist" in caught.value.message


def test_the_client_reports_server_health(fake: FakeVLLMServer, client: ChatClient) -> None:
    assert client.health()
    fake.set_health(False)
    assert not client.health()


def test_the_shipped_scenarios_are_valid_and_play_through_the_client() -> None:
    from pathlib import Path

    from inference.fake import load_scenario

    folder = Path(__import__("inference.fake", fromlist=["x"]).__file__).parent / "scenarios"
    replies, config = load_scenario(folder / "wire-quirks.yaml")
    with FakeVLLMServer(**{**config, "ttft_s": 0, "tpot_s": 0}) as server:
        server.script([r.model_copy(update={"ttft_s": None}) for r in replies])
        with ChatClient(server.url, "kimi-k2-thinking", sleep=lambda s: None, max_attempts=6) as client:
            outcomes = [client.chat(user(), [tool("get_deal", id={"type": "integer"}, note={"type": "string"})]) for _ in range(4)]
    assert outcomes[0].attempts == 5  # 429, 503, cut stream, empty tool_calls turn, then the call
    assert [len(o.tool_calls) for o in outcomes] == [1, 1, 0, 0]
    assert outcomes[0].tool_calls[0].id == "functions.get_deal:0"  # foreign id rewritten
    assert outcomes[2].truncated and outcomes[2].content == ""  # the cut raw call is neither run nor shown
    assert outcomes[3].content == "Deal 42 is worth 5,000 EUR."
    for path in folder.glob("*.yaml"):
        assert load_scenario(path)[0]


def test_by_default_a_context_exchange_in_the_history_does_not_stop_tool_calls(fake: FakeVLLMServer, client: ChatClient) -> None:
    context = [
        {"role": "assistant", "content": "", "tool_calls": [{"id": "functions.read_context:0", "type": "function",
                                                              "function": {"name": "read_context", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "functions.read_context:0", "name": "read_context", "content": "Q3 targets: 1.2M"},
    ]

    completion = client.chat(user() + context, [CRM_TOOL])

    assert [c.name for c in completion.tool_calls] == ["search_deals"]
    assert completion.tool_calls[0].id == "functions.search_deals:1"  # numbered after the context call


def test_a_prefix_cache_miss_delays_the_first_token_by_the_uncached_prompt(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.config.prefill_s_per_token = 0.001
    messages = user("Summarise the pipeline " * 40)

    first = client.chat(messages)
    messages += [first.to_message(), {"role": "user", "content": "More."}]
    second = client.chat(messages)

    assert first.ttft_s >= 0.001 * first.usage.prompt_tokens  # all of it was computed
    uncached = second.usage.prompt_tokens - second.usage.cached_tokens
    assert second.ttft_s >= 0.001 * uncached and uncached < first.usage.prompt_tokens
    stats = fake.stats()
    assert stats["cached_tokens"] == second.usage.cached_tokens


def test_the_fake_prefix_cache_forgets_the_oldest_conversation_when_full(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.config.kv_capacity_tokens = 1000
    first = user("Account A " * 150)  # ~400 tokens each: two fit, three do not
    client.chat(first)
    for other in ("B", "C"):
        client.chat(user(f"Account {other} " * 150))

    again = client.chat(first)

    assert again.usage.cached_tokens < 100  # only what it shares with the latest prompt
