"""HubSpot operations as the model sees them."""

from __future__ import annotations

from typing import Any

from ..base import Operation

_FILTER = {
    "type": "object",
    "properties": {
        "propertyName": {"type": "string"},
        "operator": {"type": "string", "enum": ["EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
                                                "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN",
                                                "NOT_CONTAINS_TOKEN"]},
        "value": {"type": ["string", "number", "boolean"]},
        "highValue": {"type": ["string", "number"]},
        "values": {"type": "array", "items": {"type": ["string", "number"]}},
    },
    "required": ["propertyName", "operator"],
}
_SEARCH_ARGS = {
    "type": "object",
    "properties": {
        "filter_groups": {
            "type": "array", "maxItems": 5,
            "items": {"type": "object", "properties": {"filters": {"type": "array", "items": _FILTER,
                                                                    "minItems": 1, "maxItems": 6}},
                      "required": ["filters"]},
            "description": "Groups are ORed, filters inside a group ANDed. Dates as ISO or epoch ms.",
        },
        "query": {"type": "string", "description": "Free text matched against default searchable properties."},
        "properties": {"type": "array", "items": {"type": "string"}},
        "sorts": {"type": "array", "items": {"type": "object", "properties": {
            "propertyName": {"type": "string"}, "direction": {"enum": ["ASCENDING", "DESCENDING"]}},
            "required": ["propertyName"]}},
        "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 100},
        "after": {"type": "string", "description": "next_cursor of the previous page."},
    },
    "additionalProperties": False,
}
PAGE_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {"results": {"type": "array"}, "next_cursor": {"type": ["string", "null"]},
                   "total": {"type": ["integer", "null"]}},
    "required": ["results", "next_cursor"],
}
_IDS = {"type": "array", "items": {"type": "string", "pattern": r"^\d+$"}}
_ASSOC = {"contact_ids": _IDS, "company_ids": _IDS, "deal_ids": _IDS}
WRITE_RESULT: dict[str, Any] = {"type": "object", "properties": {"id": {"type": "string"},
                                                                 "performed": {"type": "boolean"}},
                                "required": ["id", "performed"]}

DEFAULT_PROPERTIES = {
    "deals": ["dealname", "amount", "dealstage", "pipeline", "closedate", "hubspot_owner_id", "createdate"],
    "contacts": ["firstname", "lastname", "email", "company", "jobtitle", "lifecyclestage", "hubspot_owner_id"],
    "companies": ["name", "domain", "industry", "city", "country", "hubspot_owner_id"],
}


def _search(object_type: str, example: str) -> Operation:
    return Operation(
        name=f"hubspot.search_{object_type}",
        description=(f"Search HubSpot {object_type} with filter groups, e.g. {example}. Returns one page "
                     f"(up to 200) with next_cursor; a single search cannot page past 10,000 results, "
                     f"so narrow the filters (the fetch node streams everything)."),
        kind="read", args_schema=_SEARCH_ARGS, result_schema=PAGE_RESULT,
    )


OPERATIONS = (
    _search("deals", '[{"filters":[{"propertyName":"dealstage","operator":"EQ","value":"closedwon"},'
                     '{"propertyName":"closedate","operator":"BETWEEN","value":"2025-07-01","highValue":"2025-09-30"}]}]'),
    _search("contacts", '[{"filters":[{"propertyName":"email","operator":"EQ","value":"ann@example.com"}]}]'),
    _search("companies", '[{"filters":[{"propertyName":"domain","operator":"EQ","value":"example.com"}]}]'),
    Operation(
        name="hubspot.list_associations",
        description="List the ids of records associated with one record, e.g. the contacts of a deal.",
        kind="read",
        args_schema={"type": "object", "properties": {
            "from_type": {"enum": ["deals", "contacts", "companies"]}, "id": {"type": "string", "pattern": r"^\d+$"},
            "to_type": {"enum": ["deals", "contacts", "companies", "notes", "tasks"]}},
            "required": ["from_type", "id", "to_type"], "additionalProperties": False},
        result_schema=PAGE_RESULT,
    ),
    Operation(
        name="hubspot.associate",
        description="Link two records with HubSpot's default association, e.g. a contact to a deal. "
                    "Linking twice is harmless.",
        kind="write",
        args_schema={"type": "object", "properties": {
            "from_type": {"enum": ["deals", "contacts", "companies", "notes", "tasks"]},
            "from_id": {"type": "string", "pattern": r"^\d+$"},
            "to_type": {"enum": ["deals", "contacts", "companies"]}, "to_id": {"type": "string", "pattern": r"^\d+$"}},
            "required": ["from_type", "from_id", "to_type", "to_id"], "additionalProperties": False},
        result_schema=WRITE_RESULT,
    ),
    Operation(
        name="hubspot.create_note",
        description="Create a note (e.g. a meeting summary) associated with contacts, companies or deals.",
        kind="write",
        args_schema={"type": "object", "properties": {"body": {"type": "string", "minLength": 1},
                                                      "timestamp": {"type": "string"}, **_ASSOC},
                     "required": ["body"], "additionalProperties": False},
        result_schema=WRITE_RESULT,
    ),
    Operation(
        name="hubspot.create_task",
        description="Create a task with a due time, owner and priority, associated with contacts, companies or deals.",
        kind="write",
        args_schema={"type": "object", "properties": {
            "subject": {"type": "string", "minLength": 1}, "body": {"type": "string"},
            "due": {"type": "string", "description": "ISO date or datetime."},
            "owner_id": {"type": "string"}, "priority": {"enum": ["LOW", "MEDIUM", "HIGH"]}, **_ASSOC},
            "required": ["subject", "due"], "additionalProperties": False},
        result_schema=WRITE_RESULT,
    ),
    Operation(
        name="hubspot.update_deal",
        description="Update properties of a deal, e.g. {\"dealstage\": \"closedwon\"}.",
        kind="write",
        args_schema={"type": "object", "properties": {
            "deal_id": {"type": "string", "pattern": r"^\d+$"},
            "properties": {"type": "object", "minProperties": 1, "additionalProperties": {"type": ["string", "number", "null"]}}},
            "required": ["deal_id", "properties"], "additionalProperties": False},
        result_schema=WRITE_RESULT,
    ),
    Operation(
        name="hubspot.create_contact",
        description="Create a contact; HubSpot refuses a second contact with the same email (409).",
        kind="write",
        args_schema={"type": "object", "properties": {
            "email": {"type": "string"}, "firstname": {"type": "string"}, "lastname": {"type": "string"},
            "company": {"type": "string"}, "jobtitle": {"type": "string"}, "phone": {"type": "string"},
            "owner_id": {"type": "string"}},
            "required": ["email"], "additionalProperties": False},
        result_schema=WRITE_RESULT,
    ),
)
