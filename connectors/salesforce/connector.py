"""The Salesforce connector: SOQL reads, sObject writes, Task/Note, composite requests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..base import Connector, ConnectorError, Operation
from ..registry import register
from .client import SalesforceClient

_ID = {"type": "string", "pattern": r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"}
_SOBJECT = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_]*$"}
_FIELDS = {"type": "object", "minProperties": 1}
_WRITE_RESULT = {"type": "object", "properties": {"id": {"type": "string"}, "performed": {"type": "boolean"}}}
_PAGE = {"type": "object", "properties": {"results": {"type": "array"}, "next_cursor": {"type": ["string", "null"]},
                                          "total": {"type": ["integer", "null"]}}, "required": ["results", "next_cursor"]}

OPERATIONS = (
    Operation(name="salesforce.query", kind="read", result_schema=_PAGE,
              description="Run a SOQL query, e.g. SELECT Id, Name, Amount, StageName, CloseDate FROM Opportunity "
                          "WHERE CloseDate = LAST_QUARTER. Returns one batch (up to 2,000 records) and next_cursor "
                          "to fetch the next batch; the fetch node streams all batches.",
              args_schema={"type": "object", "properties": {
                  "soql": {"type": "string", "minLength": 1}, "cursor": {"type": "string"}},
                  "anyOf": [{"required": ["soql"]}, {"required": ["cursor"]}], "additionalProperties": False}),
    Operation(name="salesforce.create_record", kind="write", result_schema=_WRITE_RESULT,
              description="Create a record of any sObject type, e.g. Contact with FirstName, LastName, Email.",
              args_schema={"type": "object", "properties": {"sobject": _SOBJECT, "fields": _FIELDS},
                           "required": ["sobject", "fields"], "additionalProperties": False}),
    Operation(name="salesforce.update_record", kind="write", result_schema=_WRITE_RESULT,
              description="Update fields of a record, e.g. Opportunity StageName to 'Closed Won'.",
              args_schema={"type": "object", "properties": {"sobject": _SOBJECT, "id": _ID, "fields": _FIELDS},
                           "required": ["sobject", "id", "fields"], "additionalProperties": False}),
    Operation(name="salesforce.create_task", kind="write", result_schema=_WRITE_RESULT,
              description="Create a Task (follow-up) with subject, due date and owner, linked to a contact or "
                          "lead (who_id) and/or an account or opportunity (what_id).",
              args_schema={"type": "object", "properties": {
                  "subject": {"type": "string", "minLength": 1}, "description": {"type": "string"},
                  "due_date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}, "owner_id": _ID,
                  "who_id": _ID, "what_id": _ID, "priority": {"enum": ["High", "Normal", "Low"]}},
                  "required": ["subject"], "additionalProperties": False}),
    Operation(name="salesforce.create_note", kind="write", result_schema=_WRITE_RESULT,
              description="Attach a Note (title and body, e.g. a meeting summary) to a record.",
              args_schema={"type": "object", "properties": {
                  "parent_id": _ID, "title": {"type": "string", "minLength": 1, "maxLength": 80},
                  "body": {"type": "string"}}, "required": ["parent_id", "title"], "additionalProperties": False}),
    Operation(name="salesforce.composite", kind="write",
              result_schema={"type": "object", "properties": {"results": {"type": "array"},
                                                              "performed": {"type": "boolean"}}},
              description="Run up to 25 REST subrequests in one call (composite API); later ones can refer to "
                          "earlier results as @{referenceId.id}. With all_or_none, any failure rolls back all.",
              args_schema={"type": "object", "properties": {
                  "requests": {"type": "array", "minItems": 1, "maxItems": 25, "items": {
                      "type": "object", "properties": {
                          "method": {"enum": ["GET", "POST", "PATCH", "DELETE"]},
                          "url": {"type": "string", "pattern": r"^/services/data/"},
                          "reference_id": {"type": "string", "pattern": r"^[A-Za-z0-9_]+$"},
                          "body": {"type": "object"}},
                      "required": ["method", "url", "reference_id"]}},
                  "all_or_none": {"type": "boolean", "default": True}},
                  "required": ["requests"], "additionalProperties": False}),
)


@register
class SalesforceConnector(Connector):
    """Settings: ``auth`` (``jwt`` | ``client_credentials`` | ``refresh_token``), ``client_id``,
    ``username`` (JWT), ``login_url`` (https://login.salesforce.com, or the My Domain URL for client
    credentials), ``api_version``. Secrets: ``private_key`` (JWT), ``client_secret``, ``refresh_token``."""

    type = "salesforce"
    operations = OPERATIONS
    client_class = SalesforceClient

    def _check(self) -> None:
        self.client.query_page("SELECT Id FROM Organization LIMIT 1")

    def _run_query(self, args: dict[str, Any]) -> dict[str, Any]:
        page = self.client.query_page(args.get("soql"), next_url=args.get("cursor"))
        return {"results": [_plain(r) for r in page.get("records", [])], "total": page.get("totalSize"),
                "next_cursor": None if page.get("done", True) else page.get("nextRecordsUrl")}

    def iterate(self, name: str, args: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        if name != "salesforce.query" or "soql" not in args:
            yield from super().iterate(name, args)
            return
        for batch in self.client.query_all(args["soql"]):
            for record in batch:
                yield _plain(record)

    def _create(self, verb: str, sobject: str, fields: Mapping[str, Any], key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            created = self.client.create(sobject, fields)
            if not created.get("success", True):
                raise ConnectorError(f"Salesforce did not create the {sobject}: {created.get('errors')}", retryable=False)
            return {"id": created["id"]}

        return self._perform_once(verb, key, perform)

    def _run_create_record(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        return self._create("create_record", args["sobject"], args["fields"], idempotency_key)

    def _run_update_record(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            self.client.update(args["sobject"], args["id"], args["fields"])
            return {"id": args["id"]}

        return self._perform_once("update_record", idempotency_key, perform)

    def _run_create_task(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        fields = {"Subject": args["subject"], "Status": "Not Started", "Priority": args.get("priority", "Normal")}
        for arg, field in (("description", "Description"), ("due_date", "ActivityDate"), ("owner_id", "OwnerId"),
                           ("who_id", "WhoId"), ("what_id", "WhatId")):
            if arg in args:
                fields[field] = args[arg]
        return self._create("create_task", "Task", fields, idempotency_key)

    def _run_create_note(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        fields = {"ParentId": args["parent_id"], "Title": args["title"], "Body": args.get("body", "")}
        return self._create("create_note", "Note", fields, idempotency_key)

    def _run_composite(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            requests = [{"method": r["method"], "url": r["url"], "referenceId": r["reference_id"],
                         **({"body": r["body"]} if "body" in r else {})} for r in args["requests"]]
            answer = self.client.composite(requests, args.get("all_or_none", True))
            results = [{"reference_id": r["referenceId"], "status": r["httpStatusCode"], "body": r.get("body")}
                       for r in answer.get("compositeResponse", [])]
            failed = [r for r in results if r["status"] >= 400]
            if failed and args.get("all_or_none", True):
                raise ConnectorError(f"the composite request was rolled back: {failed[0]['body']}", retryable=False,
                                     status=failed[0]["status"])
            return {"results": results}

        return self._perform_once("composite", idempotency_key, perform)


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the ``attributes`` envelope (also in nested relationship records) the model does not need."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            out["type"] = value.get("type")
        elif isinstance(value, Mapping):
            out[key] = _plain(value)
        elif isinstance(value, list):
            out[key] = [_plain(v) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    return out
