"""The HubSpot connector: operations mapped onto :class:`HubSpotClient`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timezone
from typing import Any

from ..base import Connector
from ..registry import register
from .client import HubSpotClient
from .operations import DEFAULT_PROPERTIES, OPERATIONS

# HubSpot-defined association type ids (v4), from the note/task to the record.
NOTE_TO = {"contact_ids": 202, "company_ids": 190, "deal_ids": 214}
TASK_TO = {"contact_ids": 204, "company_ids": 192, "deal_ids": 216}


def _associations(args: Mapping[str, Any], type_ids: Mapping[str, int]) -> list[dict[str, Any]]:
    return [{"to": {"id": id_}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}
            for key, type_id in type_ids.items() for id_ in args.get(key, [])]


def _timestamp(value: str | None) -> str:
    if not value:
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if len(value) == 10:
        return date.fromisoformat(value).isoformat() + "T00:00:00.000Z"
    return value


@register
class HubSpotConnector(Connector):
    """Settings: ``base_url`` (tests only). Secrets: ``access_token`` (private app), or
    ``client_id``, ``client_secret``, ``refresh_token`` (OAuth)."""

    type = "hubspot"
    operations = OPERATIONS
    client_class = HubSpotClient

    def _check(self) -> None:
        self.client.search_page("contacts", {"limit": 1, "properties": ["email"]})

    # -- reads ---------------------------------------------------------------------------------
    def _search(self, object_type: str, args: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"filterGroups": args.get("filter_groups", []), "limit": args.get("limit", 100),
                                "properties": args.get("properties", DEFAULT_PROPERTIES[object_type])}
        for key in ("query", "sorts", "after"):
            if key in args:
                body[key] = args[key]
        page = self.client.search_page(object_type, body)
        return {"results": page.get("results", []), "total": page.get("total"),
                "next_cursor": page.get("paging", {}).get("next", {}).get("after")}

    def _run_search_deals(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._search("deals", args)

    def _run_search_contacts(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._search("contacts", args)

    def _run_search_companies(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._search("companies", args)

    def iterate(self, name: str, args: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Stream every result of a search in id order, however many (past the 10,000 ceiling)."""
        object_type = name.removeprefix("hubspot.search_")
        if object_type not in DEFAULT_PROPERTIES:
            yield from super().iterate(name, args)
            return
        for page in self.client.search_all(object_type, filter_groups=args.get("filter_groups"),
                                           properties=args.get("properties", DEFAULT_PROPERTIES[object_type]),
                                           query=args.get("query")):
            yield from page

    def _run_list_associations(self, args: dict[str, Any]) -> dict[str, Any]:
        links = [{"id": str(r["toObjectId"]), "type_ids": [t["typeId"] for t in r.get("associationTypes", [])]}
                 for r in self.client.associations(args["from_type"], args["id"], args["to_type"])]
        return {"results": links, "next_cursor": None, "total": len(links)}

    # -- writes ---------------------------------------------------------------------------------
    def _run_associate(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        # Idempotent on HubSpot's side (PUT), so no ledger entry is needed.
        self.client.associate(args["from_type"], args["from_id"], args["to_type"], args["to_id"])
        return {"id": args["from_id"], "performed": True}

    def _run_create_note(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            note = self.client.create("notes", {"hs_note_body": args["body"],
                                                "hs_timestamp": _timestamp(args.get("timestamp"))},
                                      _associations(args, NOTE_TO))
            return {"id": note["id"]}

        return self._perform_once("create_note", idempotency_key, perform)

    def _run_create_task(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            props = {"hs_task_subject": args["subject"], "hs_task_body": args.get("body", ""),
                     "hs_timestamp": _timestamp(args["due"]), "hs_task_status": "NOT_STARTED",
                     "hs_task_priority": args.get("priority", "MEDIUM")}
            if args.get("owner_id"):
                props["hubspot_owner_id"] = args["owner_id"]
            task = self.client.create("tasks", props, _associations(args, TASK_TO))
            return {"id": task["id"]}

        return self._perform_once("create_task", idempotency_key, perform)

    def _run_update_deal(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            deal = self.client.update("deals", args["deal_id"], args["properties"])
            return {"id": deal["id"], "properties": {k: deal["properties"].get(k) for k in args["properties"]}}

        return self._perform_once("update_deal", idempotency_key, perform)

    def _run_create_contact(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            props = {k: v for k, v in args.items() if k != "owner_id"}
            if args.get("owner_id"):
                props["hubspot_owner_id"] = args["owner_id"]
            return {"id": self.client.create("contacts", props)["id"]}

        return self._perform_once("create_contact", idempotency_key, perform)
