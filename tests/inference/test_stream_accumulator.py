"""Any split of the same SSE byte stream gives the same Completion (property-based)."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inference import ChatClient, Completion
from inference.fake import FakeVLLMServer, Reply
from inference.fake import wire
from inference.stream import SSEDecoder, StreamAccumulator
from tests.inference.k2_messages import tool, user

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
arguments = st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(st.integers(), text, st.booleans()), max_size=3)
replies = st.builds(
    Reply,
    reasoning=text,
    content=text,
    tool_calls=st.lists(st.builds(dict, name=st.sampled_from(["get_deal", "list_orders"]), arguments=arguments), max_size=3),
    chunk_chars=st.integers(1, 12),
    reasoning_field=st.sampled_from(["reasoning", "reasoning_content", "both"]),
)


def sse_bytes(reply: Reply) -> bytes:
    turn = wire.resolve(reply, {"messages": []}, prompt_tokens=50, cached_tokens=32)
    chunks = wire.stream_chunks(turn, reply, "chatcmpl-1", "kimi-k2-thinking", include_usage=True)
    return b"".join(wire.encode_event(c) for c in chunks) + wire.encode_event("[DONE]")


def accumulate(pieces: list[bytes]) -> Completion:
    decoder, accumulator = SSEDecoder(), StreamAccumulator()
    for piece in pieces:
        for data in decoder.feed(piece):
            accumulator.feed_event(data)
    for data in decoder.close():
        accumulator.feed_event(data)
    assert accumulator.done
    return accumulator.completion()


def essence(c: Completion) -> tuple:
    return (c.content, c.reasoning, [(t.id, t.name, t.raw_arguments, t.arguments) for t in c.tool_calls],
            c.finish_reason, c.usage)


@settings(max_examples=150, deadline=None)
@given(reply=replies, cuts=st.lists(st.integers(0, 10_000), max_size=40), crlf=st.booleans(), keepalive=st.booleans())
def test_any_split_of_the_byte_stream_gives_the_same_completion(reply: Reply, cuts: list[int], crlf: bool, keepalive: bool) -> None:
    data = sse_bytes(reply)
    if keepalive:  # comment lines proxies and servers send to keep the connection open
        data = data.replace(b"\n\ndata: ", b"\n\n: ping\n\ndata: ", 3)
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    bounds = sorted({c % (len(data) + 1) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *bounds], [*bounds, len(data)])]

    whole = accumulate([data])

    assert essence(accumulate(pieces)) == essence(whole)
    assert (whole.content, whole.reasoning) == (reply.content, reply.reasoning)
    assert [t.arguments for t in whole.tool_calls] == [c.arguments for c in reply.tool_calls]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(splits=st.lists(st.integers(1, 64), min_size=1, max_size=12))
def test_any_split_on_the_socket_gives_the_same_completion(fake: FakeVLLMServer, splits: list[int]) -> None:
    reply = {"reasoning": "Größe prüfen — 検索する 🚀", "content": "Fertig ✅", "chunk_chars": 3, "cached_tokens": 16,
             "tool_calls": [{"name": "get_deal", "arguments": {"id": 7, "note": "naïve €"}}]}
    fake.script([reply, {**reply, "write_splits": splits}])
    with ChatClient(fake.url, "kimi-k2-thinking") as client:
        plain = client.chat(user(), [tool("get_deal")])
        split = client.chat(user(), [tool("get_deal")])

    assert essence(split) == essence(plain)
    assert json.loads(split.tool_calls[0].raw_arguments) == {"id": 7, "note": "naïve €"}
