"""The Odoo connector: partners, sale orders, invoices, CRM leads, activities — any model by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base import ConnectorError, Operation
from ..keyset import KeysetSearchRead
from ..registry import register
from .client import OdooClient

_MODEL = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$",
          "description": "e.g. res.partner, sale.order, account.move (invoices), crm.lead, mail.activity"}
_DOMAIN = {"type": "array", "description": "Odoo domain, e.g. [[\"state\",\"=\",\"sale\"],[\"date_order\",\">=\",\"2025-07-01\"]]; "
                                          "'|', '&', '!' prefix operators allowed.",
           "items": {"oneOf": [{"enum": ["|", "&", "!"]}, {"type": "array", "minItems": 3, "maxItems": 3}]}}
_WRITE_RESULT = {"type": "object", "properties": {"id": {"type": "integer"}, "performed": {"type": "boolean"}}}

OPERATIONS = (
    Operation(name="odoo.search_read", kind="read",
              description="Search records of an Odoo model with a domain and read fields: partners (res.partner), "
                          "sale orders (sale.order), invoices (account.move, move_type out_invoice), CRM leads "
                          "(crm.lead), activities (mail.activity). Returns one page; next_cursor continues.",
              args_schema={"type": "object", "properties": {
                  "model": _MODEL, "domain": _DOMAIN, "fields": {"type": "array", "items": {"type": "string"}},
                  "limit": {"type": "integer", "minimum": 1, "maximum": KeysetSearchRead.PAGE, "default": 100},
                  "cursor": {"type": "string", "pattern": r"^\d+$"}},
                  "required": ["model"], "additionalProperties": False},
              result_schema={"type": "object", "properties": {"results": {"type": "array"},
                                                              "next_cursor": {"type": ["string", "null"]}},
                             "required": ["results", "next_cursor"]}),
    Operation(name="odoo.create", kind="write", result_schema=_WRITE_RESULT,
              description="Create a record, e.g. a crm.lead {name, partner_id, expected_revenue} or a "
                          "res.partner {name, email, is_company}.",
              args_schema={"type": "object", "properties": {"model": _MODEL, "values": {"type": "object", "minProperties": 1}},
                           "required": ["model", "values"], "additionalProperties": False}),
    Operation(name="odoo.write", kind="write", result_schema=_WRITE_RESULT,
              description="Update fields of existing records, e.g. move a crm.lead to another stage_id.",
              args_schema={"type": "object", "properties": {
                  "model": _MODEL, "ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 1000},
                  "values": {"type": "object", "minProperties": 1}},
                  "required": ["model", "ids", "values"], "additionalProperties": False}),
    Operation(name="odoo.schedule_activity", kind="write", result_schema=_WRITE_RESULT,
              description="Schedule a to-do activity (follow-up task) on a record such as a crm.lead, "
                          "res.partner or sale.order, with a deadline and optionally an assigned user id.",
              args_schema={"type": "object", "properties": {
                  "model": _MODEL, "id": {"type": "integer"}, "summary": {"type": "string", "minLength": 1},
                  "note": {"type": "string"}, "date_deadline": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                  "user_id": {"type": "integer"}},
                  "required": ["model", "id", "summary", "date_deadline"], "additionalProperties": False}),
    Operation(name="odoo.post_note", kind="write", result_schema=_WRITE_RESULT,
              description="Log an internal note in the chatter of a record (e.g. a meeting summary on a "
                          "res.partner, sale.order or crm.lead).",
              args_schema={"type": "object", "properties": {
                  "model": _MODEL, "id": {"type": "integer"}, "body": {"type": "string", "minLength": 1}},
                  "required": ["model", "id", "body"], "additionalProperties": False}),
)


@register
class OdooConnector(KeysetSearchRead):
    """Settings: ``url``, ``database``, ``protocol`` (``json2`` | ``jsonrpc``), ``username`` (JSON-RPC).
    Secrets: ``api_key`` (or ``password`` for JSON-RPC)."""

    type = "odoo"
    operations = OPERATIONS
    client_class = OdooClient

    def _check(self) -> None:
        self.client.execute("res.partner", "search_read", idempotent=True, domain=[], fields=["id"], limit=1)

    def _page(self, args: Mapping[str, Any], after_id: int, limit: int) -> list[dict[str, Any]]:
        # Keyset paging on id: stable while records are created or deleted between pages,
        # unlike offsets.
        # A leading term is ANDed with the whole caller's domain, '|' prefixes included.
        domain = [["id", ">", after_id], *args.get("domain", [])]
        kwargs: dict[str, Any] = {"domain": domain, "limit": limit, "order": "id asc"}
        if args.get("fields"):
            kwargs["fields"] = args["fields"]
        # search_read changes nothing: safe to repeat after an ambiguous failure.
        return self.client.execute(args["model"], "search_read", idempotent=True, **kwargs)

    def _run_create(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            created = self.client.execute(args["model"], "create", vals_list=[args["values"]])
            ids = created if isinstance(created, list) else [created]
            return {"id": ids[0]}

        return self._perform_once("create", idempotency_key, perform)

    def _run_write(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            # Writing the same values again leaves the same records: safe to repeat.
            ok = self.client.execute(args["model"], "write", args["ids"], vals=args["values"], idempotent=True)
            if ok is not True:
                raise ConnectorError(f"Odoo did not confirm the write: {ok!r}", retryable=False)
            return {"id": args["ids"][0], "ids": args["ids"]}

        return self._perform_once("write", idempotency_key, perform)

    def _run_schedule_activity(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            kwargs: dict[str, Any] = {"act_type_xmlid": "mail.mail_activity_data_todo", "summary": args["summary"],
                                      "date_deadline": args["date_deadline"], "note": args.get("note", "")}
            if "user_id" in args:
                kwargs["user_id"] = args["user_id"]
            created = self.client.execute(args["model"], "activity_schedule", [args["id"]], **kwargs)
            return {"id": created[0] if isinstance(created, list) else created}

        return self._perform_once("schedule_activity", idempotency_key, perform)

    def _run_post_note(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            message = self.client.execute(args["model"], "message_post", [args["id"]], body=args["body"],
                                          message_type="comment", subtype_xmlid="mail.mt_note")
            return {"id": message if isinstance(message, int) else message[0]}

        return self._perform_once("post_note", idempotency_key, perform)
