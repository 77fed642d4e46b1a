from __future__ import annotations

from inference import ContextBudget, ToolCall, estimate_tokens, validate_tool_call
from tests.inference.k2_messages import tool, user

TOOLS = [tool("search_deals", stage={"type": "string", "enum": ["open", "won"]}, limit={"type": "integer", "minimum": 1})]


def test_a_declared_tool_with_valid_arguments_passes() -> None:
    call = ToolCall.from_raw("functions.search_deals:0", "search_deals", '{"stage": "open", "limit": 5}')

    assert validate_tool_call(call, TOOLS) is None


def test_an_undeclared_tool_is_named_with_the_available_ones() -> None:
    message = validate_tool_call(ToolCall.from_raw("functions.drop_db:0", "drop_db", "{}"), TOOLS)

    assert "'drop_db' does not exist" in message and "search_deals" in message


def test_schema_violations_say_where_and_what() -> None:
    message = validate_tool_call(ToolCall.from_raw("x", "search_deals", '{"stage": "pending", "limit": 0}'), TOOLS)

    assert "stage: 'pending' is not one of ['open', 'won']" in message
    assert "limit: 0 is less than the minimum of 1" in message


def test_missing_required_arguments_are_reported() -> None:
    message = validate_tool_call(ToolCall.from_raw("x", "search_deals", '{"stage": "open"}'), TOOLS)

    assert "'limit' is a required property" in message


def test_unparseable_arguments_are_reported() -> None:
    message = validate_tool_call(ToolCall.from_raw("x", "search_deals", '{"stage": '), TOOLS)

    assert "could not be read" in message


def test_the_estimate_grows_with_the_conversation_and_errs_high() -> None:
    short = user("hi")
    long = user("word " * 4000)

    assert estimate_tokens(long) > estimate_tokens(short)
    assert estimate_tokens(long) >= 20000 / 4  # 20k characters of English is ~5k tokens


def test_the_budget_says_when_to_compact_and_when_it_no_longer_fits() -> None:
    budget = ContextBudget(max_model_len=4096, reserve_output=1024, compact_at=0.5)

    assert not budget.should_compact(user("hi"))
    assert budget.should_compact(user("word " * 1200))
    assert budget.fits(user("word " * 1200))
    assert not budget.fits(user("word " * 4000))
    assert budget.remaining(user("hi")) < 3072


def test_the_budget_reads_the_window_from_the_server(fake, client) -> None:
    budget = ContextBudget.for_client(client)

    assert budget.max_model_len == 262144
    assert budget.reserve_output == 16384
    assert budget.fits(user())
