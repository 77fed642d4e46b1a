"""Golden cases for the raw Kimi K2 markup parser."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.kimi import parse_tool_calls, split_reasoning

B, E = "<|tool_calls_section_begin|>", "<|tool_calls_section_end|>"
CB, AB, CE = "<|tool_call_begin|>", "<|tool_call_argument_begin|>", "<|tool_call_end|>"


def call(ident: str, args: str) -> str:
    return f"{CB}{ident}{AB}{args}{CE}"


def calls_of(text: str) -> list[tuple[str, str, dict, str]]:
    return [(c.id, c.name, c.arguments, c.raw_arguments) for c in parse_tool_calls(text)[1]]


def test_plain_text_passes_through_untouched() -> None:
    assert parse_tool_calls("No tools needed <| here.") == ("No tools needed <| here.", [])


def test_one_call_in_a_section_after_some_text() -> None:
    text = "Let me check." + B + call("functions.get_deal:0", '{"id": 17}') + E

    content, calls = parse_tool_calls(text)

    assert content == "Let me check."
    assert calls_of(text) == [("functions.get_deal:0", "get_deal", {"id": 17}, '{"id": 17}')]


def test_several_calls_keep_their_order_and_global_indexes() -> None:
    text = B + call("functions.a:3", "{}") + "\n" + call("functions.b_c:4", '{"x": [1, 2]}') + E

    assert [(i, n) for i, n, _, _ in calls_of(text)] == [("functions.a:3", "a"), ("functions.b_c:4", "b_c")]


def test_whitespace_around_ids_and_arguments_is_tolerated() -> None:
    text = B + f"\n {CB} functions.get_deal:0 \n{AB} \n{{\"id\": 1}}\n {CE}\n" + E

    assert calls_of(text) == [("functions.get_deal:0", "get_deal", {"id": 1}, '{"id": 1}')]


def test_text_after_the_section_is_kept() -> None:
    content, _ = parse_tool_calls("before " + B + call("functions.x:0", "{}") + E + " after")

    assert content == "before  after"


def test_an_unfinished_call_at_the_end_is_dropped_with_its_text() -> None:
    text = "ok" + B + call("functions.a:0", '{"n": 1}') + CB + "functions.b:1" + AB + '{"n":'

    content, calls = parse_tool_calls(text)

    assert content == "ok"
    assert [c.name for c in calls] == ["a"]


def test_the_singular_section_spelling_is_accepted() -> None:
    text = "<|tool_call_section_begin|>" + call("functions.a:0", "{}") + "<|tool_call_section_end|>"

    assert calls_of(text) == [("functions.a:0", "a", {}, "{}")]


def test_a_call_without_section_markers_is_still_found() -> None:
    assert calls_of("x " + call("functions.a:0", '{"k": "v"}'))[0][2] == {"k": "v"}


def test_the_bare_name_index_id_form_gives_the_name() -> None:
    assert calls_of(B + call("lookup:2", "{}") + E)[0][:2] == ("lookup:2", "lookup")


def test_invalid_json_arguments_are_kept_raw_with_a_parse_error() -> None:
    _, calls = parse_tool_calls(B + call("functions.a:0", "{'single': quotes}") + E)

    assert calls[0].arguments == {}
    assert calls[0].raw_arguments == "{'single': quotes}"
    assert "not valid JSON" in calls[0].parse_error


def test_stray_markers_are_removed_from_text() -> None:
    assert parse_tool_calls("answer" + E)[0] == "answer"


@pytest.mark.parametrize("text, expected", [
    ("plain answer", ("", "plain answer")),
    ("<think>weigh options</think>The answer", ("weigh options", "The answer")),
    ("<think>\nweigh\n</think>\n\nThe answer", ("weigh", "The answer")),
    ("weigh options</think>The answer", ("weigh options", "The answer")),
    ("<think>cut off mid thought", ("cut off mid thought", "")),
    ("<think>plan" + B + "x", ("plan", B + "x")),
    ("", ("", "")),
])
def test_split_reasoning_golden_cases(text: str, expected: tuple[str, str]) -> None:
    assert split_reasoning(text) == expected


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 1000])
def test_the_streaming_filter_shows_exactly_the_text_the_parser_keeps(size: int) -> None:
    from inference.stream import MarkupFilter

    text = "Look <b>here</b>: " + B + call("functions.a:0", '{"x": "<|"}') + E + " then more <|im_end"
    markup_filter = MarkupFilter()
    shown = "".join(markup_filter.feed(text[i:i + size]) for i in range(0, len(text), size)) + markup_filter.flush()

    assert shown == parse_tool_calls(text)[0]


MARKUP_PIECES = [B, E, CB, AB, CE, "<|tool_call_section_begin|>", "functions.a:0", '{"x": 1}', "hello ", "<|", "<",
                 "|", "tool", " world", "<|im_end|>"]


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.sampled_from(MARKUP_PIECES), max_size=14), sizes=st.lists(st.integers(1, 9), min_size=1, max_size=10))
def test_the_streaming_filter_agrees_with_the_parser_for_any_markup_and_any_split(pieces: list[str], sizes: list[int]) -> None:
    from inference.stream import MarkupFilter

    text, markup_filter, shown, position = "".join(pieces), MarkupFilter(), [], 0
    for turn in range(len(text)):
        if position >= len(text):
            break
        size = sizes[turn % len(sizes)]
        shown.append(markup_filter.feed(text[position:position + size]))
        position += size
    shown.append(markup_filter.flush())

    assert "".join(shown) == parse_tool_calls(text)[0]
