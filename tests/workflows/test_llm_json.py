"""What an llm step accepts as a JSON answer."""

from __future__ import annotations

import json

import pytest

from workflows.nodes.llm import parse_json


def test_a_raw_newline_inside_a_string_is_accepted_as_small_models_write_it():
    assert parse_json('{"body": "Hello,\nwelcome back"}') == {"body": "Hello,\nwelcome back"}


def test_a_markdown_fence_around_the_json_is_ignored():
    assert parse_json('```json\n{"a": 1}\n```') == {"a": 1}


def test_text_that_is_not_json_is_still_refused():
    with pytest.raises(json.JSONDecodeError):
        parse_json("Sure! Here is the summary you asked for.")
