"""The demo CRM+ERP connector: realistic sample data behind the same operation contract.

The records live in a :class:`~connectors.demo.store.DemoStore`. The app registers a factory that
returns its database-backed store for a connection (:func:`set_store_factory`); without one,
each ``(seed, today)`` pair gets a process-wide in-memory store, which is what tests use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..base import Connector, ConnectorError
from ..registry import register
from .data import CLOSED_STAGES, STAGE_PROBABILITY, quarter_of
from .operations import OPERATIONS
from .store import DemoStore, MemoryDemoStore, Page

StoreFactory = Callable[[Mapping[str, Any]], DemoStore]

_memory_stores: dict[tuple[int, str], MemoryDemoStore] = {}
_memory_lock = threading.Lock()


def memory_store_for(settings: Mapping[str, Any]) -> MemoryDemoStore:
    """The default factory: one seeded in-memory store per ``(seed, today)`` in this process."""
    seed, today = int(settings.get("seed", 7)), str(settings.get("today") or date.today().isoformat())
    with _memory_lock:
        if (seed, today) not in _memory_stores:
            _memory_stores[(seed, today)] = MemoryDemoStore.seeded(seed=seed, today=date.fromisoformat(today))
        return _memory_stores[(seed, today)]


_store_factory: StoreFactory = memory_store_for


def set_store_factory(factory: StoreFactory) -> StoreFactory:
    """Install the app's store factory (called with the connection's settings); returns the old one."""
    global _store_factory
    previous, _store_factory = _store_factory, factory
    return previous


def _through(day: str) -> str:
    """An inclusive end date as an exclusive bound that also covers timestamps on that day."""
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


@register
class DemoConnector(Connector):
    """Settings: ``seed`` (int) and ``today`` (ISO date the sample data is anchored to) for the
    in-memory store; the app's store factory may read others (e.g. an organization id). No secrets."""

    type = "demo"
    operations = OPERATIONS

    def __init__(
        self, *, settings: Mapping[str, Any], secrets: Mapping[str, str], store: DemoStore | None = None,
        ledger: Any = None,
    ):
        # Idempotency lives in the store itself (it keeps the keys), so the ledger is unused.
        super().__init__(settings=settings, secrets=secrets, ledger=ledger)
        self.store = store if store is not None else _store_factory(self.settings)

    def today(self) -> date:
        return date.fromisoformat(self.settings["today"]) if self.settings.get("today") else date.today()

    def _check(self) -> None:
        self.store.list("owners", limit=1)

    # -- paging ----------------------------------------------------------------------------
    def iterate(self, name: str, args: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        op = self.operation(name)
        if op.kind != "read" or "cursor" not in op.args_schema.get("properties", {}):
            yield from super().iterate(name, args)
            return
        args = {**args, "limit": args.get("limit", 500)}
        while True:
            page = self.call(name, args)
            yield from page["results"]
            if not page["next_cursor"]:
                return
            args["cursor"] = page["next_cursor"]

    def _page(self, entity: str, filters: dict[str, Any], args: Mapping[str, Any], order_by: str) -> dict[str, Any]:
        try:
            page = self.store.list(entity, filters=filters, order_by=order_by,
                                   limit=args.get("limit", 100), cursor=args.get("cursor"))
        except ValueError as exc:
            raise ConnectorError(f"demo.{entity}: {exc}", retryable=False) from None
        return {"results": self._enrich(entity, page), "next_cursor": page.next_cursor, "total": page.total}

    # -- joins the model would otherwise have to do itself ------------------------------------
    def _by_ids(self, entity: str, ids: set[str]) -> dict[str, dict[str, Any]]:
        ids.discard(None)  # type: ignore[arg-type]
        if not ids:
            return {}
        page = self.store.list(entity, filters={"id": {"in": sorted(ids)}}, limit=len(ids))
        return {r["id"]: r for r in page.records}

    def _enrich(self, entity: str, page: Page) -> list[dict[str, Any]]:
        records = page.records
        owners = self._by_ids("owners", {r.get("owner_id") for r in records})
        accounts = self._by_ids("accounts", {r.get("account_id") for r in records}) if entity != "accounts" else {}
        contacts = self._by_ids("contacts", {r.get("contact_id") for r in records}) if entity != "contacts" else {}
        for record in records:
            if (owner := owners.get(record.get("owner_id"))) is not None:
                record["owner_name"], record["owner_email"] = owner["name"], owner["email"]
            if (account := accounts.get(record.get("account_id"))) is not None:
                record["account_name"] = account["name"]
            if (contact := contacts.get(record.get("contact_id"))) is not None:
                record["contact_name"], record["contact_email"] = contact["name"], contact["email"]
        return records

    def _owner_id(self, email: str) -> str:
        page = self.store.list("owners", filters={"email": email.strip().lower()}, limit=1)
        if not page.records:
            known = ", ".join(o["email"] for o in self.store.list("owners", limit=50).records)
            raise ConnectorError(f"no CRM user has the email {email!r}; known users: {known}", retryable=False)
        return page.records[0]["id"]

    def _require(self, entity: str, id_: str | None) -> None:
        if id_ is not None and self.store.get(entity, id_) is None:
            raise ConnectorError(f"there is no {entity[:-1]} with id {id_!r}", retryable=False, status=404)

    @staticmethod
    def _range(filters: dict[str, Any], field: str, start: str | None, end: str | None) -> None:
        bounds = {}
        if start:
            bounds["gte"] = start
        if end:
            bounds["lt"] = _through(end)
        if bounds:
            filters[field] = bounds

    # -- reads -------------------------------------------------------------------------------
    def _run_list_owners(self, args: dict[str, Any]) -> dict[str, Any]:
        filters = {"team": args["team"]} if "team" in args else {}
        return self._page("owners", filters, args, "id")

    def _run_search_accounts(self, args: dict[str, Any]) -> dict[str, Any]:
        filters: dict[str, Any] = {k: args[k] for k in ("industry", "country", "lifecycle") if k in args}
        if "name" in args:
            filters["name"] = {"icontains": args["name"]}
        if "owner_email" in args:
            filters["owner_id"] = self._owner_id(args["owner_email"])
        return self._page("accounts", filters, args, "name")

    def _run_search_contacts(self, args: dict[str, Any]) -> dict[str, Any]:
        filters: dict[str, Any] = {k: args[k] for k in ("account_id", "lifecycle_stage", "marketing_opt_in") if k in args}
        if "name" in args:
            filters["name"] = {"icontains": args["name"]}
        if "email" in args:
            filters["email"] = args["email"].strip().lower()
        if "owner_email" in args:
            filters["owner_id"] = self._owner_id(args["owner_email"])
        return self._page("contacts", filters, args, "id")

    def _run_search_deals(self, args: dict[str, Any]) -> dict[str, Any]:
        filters: dict[str, Any] = {k: args[k] for k in ("account_id", "closed", "quarter") if k in args}
        if "stage" in args:
            stages = args["stage"]
            filters["stage"] = {"in": stages} if isinstance(stages, list) else stages
        if "owner_email" in args:
            filters["owner_id"] = self._owner_id(args["owner_email"])
        if "min_amount" in args:
            filters["amount"] = {"gte": args["min_amount"]}
        self._range(filters, "close_date", args.get("close_date_from"), args.get("close_date_to"))
        self._range(filters, "created_at", args.get("created_from"), args.get("created_to"))
        return self._page("deals", filters, args, args.get("order_by", "close_date"))

    def _run_list_orders(self, args: dict[str, Any]) -> dict[str, Any]:
        filters: dict[str, Any] = {k: args[k] for k in ("account_id", "status") if k in args}
        self._range(filters, "order_date", args.get("date_from"), args.get("date_to"))
        return self._page("orders", filters, args, "order_date")

    def _run_list_invoices(self, args: dict[str, Any]) -> dict[str, Any]:
        filters: dict[str, Any] = {k: args[k] for k in ("account_id", "status") if k in args}
        self._range(filters, "issue_date", args.get("date_from"), args.get("date_to"))
        return self._page("invoices", filters, args, "issue_date")

    def _run_list_activities(self, args: dict[str, Any]) -> dict[str, Any]:
        filters: dict[str, Any] = {k: args[k] for k in ("type", "contact_id", "deal_id", "account_id",
                                                        "campaign", "status") if k in args}
        if "owner_email" in args:
            filters["owner_id"] = self._owner_id(args["owner_email"])
        self._range(filters, "occurred_at", args.get("date_from"), args.get("date_to"))
        return self._page("activities", filters, args, "occurred_at")

    def _run_get_record(self, args: dict[str, Any]) -> dict[str, Any]:
        record = self.store.get(args["entity"], args["id"])
        if record is None:
            raise ConnectorError(f"there is no {args['entity'][:-1]} with id {args['id']!r}", retryable=False, status=404)
        return {"record": self._enrich(args["entity"], Page([record]))[0]}

    # -- writes ------------------------------------------------------------------------------
    def _now(self) -> str:
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _links(self, args: Mapping[str, Any]) -> dict[str, Any]:
        links = {}
        for entity, key in (("contacts", "contact_id"), ("accounts", "account_id"), ("deals", "deal_id")):
            self._require(entity, args.get(key))
            links[key] = args.get(key)
        if links["account_id"] is None and links["contact_id"] is not None:
            links["account_id"] = self.store.get("contacts", links["contact_id"])["account_id"]
        return links

    def _insert(self, entity: str, record: dict[str, Any], key: str | None) -> dict[str, Any]:
        result = self.store.insert(entity, record, idempotency_key=key)
        return {"record": self._enrich(entity, Page([result.record]))[0], "performed": result.performed}

    def _run_create_note(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        owner_id = self._owner_id(args["owner_email"]) if "owner_email" in args else None
        return self._insert("activities", {
            "type": "note", "subject": args.get("subject", "Note"), "body": args["body"], "owner_id": owner_id,
            **self._links(args), "occurred_at": self._now(), "status": "done", "due_date": None, "campaign": None,
        }, idempotency_key)

    def _run_create_task(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        owner_id = self._owner_id(args["owner_email"]) if "owner_email" in args else None
        return self._insert("activities", {
            "type": "task", "subject": args["subject"], "body": args.get("body", ""), "owner_id": owner_id,
            **self._links(args), "occurred_at": self._now(), "status": "open", "due_date": args["due_date"],
            "campaign": None,
        }, idempotency_key)

    def _run_update_deal_stage(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        self._require("deals", args["deal_id"])
        stage = args["stage"]
        changes: dict[str, Any] = {"stage": stage, "probability": STAGE_PROBABILITY[stage],
                                   "closed": stage in CLOSED_STAGES}
        if stage in CLOSED_STAGES:
            changes["close_date"] = self.today().isoformat()
            changes["quarter"] = quarter_of(self.today())
        result = self.store.update("deals", args["deal_id"], changes, idempotency_key=idempotency_key)
        return {"record": self._enrich("deals", Page([result.record]))[0], "performed": result.performed}

    def _run_log_activity(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        owner_id = self._owner_id(args["owner_email"]) if "owner_email" in args else None
        contacts = self._by_ids("contacts", set(args["contact_ids"]))
        missing = sorted(set(args["contact_ids"]) - contacts.keys())
        if missing:
            raise ConnectorError(f"unknown contact ids: {', '.join(missing[:20])}", retryable=False, status=404)
        created, performed = [], False
        for contact_id in dict.fromkeys(args["contact_ids"]):
            # One key per contact: a retry after a partial failure completes the rest only.
            key = f"{idempotency_key}:{contact_id}" if idempotency_key else None
            result = self.store.insert("activities", {
                "type": args["type"], "subject": args["subject"], "body": args.get("body", ""),
                "owner_id": owner_id, "contact_id": contact_id, "account_id": contacts[contact_id]["account_id"],
                "deal_id": None, "occurred_at": self._now(), "status": "done", "due_date": None,
                "campaign": args.get("campaign"),
            }, idempotency_key=key)
            created.append(result.record["id"])
            performed = performed or result.performed
        return {"record": {"activity_ids": created, "count": len(created)}, "performed": performed}

    def _run_create_contact(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        self._require("accounts", args.get("account_id"))
        email = args["email"].strip().lower()
        existing = self.store.list("contacts", filters={"email": email}, limit=1).records
        # A repeat of this very write (same key) is not a conflict; a store without ``seen``
        # (older app stores) errs on the side of refusing rather than duplicating.
        seen = getattr(self.store, "seen", None)
        if existing and not (idempotency_key and seen is not None and seen(idempotency_key)):
            raise ConnectorError(f"a contact with email {email} already exists ({existing[0]['id']})",
                                 retryable=False, status=409)
        owner_id = self._owner_id(args["owner_email"]) if "owner_email" in args else None
        return self._insert("contacts", {
            "first_name": args["first_name"], "last_name": args["last_name"],
            "name": f"{args['first_name']} {args['last_name']}", "email": email, "phone": args.get("phone"),
            "title": args.get("title"), "account_id": args.get("account_id"), "owner_id": owner_id,
            "lifecycle_stage": args.get("lifecycle_stage", "lead"),
            "marketing_opt_in": args.get("marketing_opt_in", False), "created_at": self._now(),
        }, idempotency_key)
