from __future__ import annotations

import json
import uuid

import psycopg
import pytest

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.netpolicy import NetworkPolicy, set_default_policy
from connectors.sql import SqlConnector
from connectors.sql.guard import check_select

DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"


@pytest.fixture(scope="module")
def schema():
    name = f"farside_sql_{uuid.uuid4().hex[:10]}"
    try:
        conn = psycopg.connect(DSN, autocommit=True)
    except psycopg.OperationalError as exc:  # pragma: no cover - the machine runs PostgreSQL
        pytest.fail(f"PostgreSQL is needed for the SQL connector tests: {exc}")
    conn.execute(f"CREATE SCHEMA {name}")
    conn.execute(f"""CREATE TABLE {name}.invoices (id serial PRIMARY KEY, customer text, amount numeric(12,2),
                     issued date, ref uuid DEFAULT gen_random_uuid())""")
    conn.execute(f"""INSERT INTO {name}.invoices (customer, amount, issued)
                     SELECT 'customer ' || (i % 7), i * 10.5, date '2026-01-01' + i FROM generate_series(1, 5000) i""")
    conn.execute(f"CREATE SEQUENCE {name}.seq")
    yield name
    conn.execute(f"DROP SCHEMA {name} CASCADE")
    conn.close()


def connect(**settings):
    return SqlConnector(settings={"host": "127.0.0.1", "database": "test", "user": "postgres", **settings},
                        secrets={"password": secrets.SQL_PASSWORD})


def test_a_parameterised_select_returns_rows_as_json_ready_objects(schema):
    result = connect().call("sql.query", {
        "sql": f"SELECT customer, sum(amount) AS total, max(issued) AS last_issued, min(ref::text) AS ref "
               f"FROM {schema}.invoices WHERE customer = %(who)s GROUP BY customer",
        "params": {"who": "customer 3"}})
    assert result["columns"] == ["customer", "total", "last_issued", "ref"]
    (row,) = result["results"]
    assert row["customer"] == "customer 3" and isinstance(row["total"], float)
    assert row["last_issued"] == "2039-09-04" and result["truncated"] is False
    json.dumps(result)


def test_a_value_smuggled_in_a_parameter_stays_a_value(schema):
    result = connect().call("sql.query", {"sql": f"SELECT count(*) AS n FROM {schema}.invoices WHERE customer = %(who)s",
                                          "params": {"who": "x' OR '1'='1"}})
    assert result["results"] == [{"n": 0}]


def test_the_row_limit_truncates_and_says_so(schema):
    result = connect(max_rows=100).call("sql.query", {"sql": f"SELECT id FROM {schema}.invoices ORDER BY id"})
    assert result["row_count"] == 100 and result["truncated"] is True
    assert [r["id"] for r in result["results"]] == list(range(1, 101))


def test_streaming_reads_in_batches_up_to_the_configured_maximum(schema):
    rows = list(connect(max_rows=4500).iterate("sql.query", {"sql": f"SELECT id FROM {schema}.invoices ORDER BY id"}))
    assert [r["id"] for r in rows] == list(range(1, 4501))


@pytest.mark.parametrize("statement", [
    "DELETE FROM {s}.invoices",
    "UPDATE {s}.invoices SET amount = 0",
    "SELECT 1; DROP TABLE {s}.invoices",
    "WITH gone AS (DELETE FROM {s}.invoices RETURNING *) SELECT count(*) FROM gone",
    "SELECT * INTO {s}.copy FROM {s}.invoices",
    "SELECT * FROM {s}.invoices FOR UPDATE",
])
def test_anything_but_a_single_select_is_refused_and_nothing_changes(schema, statement):
    with pytest.raises(ConnectorError) as caught:
        connect().call("sql.query", {"sql": statement.format(s=schema)})
    assert caught.value.retryable is False
    count = connect().call("sql.query", {"sql": f"SELECT count(*) AS n FROM {schema}.invoices"})
    assert count["results"] == [{"n": 5000}]


def test_a_write_hidden_in_a_function_call_is_stopped_by_the_read_only_transaction(schema):
    with pytest.raises(ConnectorError) as caught:
        connect().call("sql.query", {"sql": f"SELECT nextval('{schema}.seq')"})
    assert "not allowed" in str(caught.value) and caught.value.retryable is False


def test_the_guard_ignores_keywords_inside_strings_and_comments():
    assert check_select("SELECT 'delete me' AS label -- update later\n;") == "SELECT 'delete me' AS label -- update later"


def test_a_slow_query_is_cancelled_by_the_statement_timeout(schema):
    with pytest.raises(ConnectorError) as caught:
        connect(statement_timeout_ms=200).call("sql.query", {"sql": "SELECT pg_sleep(5)"})
    assert "cancelled" in str(caught.value) and caught.value.retryable is False


def test_a_syntax_error_is_permanent(schema):
    with pytest.raises(ConnectorError) as caught:
        connect().call("sql.query", {"sql": f"SELECT nope FROM {schema}.invoices"})
    assert caught.value.retryable is False and "nope" in str(caught.value)


def test_an_unreachable_database_is_retryable():
    with pytest.raises(ConnectorError) as caught:
        connect(port=1).call("sql.query", {"sql": "SELECT 1"})
    assert caught.value.retryable is True
    assert secrets.SQL_PASSWORD not in str(caught.value)


def test_a_loopback_database_is_refused_without_the_allowlist():
    previous = set_default_policy(NetworkPolicy())
    try:
        with pytest.raises(ConnectorError) as caught:
            connect().call("sql.query", {"sql": "SELECT 1"})
        assert "refusing to connect" in str(caught.value)
    finally:
        set_default_policy(previous)
