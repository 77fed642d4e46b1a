"""Every wire quirk of DESIGN.md section 3-4, reproduced by the fake server over real HTTP."""
from __future__ import annotations

import httpx
import pytest

from inference import (
    BadRequestError,
    ChatClient,
    ContextTooLongError,
    RateLimitedError,
    ServerError,
    StreamInterruptedError,
    TransportError,
)
from inference.client import DeadlineExceededError
from inference.fake import FakeVLLMServer
from tests.inference.k2_messages import tool, user

DEAL = [tool("get_deal", id={"type": "integer"})]


# retries


def test_it_retries_a_429_after_retry_after(fake: FakeVLLMServer, client: ChatClient, waits: list[float]) -> None:
    fake.script([{"status": 429, "error": "slow down", "retry_after": 1.5}, {"content": "ok"}])

    completion = client.chat(user())

    assert completion.content == "ok"
    assert completion.attempts == 2
    assert waits == [1.5]


def test_it_retries_5xx_with_backoff(fake: FakeVLLMServer, client: ChatClient, waits: list[float]) -> None:
    fake.script([{"status": 503, "error": "overloaded"}, {"status": 500, "error": "boom"}, {"content": "ok"}])

    assert client.chat(user()).content == "ok"
    assert len(waits) == 2 and all(w > 0 for w in waits)


def test_it_never_retries_a_400(fake: FakeVLLMServer, client: ChatClient, waits: list[float]) -> None:
    fake.push({"status": 400, "error": "tools[0].function.parameters is invalid"})

    with pytest.raises(BadRequestError) as caught:
        client.chat(user())

    assert not caught.value.retryable
    assert "parameters is invalid" in caught.value.message
    assert len(fake.requests) == 1 and waits == []


def test_it_gives_up_after_the_attempt_budget(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.script([{"status": 503, "error": "down"}] * 4)

    with pytest.raises(ServerError) as caught:
        client.chat(user())

    assert caught.value.retryable and caught.value.status == 503
    assert len(fake.requests) == 4


def test_a_rate_limit_that_never_lifts_surfaces_as_rate_limited(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.script([{"status": 429, "error": "busy", "retry_after": 2}] * 4)

    with pytest.raises(RateLimitedError) as caught:
        client.chat(user())

    assert caught.value.retry_after == 2


def test_it_retries_when_it_cannot_connect_and_says_so(waits: list[float]) -> None:
    with FakeVLLMServer() as gone:
        url = gone.url
    with ChatClient(url, "kimi-k2-thinking", sleep=waits.append) as client:
        with pytest.raises(TransportError) as caught:
            client.chat(user())

    assert caught.value.retryable
    assert len(waits) == 3


# error bodies


@pytest.mark.parametrize("shape", ["nested", "flat"])
def test_it_reads_both_error_body_shapes_into_context_too_long(fake: FakeVLLMServer, client: ChatClient, shape: str) -> None:
    message = ("This model's maximum context length is 262144 tokens. However, you requested 270000 tokens "
               "(253616 in the messages, 16384 in the completion). Please reduce the length of the messages or completion.")
    fake.push({"status": 400, "error": message, "error_shape": shape})

    with pytest.raises(ContextTooLongError) as caught:
        client.chat(user())

    assert caught.value.message == message
    assert not caught.value.retryable


@pytest.mark.parametrize("message", [
    "'max_tokens' or 'max_completion_tokens' is too large: 8000. This model's maximum context length is 4096 tokens "
    "and your request has 2778 input tokens (8000 > 4096 - 2778).",
    "request (4476 tokens) exceeds the available context size (4096 tokens)",
])
def test_other_context_overflow_wordings_are_context_too_long(fake: FakeVLLMServer, client: ChatClient, message: str) -> None:
    fake.push({"status": 400, "error": message, "error_type": "exceed_context_size_error"})

    with pytest.raises(ContextTooLongError):
        client.chat(user())


def test_the_fake_answers_an_oversized_prompt_with_context_too_long(fake: FakeVLLMServer) -> None:
    with ChatClient(fake.url, "kimi-k2-thinking") as client:
        with pytest.raises(ContextTooLongError):
            client.chat(user("lorem ipsum " * 100000))


def test_an_error_event_inside_the_stream_is_a_retryable_server_error(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.script([{"content": "partial answer", "status": 500, "error": "engine dead", "error_in_stream": True},
                 {"content": "second try"}])

    assert client.chat(user()).content == "second try"


# broken streams and timeouts


def test_a_stream_cut_midway_is_retried_and_the_listener_told_to_start_over(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.script([{"reasoning": "abcdefghijklmnop", "content": "xyz", "chunk_chars": 2, "cut_after": 4},
                 {"reasoning": "fresh", "content": "whole"}])
    seen: list[str] = []

    completion = client.chat(user(), on_delta=lambda kind, text: seen.append(kind))

    assert completion.content == "whole" and completion.attempts == 2
    assert "reset" in seen
    assert seen[seen.index("reset") + 1:] == ["reasoning", "content"]


def test_a_stream_cut_every_time_ends_as_stream_interrupted(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.script([{"content": "abc", "cut_after": 2}] * 4)

    with pytest.raises(StreamInterruptedError):
        client.chat(user())


def test_a_stalled_stream_hits_the_idle_timeout_and_is_retried(fake: FakeVLLMServer, waits: list[float]) -> None:
    fake.script([{"content": "stalls", "stall_after": 2, "stall_s": 1.5}, {"content": "flows"}])

    with ChatClient(fake.url, "kimi-k2-thinking", idle_timeout=0.3, sleep=waits.append) as client:
        completion = client.chat(user())

    assert completion.content == "flows" and completion.attempts == 2


def test_a_slow_first_token_within_the_idle_timeout_is_fine(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"content": "eventually", "ttft_s": 0.4})

    completion = client.chat(user())

    assert completion.content == "eventually"
    assert completion.ttft_s >= 0.4


def test_the_total_deadline_stops_the_call_without_retrying(fake: FakeVLLMServer, waits: list[float]) -> None:
    fake.script([{"content": "too late", "ttft_s": 1.5}, {"content": "never asked"}])

    with ChatClient(fake.url, "kimi-k2-thinking", deadline=0.4, sleep=waits.append) as client:
        with pytest.raises(DeadlineExceededError) as caught:
            client.chat(user())

    assert not caught.value.retryable
    assert len(fake.requests) == 1


def test_a_malformed_chunk_is_a_retryable_server_error(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.script([{"content": "x", "inject_raw": "data: {not json\n\n"}, {"content": "clean"}])

    completion = client.chat(user())

    assert completion.content == "clean" and completion.attempts == 2


def test_keepalive_comments_and_crlf_line_ends_are_understood(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"content": "ok", "inject_raw": ": keep-alive\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"crlf \"}}]}\r\n\r\n"})

    assert client.chat(user()).content == "crlf ok"


def test_a_stream_without_done_after_finish_reason_is_accepted(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"content": "done anyway", "omit_done": True})

    completion = client.chat(user())

    assert completion.content == "done anyway"
    assert "stream ended without [DONE]" in completion.notes


# finish_reason quirks and tool calls


def test_a_tool_calls_turn_without_calls_is_sampled_again(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.script([{"reasoning": "I will call", "finish_reason": "tool_calls"},
                 {"tool_calls": [{"name": "get_deal", "arguments": {"id": 1}}]}])

    completion = client.chat(user(), DEAL)

    assert [c.name for c in completion.tool_calls] == ["get_deal"]
    assert completion.attempts == 2


def test_when_empty_tool_call_turns_persist_the_turn_is_returned_without_calls(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.script([{"content": "hmm", "finish_reason": "tool_calls"}] * 4)

    completion = client.chat(user(), DEAL)

    assert completion.tool_calls == [] and completion.content == "hmm"
    assert any("retries exhausted" in n for n in completion.notes)


def test_tool_calls_with_finish_reason_stop_are_still_tool_calls(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"tool_calls": [{"name": "get_deal", "arguments": {"id": 2}}], "finish_reason": "stop"})

    completion = client.chat(user(), DEAL)

    assert completion.finish_reason == "stop"
    assert completion.tool_calls[0].arguments == {"id": 2}


def test_a_tool_call_cut_by_length_is_never_returned_as_executable(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"reasoning": "r" * 40, "tool_calls": [{"name": "get_deal", "arguments": {"id": 123456789, "note": "long " * 20}}]})

    completion = client.chat(user(), DEAL, max_tokens=20)

    assert completion.finish_reason == "length"
    assert completion.truncated
    assert completion.tool_calls == []
    assert completion.dropped_tool_calls[0].name == "get_deal"
    assert completion.dropped_tool_calls[0].parse_error


def test_leaked_markers_in_content_become_tool_calls_and_leave_the_content(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"content": "Checking the deal. ", "leak_tool_calls": "content", "finish_reason": "stop",
               "tool_calls": [{"name": "get_deal", "arguments": {"id": 5}}]})

    completion = client.chat(user(), DEAL)

    assert completion.content == "Checking the deal."
    assert "<|" not in completion.content
    assert [(c.id, c.arguments) for c in completion.tool_calls] == [("functions.get_deal:0", {"id": 5})]


def test_leaked_markers_in_reasoning_become_tool_calls_and_leave_the_reasoning(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"reasoning": "I need deal 5.", "leak_tool_calls": "reasoning", "finish_reason": "stop",
               "tool_calls": [{"name": "get_deal", "arguments": {"id": 5}}]})

    completion = client.chat(user(), DEAL)

    assert completion.reasoning == "I need deal 5."
    assert completion.tool_calls[0].name == "get_deal"
    assert "<|" not in completion.to_message()["reasoning_content"]


def test_a_leaked_section_cut_by_length_yields_no_executable_call(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"content": "Go.", "leak_tool_calls": "content", "cut_tool_section": True,
               "tool_calls": [{"name": "get_deal", "arguments": {"id": 1}}, {"name": "get_deal", "arguments": {"id": 2}}]})

    completion = client.chat(user(), DEAL)

    assert completion.finish_reason == "length" and completion.truncated
    assert completion.tool_calls == []
    assert completion.content == "Go."


def test_foreign_tool_ids_are_rewritten_to_the_kimi_form_after_earlier_calls(fake: FakeVLLMServer, client: ChatClient) -> None:
    history = user() + [
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "functions.get_deal:0", "type": "function", "function": {"name": "get_deal", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "functions.get_deal:0", "content": "{}"},
    ]
    fake.push({"tool_id_style": "openai", "tool_calls": [{"name": "get_deal", "arguments": {"id": 1}},
                                                         {"name": "get_deal", "arguments": {"id": 2}}]})

    completion = client.chat(history, DEAL)

    assert [c.id for c in completion.tool_calls] == ["functions.get_deal:1", "functions.get_deal:2"]


def test_a_kimi_id_from_the_server_is_kept_verbatim(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"tool_calls": [{"name": "get_deal", "arguments": {}, "id": "functions.get_deal:41"}]})

    assert client.chat(user(), DEAL).tool_calls[0].id == "functions.get_deal:41"


def test_think_tags_left_in_content_become_reasoning(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"content": "<think>weigh it</think>The answer is 4."})

    completion = client.chat(user())

    assert (completion.reasoning, completion.content) == ("weigh it", "The answer is 4.")


def test_a_raw_429_from_a_proxy_without_json_is_still_typed(fake: FakeVLLMServer) -> None:
    from inference.errors import error_from_response

    error = error_from_response(429, b"<html>Too Many Requests</html>", {"retry-after": "3"}, "proxy")

    assert isinstance(error, RateLimitedError) and error.retry_after == 3.0
    assert httpx.get(fake.root + "/health").status_code == 200


# circuit breaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_after_repeated_failures_and_stops_sending(fake: FakeVLLMServer) -> None:
    from inference import CircuitOpenError, Replica, Router
    from inference.breaker import CircuitBreaker

    clock = Clock()
    router = Router([Replica(fake.url, breaker=CircuitBreaker(failure_threshold=2, reset_timeout=30, clock=clock))], probe=False, clock=clock)
    fake.script([{"status": 502, "error": "bad gateway"}] * 2 + [{"content": "recovered"}])
    with ChatClient(router, "kimi-k2-thinking", max_attempts=1) as client:
        for _ in range(2):
            with pytest.raises(ServerError):
                client.chat(user())
        with pytest.raises(CircuitOpenError) as caught:
            client.chat(user())
        assert len(fake.requests) == 2
        assert caught.value.retry_after == 30

        clock.now += 31  # half-open: one trial goes through and closes the circuit
        assert client.chat(user()).content == "recovered"
        assert router.replicas[0].breaker.state == "closed"


def test_a_failed_half_open_trial_opens_the_circuit_again(fake: FakeVLLMServer) -> None:
    from inference.breaker import CircuitBreaker

    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10, clock=clock)
    breaker.record_failure()
    clock.now += 10

    assert breaker.allow() and not breaker.allow()  # only one trial at a time
    breaker.record_failure()
    assert breaker.state == "open" and breaker.retry_after() == 10


def test_client_errors_do_not_trip_the_breaker(fake: FakeVLLMServer) -> None:
    from inference import Replica, Router
    from inference.breaker import CircuitBreaker

    router = Router([Replica(fake.url, breaker=CircuitBreaker(failure_threshold=1))], probe=False)
    fake.script([{"status": 400, "error": "bad"}, {"content": "fine"}])
    with ChatClient(router, "kimi-k2-thinking") as client:
        with pytest.raises(BadRequestError):
            client.chat(user())
        assert client.chat(user()).content == "fine"


def test_listeners_never_see_leaked_markup_while_it_streams(fake: FakeVLLMServer, client: ChatClient) -> None:
    fake.push({"reasoning": "Thinking <| not a marker.", "content": "Checking the deal. ", "leak_tool_calls": "content",
               "chunk_chars": 3, "finish_reason": "stop", "tool_calls": [{"name": "get_deal", "arguments": {"id": 5}}]})
    streamed: dict[str, str] = {"reasoning": "", "content": ""}

    completion = client.chat(user(), DEAL, on_delta=lambda kind, text: streamed.__setitem__(kind, streamed[kind] + text))

    assert streamed["content"].strip() == completion.content == "Checking the deal."
    assert streamed["reasoning"] == completion.reasoning == "Thinking <| not a marker."
    assert completion.tool_calls[0].arguments == {"id": 5}
