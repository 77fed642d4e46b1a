"""Behaviour every :class:`~connectors.demo.store.DemoStore` must share with the memory store.

The app's database-backed store runs these same checks in its own tests:
``check_store(lambda: DjangoDemoStore(org.id))``. Each check gets a fresh, empty store.
"""

from __future__ import annotations

from collections.abc import Callable

from .store import DemoStore

MakeStore = Callable[[], DemoStore]

_ROWS = [
    {"name": "Atlas Foods", "stage": "proposal", "amount": 1200.0, "close_date": "2026-01-15", "due_date": None},
    {"name": "Blue Retail", "stage": "closed_won", "amount": 800.0, "close_date": "2026-02-01", "due_date": "2026-02-09"},
    {"name": "Cedar Labs", "stage": "closed_won", "amount": 1200.0, "close_date": "2026-03-31", "due_date": None},
    {"name": "atlas freight", "stage": "closed_lost", "amount": 50.0, "close_date": "2026-04-01", "due_date": None},
    {"name": "Delta Energy", "stage": "negotiation", "amount": 99000.0, "close_date": "2025-12-31", "due_date": None},
]


def _filled(make: MakeStore) -> DemoStore:
    store = make()
    for row in _ROWS:
        store.insert("deals", row)
    return store


def _names(store: DemoStore, **kwargs) -> list[str]:
    return [r["name"] for r in store.list("deals", limit=100, **kwargs).records]


def check_filters(make: MakeStore) -> None:
    store = _filled(make)
    assert _names(store, filters={"stage": "closed_won"}) == ["Blue Retail", "Cedar Labs"]
    assert _names(store, filters={"stage": {"in": ["proposal", "closed_lost"]}}) == ["Atlas Foods", "atlas freight"]
    assert _names(store, filters={"close_date": {"gte": "2026-01-01", "lt": "2026-04-01"}}) == [
        "Atlas Foods", "Blue Retail", "Cedar Labs"]
    assert _names(store, filters={"amount": {"gt": 800, "lte": 1200}}) == ["Atlas Foods", "Cedar Labs"]
    assert _names(store, filters={"name": {"icontains": "ATLAS"}}) == ["Atlas Foods", "atlas freight"]
    assert _names(store, filters={"due_date": {"isnull": False}}) == ["Blue Retail"]
    assert len(_names(store, filters={"due_date": {"isnull": True}})) == 4, "a JSON null counts as null"


def check_ordering_and_paging(make: MakeStore) -> None:
    store = _filled(make)
    assert _names(store, order_by="-amount")[:3] == ["Delta Energy", "Cedar Labs", "Atlas Foods"], \
        "ties are broken by id, in the same direction"
    assert _names(store, order_by="close_date")[0] == "Delta Energy"
    seen, cursor = [], None
    while True:
        page = store.list("deals", order_by="close_date", limit=2, cursor=cursor)
        assert page.total == 5
        seen += [r["name"] for r in page.records]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == _names(store, order_by="close_date")


def check_writes(make: MakeStore) -> None:
    store = make()
    first = store.insert("activities", {"type": "task", "subject": "Call"}, idempotency_key="k-1")
    assert first.performed and first.record["id"].startswith("act-")
    again = store.insert("activities", {"type": "task", "subject": "Call"}, idempotency_key="k-1")
    assert not again.performed and again.record["id"] == first.record["id"]
    assert store.list("activities").total == 1
    assert store.seen("k-1") and not store.seen("k-2")
    fetched = store.get("activities", first.record["id"])
    fetched["subject"] = "changed by the caller"
    assert store.get("activities", first.record["id"])["subject"] == "Call", "get returns a copy"
    updated = store.update("activities", first.record["id"], {"status": "done"}, idempotency_key="k-2")
    assert updated.performed and updated.record["status"] == "done"
    replay = store.update("activities", first.record["id"], {"status": "open"}, idempotency_key="k-2")
    assert not replay.performed and store.get("activities", first.record["id"])["status"] == "done"
    try:
        store.update("activities", "act-999999", {"status": "done"})
    except KeyError:
        pass
    else:
        raise AssertionError("updating an unknown id must raise KeyError")


CHECKS = (check_filters, check_ordering_and_paging, check_writes)


def check_store(make: MakeStore) -> None:
    for check in CHECKS:
        check(make)
