"""The demo connector's operations: what the model sees and the JSON schemas of their arguments."""

from __future__ import annotations

from typing import Any

from ..base import Operation
from .data import STAGES

_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_ID = {"type": "string", "minLength": 1}
_PAGING = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100,
              "description": "Records per page."},
    "cursor": {"type": "string", "description": "next_cursor from the previous page."},
}
PAGE_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {"results": {"type": "array", "items": {"type": "object"}},
                   "next_cursor": {"type": ["string", "null"]},
                   "total": {"type": ["integer", "null"]}},
    "required": ["results", "next_cursor"],
}
RECORD_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {"record": {"type": "object"}, "performed": {"type": "boolean"}},
    "required": ["record"],
}


def _read(verb: str, description: str, properties: dict[str, Any], *, paged: bool = True) -> Operation:
    props = {**properties, **(_PAGING if paged else {})}
    return Operation(
        name=f"demo.{verb}", description=description, kind="read",
        args_schema={"type": "object", "properties": props, "additionalProperties": False},
        result_schema=PAGE_RESULT if paged else RECORD_RESULT,
    )


def _write(verb: str, description: str, properties: dict[str, Any], required: list[str], **extra: Any) -> Operation:
    return Operation(
        name=f"demo.{verb}", description=description, kind="write",
        args_schema={"type": "object", "properties": properties, "required": required,
                     "additionalProperties": False, **extra},
        result_schema=RECORD_RESULT,
    )


_STAGE = {"type": "string", "enum": list(STAGES)}
_OWNER_EMAIL = {"type": "string", "format": "email", "description": "Email of a user of the CRM (see list_owners)."}

OPERATIONS = (
    _read("list_owners", "List the CRM's users (sales reps, marketing, management) with name, email, team "
          "and region. Use it to match a person named in a meeting to an owner email.",
          {"team": {"type": "string", "enum": ["Sales", "Marketing", "Management"]}}),
    _read("search_accounts", "Search companies (accounts) by name, industry, country, owner or lifecycle "
          "(prospect/customer).",
          {"name": {"type": "string", "description": "Part of the company name."},
           "industry": {"type": "string"}, "country": {"type": "string"}, "owner_email": _OWNER_EMAIL,
           "lifecycle": {"type": "string", "enum": ["prospect", "customer"]}}),
    _read("search_contacts", "Search contacts (people at accounts) by name, email, account, owner, lifecycle "
          "stage or marketing consent. Each result has email, title, account_name and owner_email.",
          {"name": {"type": "string", "description": "Part of the person's full name."},
           "email": {"type": "string"}, "account_id": _ID, "owner_email": _OWNER_EMAIL,
           "lifecycle_stage": {"type": "string"},
           "marketing_opt_in": {"type": "boolean", "description": "Only contacts who accepted marketing."}}),
    _read("search_deals", "Search deals by stage, owner, account, close date range, creation date range, "
          "quarter (e.g. 2025-Q3) or minimum amount. Stages: " + ", ".join(STAGES) + ". Each result has "
          "amount (USD), close_date, account_name and owner_email.",
          {"stage": {"oneOf": [_STAGE, {"type": "array", "items": _STAGE, "minItems": 1}]},
           "owner_email": _OWNER_EMAIL, "account_id": _ID, "closed": {"type": "boolean"},
           "close_date_from": _DATE, "close_date_to": {**_DATE, "description": "Inclusive."},
           "created_from": _DATE, "created_to": {**_DATE, "description": "Inclusive."},
           "quarter": {"type": "string", "pattern": r"^\d{4}-Q[1-4]$", "description": "Close quarter."},
           "min_amount": {"type": "number"},
           "order_by": {"type": "string", "enum": ["close_date", "-close_date", "amount", "-amount",
                                                   "created_at", "-created_at"], "default": "close_date"}}),
    _read("list_orders", "List sales orders placed in a period (order_date between date_from and date_to, "
          "inclusive), optionally for one account or status (confirmed, shipped, delivered).",
          {"date_from": _DATE, "date_to": _DATE, "account_id": _ID,
           "status": {"type": "string", "enum": ["confirmed", "shipped", "delivered", "cancelled"]}}),
    _read("list_invoices", "List invoices issued in a period (issue_date between date_from and date_to, "
          "inclusive), optionally by status (open, paid, overdue) or account.",
          {"date_from": _DATE, "date_to": _DATE, "account_id": _ID,
           "status": {"type": "string", "enum": ["open", "paid", "overdue"]}}),
    _read("list_activities", "List activities (call, email, meeting, note, task, campaign) by type, contact, "
          "deal, account, owner, campaign or date range (occurred_at, inclusive).",
          {"type": {"type": "string", "enum": ["call", "email", "meeting", "note", "task", "campaign"]},
           "contact_id": _ID, "deal_id": _ID, "account_id": _ID, "owner_email": _OWNER_EMAIL,
           "campaign": {"type": "string"}, "status": {"type": "string", "enum": ["open", "done"]},
           "date_from": _DATE, "date_to": _DATE}),
    _read("get_record", "Fetch one record by entity and id (e.g. a deal with its account and owner names).",
          {"entity": {"type": "string", "enum": ["owners", "accounts", "contacts", "deals", "orders",
                                                 "invoices", "activities"]}, "id": _ID},
          paged=False),
    _write("create_note", "Attach a note to a contact, account or deal (e.g. a meeting summary).",
           {"body": {"type": "string", "minLength": 1}, "subject": {"type": "string"},
            "contact_id": _ID, "account_id": _ID, "deal_id": _ID, "owner_email": _OWNER_EMAIL},
           ["body"], anyOf=[{"required": ["contact_id"]}, {"required": ["account_id"]}, {"required": ["deal_id"]}]),
    _write("create_task", "Create a follow-up task assigned to an owner (by email), with a due date, "
           "optionally linked to a contact, account or deal.",
           {"subject": {"type": "string", "minLength": 1}, "body": {"type": "string"}, "due_date": _DATE,
            "owner_email": _OWNER_EMAIL, "contact_id": _ID, "account_id": _ID, "deal_id": _ID},
           ["subject", "due_date"]),
    _write("update_deal_stage", "Move a deal to another stage; closing stages set the close date to today.",
           {"deal_id": _ID, "stage": _STAGE}, ["deal_id", "stage"]),
    _write("log_activity", "Record that an email, call, meeting or campaign touch happened with one or more "
           "contacts (one activity per contact), e.g. a sent marketing campaign.",
           {"type": {"type": "string", "enum": ["call", "email", "meeting", "campaign"]},
            "subject": {"type": "string", "minLength": 1}, "body": {"type": "string"},
            "contact_ids": {"type": "array", "items": _ID, "minItems": 1, "maxItems": 1000},
            "campaign": {"type": "string"}, "owner_email": _OWNER_EMAIL},
           ["type", "subject", "contact_ids"]),
    _write("create_contact", "Create a contact, optionally at an account and with an owner.",
           {"first_name": {"type": "string", "minLength": 1}, "last_name": {"type": "string", "minLength": 1},
            "email": {"type": "string", "format": "email"}, "account_id": _ID, "title": {"type": "string"},
            "owner_email": _OWNER_EMAIL, "phone": {"type": "string"},
            "lifecycle_stage": {"type": "string"}, "marketing_opt_in": {"type": "boolean"}},
           ["first_name", "last_name", "email"]),
)
