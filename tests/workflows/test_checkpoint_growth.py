"""Checkpoint storage of an agent grows linearly with its steps (measured on PostgreSQL)."""

import pytest
from langgraph.checkpoint.postgres import PostgresSaver

from .pg import checkpoint_bytes, scratch_database
from .test_agent_loop import agent_spec, calc


@pytest.fixture(scope="module")
def pg_dsn():
    try:
        with scratch_database() as dsn:
            yield dsn
    except Exception as exc:  # pragma: no cover - only when PostgreSQL is down
        pytest.fail(f"PostgreSQL is required for this test: {exc}")


def test_checkpoint_bytes_after_10_100_and_300_agent_steps_grow_linearly(runner, client, fake_model, pg_dsn):
    sizes = {}
    with PostgresSaver.from_conn_string(pg_dsn) as saver:
        saver.setup()
        for steps in (10, 100, 300):
            fake_model.script([{**calc(i), "reasoning": f"thinking {i} " + "x" * 400} for i in range(steps)]
                              + [{"content": "done"}])
            run = runner(agent_spec(), model=client, checkpointer=saver, run_id=f"growth-{steps}")
            assert run.start() == []
            assert run.state["results"]["work"]["tool_calls"] == steps
            sizes[steps] = checkpoint_bytes(saver.conn, f"growth-{steps}")
    early = (sizes[100] - sizes[10]) / 90
    late = (sizes[300] - sizes[100]) / 200
    print(f"checkpoint bytes: {sizes}; per step 10→100: {early:.0f}, 100→300: {late:.0f}")
    # Quadratic growth (the whole history in every checkpoint) would make the late slope ~4x the early one.
    assert 0.75 < late / early < 1.25
