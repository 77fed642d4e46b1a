from __future__ import annotations

from inference import ChatClient, Completion
from inference.fake import FakeVLLMServer
from tests.inference.k2_messages import tool, user


def test_it_streams_reasoning_and_content_into_one_completion(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"reasoning": "Let me think about deals.", "content": "There are 3 open deals.", "chunk_chars": 3})
    seen: list[tuple[str, str]] = []

    completion = client.chat(user(), on_delta=lambda kind, text: seen.append((kind, text)))

    assert completion.reasoning == "Let me think about deals."
    assert completion.content == "There are 3 open deals."
    assert completion.finish_reason == "stop"
    assert completion.backend == fake.url
    assert "".join(t for k, t in seen if k == "reasoning") == completion.reasoning
    assert "".join(t for k, t in seen if k == "content") == completion.content
    assert seen[0][0] == "reasoning"


def test_it_sends_k2_thinking_sampling_defaults(fake: FakeVLLMServer, client: ChatClient) -> None:
    client.chat(user(), [tool()])

    sent = fake.requests[0]
    assert sent["temperature"] == 1.0
    assert sent["max_tokens"] >= 16384
    assert sent["tool_choice"] == "auto"
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["model"] == "kimi-k2-thinking"


def test_call_params_override_the_defaults(fake: FakeVLLMServer, client: ChatClient) -> None:
    client.chat(user(), temperature=0.2, max_tokens=64)

    assert fake.requests[0]["temperature"] == 0.2
    assert fake.requests[0]["max_tokens"] == 64
    assert "tool_choice" not in fake.requests[0]


def test_it_accumulates_tool_call_deltas_by_index(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"reasoning": "two lookups", "chunk_chars": 2, "tool_calls": [
        {"name": "get_deal", "arguments": {"id": 17, "fields": ["amount", "stage"]}},
        {"name": "get_company", "arguments": {"domain": "acme.example"}},
    ]})

    completion = client.chat(user(), [tool("get_deal"), tool("get_company")])

    assert [c.name for c in completion.tool_calls] == ["get_deal", "get_company"]
    assert [c.id for c in completion.tool_calls] == ["functions.get_deal:0", "functions.get_company:1"]
    assert completion.tool_calls[0].arguments == {"id": 17, "fields": ["amount", "stage"]}
    assert completion.tool_calls[0].raw_arguments == '{"id": 17, "fields": ["amount", "stage"]}'
    assert completion.finish_reason == "tool_calls"


def test_the_next_request_carries_reasoning_under_both_names_and_echoes_ids_verbatim(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.script([
        {"reasoning": "I should look up deal 17.", "tool_calls": [{"name": "get_deal", "arguments": {"id": 17}}]},
        {"content": "Deal 17 is worth 5k."},
    ])
    messages = user()
    first = client.chat(messages, [tool("get_deal")])
    messages += [first.to_message(), {"role": "tool", "tool_call_id": first.tool_calls[0].id, "content": '{"amount": 5000}'}]

    client.chat(messages, [tool("get_deal")])

    sent = fake.requests[1]["messages"][2]
    assert sent["reasoning"] == sent["reasoning_content"] == "I should look up deal 17."
    assert sent["content"] == ""
    assert sent["tool_calls"] == [{"id": "functions.get_deal:0", "type": "function",
                                   "function": {"name": "get_deal", "arguments": '{"id": 17}'}}]
    assert fake.requests[1]["messages"][3]["tool_call_id"] == "functions.get_deal:0"


def test_it_reads_reasoning_from_reasoning_content(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"reasoning": "old field name", "content": "ok", "reasoning_field": "reasoning_content"})

    assert client.chat(user()).reasoning == "old field name"


def test_it_does_not_double_reasoning_sent_under_both_names(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"reasoning": "said once", "content": "ok", "reasoning_field": "both"})

    assert client.chat(user()).reasoning == "said once"


def test_it_reports_usage_with_cached_prompt_tokens(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"content": "ok", "prompt_tokens": 1200, "completion_tokens": 80, "cached_tokens": 1024})

    usage = client.chat(user()).usage

    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (1200, 80, 1024)


def test_cached_tokens_are_none_when_the_server_does_not_report_them(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"content": "ok", "omit_cached_tokens": True})

    assert client.chat(user()).usage.cached_tokens is None


def test_a_growing_conversation_hits_the_fake_prefix_cache(fake: FakeVLLMServer, client: ChatClient) -> None:
    messages = user("Summarise the pipeline " * 40)
    first = client.chat(messages)
    messages.append(first.to_message())
    messages.append({"role": "user", "content": "And the risks?"})

    second = client.chat(messages)

    assert first.usage.cached_tokens == 0
    assert second.usage.cached_tokens is not None
    assert second.usage.cached_tokens >= first.usage.prompt_tokens - 16
    assert second.usage.cached_tokens % 16 == 0


def test_it_works_without_streaming(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"reasoning": "whole", "content": "body", "tool_calls": [{"name": "get_deal", "arguments": {"id": 1}}]})

    completion = client.chat(user(), [tool("get_deal")], stream=False)

    assert fake.requests[0]["stream"] is False
    assert "stream_options" not in fake.requests[0]
    assert (completion.reasoning, completion.content) == ("whole", "body")
    assert completion.tool_calls[0].id == "functions.get_deal:0"
    assert completion.usage.prompt_tokens > 0


def test_to_message_has_string_content_and_no_empty_tool_call_list() -> None:
    message = Completion(content="", reasoning="r").to_message()

    assert message == {"role": "assistant", "content": "", "reasoning": "r", "reasoning_content": "r"}


def test_it_reads_the_context_window_from_v1_models(fake: FakeVLLMServer, client: ChatClient) -> None:
    assert client.context_window() == 262144


def test_it_sends_the_api_key_as_a_bearer_token(fake: FakeVLLMServer) -> None:
    with ChatClient(fake.url, "kimi-k2-thinking", api_key="sk-test") as keyed:
        keyed.chat(user())

    assert fake.request_headers[0]["authorization"] == "Bearer sk-test"


def test_each_request_of_a_tool_loop_extends_the_previous_prompt(fake: FakeVLLMServer, client: ChatClient) -> None:
    from inference.fake import render_prompt

    fake.script([{"reasoning": f"step {i}", "tool_calls": [{"name": "get_deal", "arguments": {"id": i}}]} for i in range(4)])
    messages = user()
    for step in range(4):
        completion = client.chat(messages, [tool("get_deal")])
        messages += [completion.to_message(), {"role": "tool", "tool_call_id": completion.tool_calls[0].id, "content": f"deal {step}"}]

    prompts = [render_prompt(body) for body in fake.requests]
    assert all(current.startswith(previous) for previous, current in zip(prompts, prompts[1:]))
    raw = fake.raw_requests
    assert all(current[:len(previous) - 2] == previous[:-2] for previous, current in zip(raw, raw[1:]))  # all but "]}"


def test_the_fake_prefix_cache_keeps_each_conversation_apart(fake: FakeVLLMServer, client: ChatClient) -> None:
    conversations = [user(f"Report on account {i} " * 30) for i in range(3)]
    first = []
    for messages in conversations:
        first.append(client.chat(messages))
        messages += [first[-1].to_message(), {"role": "user", "content": "Go on."}]

    again = [client.chat(messages) for messages in conversations]  # interleaved with the others

    for f, c in zip(first, again):
        assert f.usage.prompt_tokens - 16 <= c.usage.cached_tokens <= f.usage.prompt_tokens
