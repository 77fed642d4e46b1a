from __future__ import annotations

import json
from collections import Counter

import pytest

from connectors.base import ConnectorError
from connectors.demo import DemoConnector, MemoryDemoStore
from connectors.demo.data import STAGES, generate

TODAY = "2026-11-29"


@pytest.fixture
def demo():
    # A private store per test, so writes in one test never leak into another.
    store = MemoryDemoStore.seeded(seed=7, today=__import__("datetime").date.fromisoformat(TODAY))
    return DemoConnector(settings={"today": TODAY}, secrets={}, store=store)


def test_the_same_seed_and_day_give_the_same_sample_data_and_another_seed_does_not():
    from datetime import date

    day = date.fromisoformat(TODAY)
    assert generate(seed=7, today=day) == generate(seed=7, today=day)
    assert generate(seed=8, today=day)["deals"] != generate(seed=7, today=day)["deals"]


def test_the_sample_covers_every_stage_and_eight_quarters_of_closed_deals(demo):
    deals = list(demo.iterate("demo.search_deals", {}))
    assert set(Counter(d["stage"] for d in deals)) == set(STAGES)
    won_quarters = {d["quarter"] for d in deals if d["stage"] == "closed_won"}
    assert {"2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"} <= won_quarters
    assert 300 <= len(deals) <= 3000


def test_paging_to_the_end_returns_every_deal_once(demo):
    seen, cursor, pages = [], None, 0
    while True:
        args = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        page = demo.call("demo.search_deals", args)
        seen += [d["id"] for d in page["results"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == page["total"]
    assert pages == -(-page["total"] // 50)


def test_deal_search_filters_by_stage_owner_and_inclusive_close_dates(demo):
    owner = demo.call("demo.list_owners", {"team": "Sales"})["results"][0]
    args = {"stage": ["closed_won", "closed_lost"], "owner_email": owner["email"],
            "close_date_from": "2026-01-01", "close_date_to": "2026-03-31"}
    deals = list(demo.iterate("demo.search_deals", args))
    assert deals, "the seeded data should have closed deals for this owner in 2026-Q1"
    for deal in deals:
        assert deal["stage"] in ("closed_won", "closed_lost")
        assert deal["owner_email"] == owner["email"]
        assert "2026-01-01" <= deal["close_date"] <= "2026-03-31"
    by_quarter = list(demo.iterate("demo.search_deals", {**args, "quarter": "2026-Q1"}))
    assert [d["id"] for d in by_quarter] == [d["id"] for d in deals]


def test_orders_and_invoices_are_listed_for_a_period_with_account_names(demo):
    orders = list(demo.iterate("demo.list_orders", {"date_from": "2026-07-01", "date_to": "2026-09-30"}))
    invoices = list(demo.iterate("demo.list_invoices", {"date_from": "2026-07-01", "date_to": "2026-09-30"}))
    assert orders and invoices
    assert all("2026-07-01" <= o["order_date"] <= "2026-09-30" and o["account_name"] for o in orders)
    assert all(o["total"] == pytest.approx(sum(line["total"] for line in o["lines"])) for o in orders)
    assert {i["status"] for i in demo.iterate("demo.list_invoices", {})} == {"open", "paid", "overdue"}


def test_contacts_carry_emails_and_owners_for_matching_meeting_action_items(demo):
    contact = demo.call("demo.search_contacts", {"limit": 1})["results"][0]
    found = demo.call("demo.search_contacts", {"name": contact["name"].split()[1].upper()})["results"]
    assert contact["id"] in [c["id"] for c in found]
    assert "@" in contact["email"] and contact["owner_email"].endswith("@farside-demo.example")
    by_email = demo.call("demo.search_contacts", {"email": contact["email"].upper()})["results"]
    assert [c["id"] for c in by_email] == [contact["id"]]


def test_a_task_created_twice_with_the_same_key_exists_once(demo):
    args = {"subject": "Send pricing to Greta", "due_date": "2026-12-05",
            "owner_email": "maya.lindqvist@farside-demo.example", "contact_id": "con-1"}
    first = demo.call("demo.create_task", args, idempotency_key="run-1:step-4")
    again = demo.call("demo.create_task", args, idempotency_key="run-1:step-4")
    assert first["performed"] is True and again["performed"] is False
    assert again["record"]["id"] == first["record"]["id"]
    tasks = [a for a in demo.iterate("demo.list_activities", {"type": "task", "contact_id": "con-1"})
             if a["subject"] == "Send pricing to Greta"]
    assert len(tasks) == 1 and tasks[0]["owner_name"] == "Maya Lindqvist"


def test_a_campaign_logged_twice_with_the_same_key_touches_each_contact_once(demo):
    contacts = [c["id"] for c in demo.call("demo.search_contacts", {"marketing_opt_in": True, "limit": 5})["results"]]
    args = {"type": "campaign", "subject": "Winter launch", "campaign": "Winter launch", "contact_ids": contacts}
    demo.call("demo.log_activity", args, idempotency_key="k-1")
    repeat = demo.call("demo.log_activity", args, idempotency_key="k-1")
    assert repeat["performed"] is False
    logged = list(demo.iterate("demo.list_activities", {"campaign": "Winter launch"}))
    assert sorted(a["contact_id"] for a in logged) == sorted(contacts)


def test_closing_a_deal_sets_todays_close_date_once(demo):
    deal = demo.call("demo.search_deals", {"stage": "negotiation", "limit": 1})["results"][0]
    result = demo.call("demo.update_deal_stage", {"deal_id": deal["id"], "stage": "closed_won"}, idempotency_key="x")
    assert result["record"]["close_date"] == TODAY and result["record"]["closed"] is True
    demo.call("demo.update_deal_stage", {"deal_id": deal["id"], "stage": "proposal"}, idempotency_key="y")
    replay = demo.call("demo.update_deal_stage", {"deal_id": deal["id"], "stage": "closed_won"}, idempotency_key="x")
    assert replay["performed"] is False
    assert demo.call("demo.get_record", {"entity": "deals", "id": deal["id"]})["record"]["stage"] == "proposal"


def test_an_unknown_owner_email_is_a_permanent_error_that_names_the_known_users(demo):
    with pytest.raises(ConnectorError) as caught:
        demo.call("demo.search_deals", {"owner_email": "nobody@example.com"})
    assert caught.value.retryable is False
    assert "maya.lindqvist@farside-demo.example" in str(caught.value)


def test_arguments_that_break_the_schema_are_refused_before_touching_the_store(demo):
    with pytest.raises(ConnectorError) as caught:
        demo.call("demo.search_deals", {"stage": "won"})
    assert caught.value.retryable is False
    with pytest.raises(ConnectorError):
        demo.call("demo.create_note", {"body": "orphan note"}, idempotency_key="k")


def test_a_second_contact_with_the_same_email_is_a_conflict(demo):
    existing = demo.call("demo.search_contacts", {"limit": 1})["results"][0]
    with pytest.raises(ConnectorError) as caught:
        demo.call("demo.create_contact", {"first_name": "A", "last_name": "B", "email": existing["email"]},
                  idempotency_key="c-1")
    assert caught.value.status == 409
    made = demo.call("demo.create_contact", {"first_name": "Ada", "last_name": "Byron", "email": "ada@new.example",
                                             "account_id": "acc-1"}, idempotency_key="c-2")
    again = demo.call("demo.create_contact", {"first_name": "Ada", "last_name": "Byron", "email": "ada@new.example",
                                              "account_id": "acc-1"}, idempotency_key="c-2")
    assert again["record"]["id"] == made["record"]["id"] and again["performed"] is False


def test_every_result_is_json_serialisable(demo):
    for op in DemoConnector.operations:
        if op.kind == "read" and op.name != "demo.get_record":
            json.dumps(demo.call(op.name, {"limit": 3}))
    json.dumps(demo.call("demo.get_record", {"entity": "invoices", "id": "inv-1"}))


def test_parallel_writes_with_one_key_create_one_task(demo):
    from concurrent.futures import ThreadPoolExecutor

    args = {"subject": "Prepare QBR deck", "due_date": "2026-12-10", "account_id": "acc-2"}
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: demo.call("demo.create_task", args, idempotency_key="par-1"), range(16)))
    assert len({r["record"]["id"] for r in results}) == 1
    assert sum(r["performed"] for r in results) == 1
