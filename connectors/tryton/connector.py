"""The Tryton connector: parties, sale orders and any other model over JSON-RPC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base import Operation
from ..keyset import KeysetSearchRead
from ..registry import register
from .client import TrytonClient

_MODEL = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$",
          "description": "e.g. party.party, party.address, sale.sale, sale.line, product.product, account.invoice"}
_DOMAIN = {"type": "array", "description": "Tryton domain, e.g. [[\"state\", \"=\", \"confirmed\"]]; "
                                          "nested ['OR', clause, clause] allowed."}
_FIELDS = {"type": "array", "items": {"type": "string"}, "minItems": 1}
_WRITE_RESULT = {"type": "object", "properties": {"id": {"type": "integer"}, "performed": {"type": "boolean"}}}

OPERATIONS = (
    Operation(name="tryton.search_read", kind="read",
              description="Search records of a Tryton model with a domain and read fields (e.g. parties, sale "
                          "orders with state, sale_date, total_amount). One page per call; next_cursor continues.",
              args_schema={"type": "object", "properties": {
                  "model": _MODEL, "domain": _DOMAIN, "fields": _FIELDS,
                  "limit": {"type": "integer", "minimum": 1, "maximum": KeysetSearchRead.PAGE, "default": 100},
                  "cursor": {"type": "string", "pattern": r"^\d+$"}},
                  "required": ["model", "fields"], "additionalProperties": False},
              result_schema={"type": "object", "properties": {"results": {"type": "array"},
                                                              "next_cursor": {"type": ["string", "null"]}},
                             "required": ["results", "next_cursor"]}),
    Operation(name="tryton.read", kind="read",
              description="Read fields of records by id, e.g. a sale.sale with lines and total_amount.",
              args_schema={"type": "object", "properties": {
                  "model": _MODEL, "ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 500},
                  "fields": _FIELDS}, "required": ["model", "ids", "fields"], "additionalProperties": False},
              result_schema={"type": "object", "properties": {"results": {"type": "array"}}}),
    Operation(name="tryton.create", kind="write", result_schema=_WRITE_RESULT,
              description="Create a record, e.g. a sale.sale with party, addresses, currency and "
                          "lines: [[\"create\", [{\"type\": \"line\", \"description\": ..., \"quantity\": 1, \"unit_price\": 10.0}]]].",
              args_schema={"type": "object", "properties": {"model": _MODEL, "values": {"type": "object", "minProperties": 1}},
                           "required": ["model", "values"], "additionalProperties": False}),
    Operation(name="tryton.write", kind="write", result_schema=_WRITE_RESULT,
              description="Update fields of existing records.",
              args_schema={"type": "object", "properties": {
                  "model": _MODEL, "ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 1000},
                  "values": {"type": "object", "minProperties": 1}},
                  "required": ["model", "ids", "values"], "additionalProperties": False}),
)


@register
class TrytonConnector(KeysetSearchRead):
    """Settings: ``url``, ``database``, ``username``, ``context`` (e.g. ``{"company": 1}``).
    Secrets: ``password``."""

    type = "tryton"
    operations = OPERATIONS
    client_class = TrytonClient

    def _check(self) -> None:
        self.client.login()

    def _page(self, args: Mapping[str, Any], after_id: int, limit: int) -> list[dict[str, Any]]:
        # Keyset on id, like Odoo: stable while records change between pages.
        domain = [["id", ">", after_id], *args.get("domain", [])]
        return self.client.call(f"model.{args['model']}.search_read", domain, 0, limit, [["id", "ASC"]],
                                sorted({"id", *args["fields"]}), idempotent=True)

    def _run_read(self, args: dict[str, Any]) -> dict[str, Any]:
        rows = self.client.call(f"model.{args['model']}.read", args["ids"], args["fields"], idempotent=True)
        return {"results": rows}

    def _run_create(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            (new_id,) = self.client.call(f"model.{args['model']}.create", [args["values"]])
            return {"id": new_id}

        return self._perform_once("create", idempotency_key, perform)

    def _run_write(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            self.client.call(f"model.{args['model']}.write", args["ids"], args["values"], idempotent=True)
            return {"id": args["ids"][0], "ids": args["ids"]}

        return self._perform_once("write", idempotency_key, perform)
