"""A fake HubSpot CRM v3 API on loopback, faithful to the shapes our client relies on.

Search (``POST /crm/v3/objects/<type>/search``) takes ``filterGroups`` (OR of ANDed filters),
``sorts``, ``properties``, ``limit`` (at most 200) and an ``after`` offset, answers ``total``,
``results`` and ``paging.next.after``, and refuses to page past 10,000 results with a 400
``VALIDATION_ERROR`` as HubSpot does. Errors use HubSpot's body (``status``, ``message``,
``correlationId``, ``category``); every response carries the ``X-HubSpot-RateLimit-*`` headers.
Tokens are checked: unknown ones get 401 ``INVALID_AUTHENTICATION``, expired ones
``EXPIRED_AUTHENTICATION``; ``/oauth/v1/token`` exchanges a refresh token for a new access token.
"""

from __future__ import annotations

import bisect
import itertools
import json
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

from ..fakeserver import FakeServer, Recorded, Reply

SEARCH_CEILING = 10_000
OBJECT_TYPES = ("contacts", "companies", "deals", "notes", "tasks")
STAGES = ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
          "contractsent", "closedwon", "closedlost")
_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def error(status: int, message: str, category: str, **extra: Any) -> Reply:
    return Reply(status, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                          "category": category, **extra})


def rate_limited(policy: str = "TEN_SECONDLY_ROLLING", *, interval_ms: int = 10_000, retry_after: str | None = None) -> Reply:
    """A 429 as HubSpot sends it: a RATE_LIMIT body and its limit headers (no Retry-After by default)."""
    reply = Reply(429, {"status": "error", "message": f"You have reached your {policy.lower()} limit.",
                        "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()), "policyName": policy},
                  {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": "0",
                   "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms),
                   "X-HubSpot-RateLimit-Daily": "1000000",
                   "X-HubSpot-RateLimit-Daily-Remaining": "0" if policy == "DAILY" else "999000"})
    if retry_after is not None:
        reply.headers["Retry-After"] = retry_after
    return reply


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _comparable(value: Any) -> Any:
    """HubSpot compares numbers and dates by value; date filters may be epoch milliseconds."""
    if value is None:
        return None
    text = str(value)
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return text.lower()


def _matches(props: dict[str, Any], flt: dict[str, Any]) -> bool:
    op, name = flt["operator"], flt["propertyName"]
    value = props.get(name)
    if op == "HAS_PROPERTY":
        return value not in (None, "")
    if op == "NOT_HAS_PROPERTY":
        return value in (None, "")
    if value in (None, ""):
        return op in ("NEQ", "NOT_IN")
    mine = _comparable(value)
    if op in ("IN", "NOT_IN"):
        inside = mine in {_comparable(v) for v in flt.get("values", [])}
        return inside if op == "IN" else not inside
    if op == "CONTAINS_TOKEN":
        return str(flt["value"]).lower().strip("*") in str(value).lower()
    other = _comparable(flt.get("value"))
    if isinstance(mine, float) != isinstance(other, float):
        mine, other = str(value).lower(), str(flt.get("value")).lower()
    if op == "BETWEEN":
        return other <= mine <= _comparable(flt["highValue"])
    return {"EQ": mine == other, "NEQ": mine != other, "LT": mine < other, "LTE": mine <= other,
            "GT": mine > other, "GTE": mine >= other}[op]


def _only_id_floor(groups: list[dict[str, Any]]) -> int | None:
    """The id above which to list, if the filters are nothing but ``hs_object_id GT n`` (or none)."""
    if not groups:
        return 0
    if len(groups) == 1 and len(groups[0].get("filters", [])) == 1:
        (flt,) = groups[0]["filters"]
        if flt["propertyName"] == "hs_object_id" and flt["operator"] == "GT":
            return int(flt["value"])
    return None


class FakeHubSpot(FakeServer):
    def __init__(self, *, deals: int = 0, contacts: int = 0, companies: int = 0,
                 tokens: tuple[str, ...] = (), oauth_client: tuple[str, str] | None = None,
                 refresh_token: str | None = None) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in OBJECT_TYPES}
        self.associations: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
        self.tokens: dict[str, datetime | None] = {t: None for t in tokens}
        self.oauth_client = oauth_client
        self.refresh_token = refresh_token
        self.issued: list[str] = []
        self._ids = itertools.count(1001)
        self._id_index: dict[str, list[int]] = {}
        self._last_search: tuple[str, list[dict[str, Any]]] | None = None
        self._version = 0  # bumped by every write, so a cached search never serves stale data
        self._seed(deals, contacts, companies)
        self.route("POST", r"/crm/v3/objects/(\w+)/search", self._search)
        self.route("GET", r"/crm/v3/objects/(\w+)/(\d+)", self._get)
        self.route("POST", r"/crm/v3/objects/(\w+)", self._create)
        self.route("PATCH", r"/crm/v3/objects/(\w+)/(\d+)", self._update)
        self.route("GET", r"/crm/v4/objects/(\w+)/(\d+)/associations/(\w+)", self._associations)
        self.route("PUT", r"/crm/v4/objects/(\w+)/(\d+)/associations/default/(\w+)/(\d+)", self._associate)
        self.route("POST", r"/oauth/v1/token", self._token)

    # -- data ------------------------------------------------------------------------------
    def _seed(self, deals: int, contacts: int, companies: int) -> None:
        for i in range(companies):
            self._put("companies", {"name": f"Company {i}", "domain": f"company{i}.example",
                                    "industry": ("SOFTWARE", "RETAIL", "MANUFACTURING")[i % 3]}, i)
        for i in range(contacts):
            self._put("contacts", {"firstname": f"First{i}", "lastname": f"Last{i}",
                                   "email": f"person{i}@company{i % max(companies, 1)}.example",
                                   "lifecyclestage": ("lead", "opportunity", "customer")[i % 3],
                                   "hubspot_owner_id": str(100 + i % 5)}, i)
        for i in range(deals):
            created = _EPOCH + timedelta(hours=i * 7 % 17520)
            self._put("deals", {"dealname": f"Deal {i}", "amount": f"{1000 + (i * 37) % 90000}.00",
                                "dealstage": STAGES[i % len(STAGES)], "pipeline": "default",
                                "closedate": _iso(created + timedelta(days=30 + i % 90)),
                                "hubspot_owner_id": str(100 + i % 5)}, i, created)

    def _put(self, type_: str, props: dict[str, Any], n: int = 0, created: datetime | None = None) -> dict[str, Any]:
        id_ = str(next(self._ids))
        created = created or _EPOCH + timedelta(minutes=n)
        props = {**props, "hs_object_id": id_, "createdate": _iso(created), "hs_lastmodifieddate": _iso(created)}
        record = {"id": id_, "properties": props, "createdAt": _iso(created), "updatedAt": _iso(created),
                  "archived": False}
        self.objects[type_][id_] = record
        self._version += 1
        return record

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> None:
        self.associations.setdefault((from_type, from_id, to_type), []).append((to_id, type_id))

    # -- plumbing ----------------------------------------------------------------------------
    def dispatch(self, rec: Recorded) -> Reply:
        if rec.path.startswith("/crm/"):
            auth = rec.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ")
            if not auth.startswith("Bearer ") or token not in self.tokens:
                if self.record_requests:
                    self.requests.append(rec)
                return error(401, "Authentication credentials not found. This API supports OAuth 2.0 "
                                  "authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                             "INVALID_AUTHENTICATION")
            expires = self.tokens[token]
            if expires is not None and expires < datetime.now(timezone.utc):
                if self.record_requests:
                    self.requests.append(rec)
                return error(401, "The OAuth token used to make this call expired 0 second(s) ago.",
                             "EXPIRED_AUTHENTICATION")
        reply = super().dispatch(rec)
        reply.headers.setdefault("X-HubSpot-RateLimit-Max", "190")
        reply.headers.setdefault("X-HubSpot-RateLimit-Remaining", "189")
        reply.headers.setdefault("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
        return reply

    def not_found(self, rec: Recorded) -> Reply:
        return error(404, f"Unable to route {rec.method} request to {rec.path}", "OBJECT_NOT_FOUND")

    def expire(self, token: str) -> None:
        self.tokens[token] = datetime.now(timezone.utc) - timedelta(seconds=1)

    # -- endpoints --------------------------------------------------------------------------------
    def _search(self, rec: Recorded, m) -> Reply:
        type_ = m.group(1)
        if type_ not in self.objects:
            return error(400, f"Unable to infer object type from: {type_}", "VALIDATION_ERROR")
        body = rec.json() or {}
        limit = int(body.get("limit", 10))
        after = int(body.get("after") or 0)
        if limit > 200:
            return error(400, "limit must be less than or equal to 200", "VALIDATION_ERROR")
        groups = body.get("filterGroups") or []
        if len(groups) > 5 or any(len(g.get("filters", [])) > 6 for g in groups):
            return error(400, "Too many filter groups or filters", "VALIDATION_ERROR")
        if after + limit > SEARCH_CEILING:
            return error(400, f"The maximum number of results is {SEARCH_CEILING}; narrow the search",
                         "VALIDATION_ERROR")
        query = (body.get("query") or "").lower()
        by_id = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
        if not query and body.get("sorts") in (None, [], by_id) and _only_id_floor(groups) is not None:
            return self._search_by_id_floor(type_, _only_id_floor(groups), after, limit, body)
        rows = self._matching(type_, groups, query, body.get("sorts") or [])
        page = rows[after : after + limit]
        wanted = body.get("properties") or None
        result = {"total": len(rows), "results": [self._shape(r, wanted) for r in page]}
        if after + limit < len(rows):
            result["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        # The search endpoints do not send the rate-limit headers.
        return Reply(200, result, {"X-HubSpot-RateLimit-Max": "", "X-HubSpot-RateLimit-Remaining": "",
                                   "X-HubSpot-RateLimit-Interval-Milliseconds": ""})

    def _matching(self, type_: str, groups: list[dict[str, Any]], query: str, sorts: list[Any]) -> list[dict[str, Any]]:
        # The last search's matches are kept, so paging through one search costs one scan
        # (as a real search index would), not one per page.
        key = json.dumps([type_, groups, query, sorts, self._version], sort_keys=True)
        if self._last_search is not None and self._last_search[0] == key:
            return self._last_search[1]
        with self.lock:
            rows = [r for r in self.objects[type_].values()
                    if not groups or any(all(_matches(r["properties"], f) for f in g.get("filters", []))
                                         for g in groups)]
        if query:
            rows = [r for r in rows if any(query in str(v).lower() for v in r["properties"].values())]
        for sort in reversed(sorts):
            name, desc = (sort["propertyName"], sort.get("direction") == "DESCENDING") if isinstance(sort, dict) \
                else (sort.lstrip("-"), sort.startswith("-"))
            rows.sort(key=lambda r: (_comparable(r["properties"].get(name)) is None,
                                     _comparable(r["properties"].get(name)) or 0), reverse=desc)
        if not sorts:
            rows.sort(key=lambda r: int(r["id"]))
        self._last_search = (key, rows)
        return rows

    def _search_by_id_floor(self, type_: str, floor: int, after: int, limit: int, body: dict[str, Any]) -> Reply:
        # The common paging query (everything, or everything above an id, in id order) answered
        # without a scan, so a 100k-record bench measures the client rather than this fake.
        with self.lock:
            ids = self._sorted_ids(type_)
            start = bisect.bisect_right(ids, floor)
            total = len(ids) - start
            page = [self.objects[type_][str(i)] for i in ids[start + after : start + after + limit]]
        wanted = body.get("properties") or None
        result = {"total": total, "results": [self._shape(r, wanted) for r in page]}
        if after + limit < total:
            result["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        return Reply(200, result)

    def _sorted_ids(self, type_: str) -> list[int]:
        cached = self._id_index.get(type_)
        if cached is None or len(cached) != len(self.objects[type_]):
            cached = self._id_index[type_] = sorted(int(i) for i in self.objects[type_])
        return cached

    @staticmethod
    def _shape(record: dict[str, Any], wanted: list[str] | None) -> dict[str, Any]:
        props = record["properties"]
        if wanted is not None:
            props = {k: props.get(k) for k in {*wanted, "hs_object_id", "createdate", "hs_lastmodifieddate"}}
        return {**record, "properties": props}

    def _get(self, rec: Recorded, m) -> Reply:
        record = self.objects.get(m.group(1), {}).get(m.group(2))
        if record is None:
            return error(404, f"Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
        return Reply(200, self._shape(record, rec.query.get("properties", [""])[0].split(",") or None))

    def _create(self, rec: Recorded, m) -> Reply:
        type_ = m.group(1)
        body = rec.json() or {}
        if type_ not in self.objects or not isinstance(body.get("properties"), dict):
            return error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        props = body["properties"]
        if type_ == "contacts" and props.get("email"):
            for existing in self.objects["contacts"].values():
                if existing["properties"].get("email") == props["email"]:
                    return error(409, f"Contact already exists. Existing ID: {existing['id']}", "CONFLICT")
        with self.lock:
            record = self._put(type_, props, created=datetime.now(timezone.utc))
            for assoc in body.get("associations", []):
                for kind in assoc.get("types", []):
                    self.associate(type_, record["id"], "*", str(assoc["to"]["id"]), kind["associationTypeId"])
        return Reply(201, record)

    def _update(self, rec: Recorded, m) -> Reply:
        record = self.objects.get(m.group(1), {}).get(m.group(2))
        if record is None:
            return error(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
        with self.lock:
            record["properties"].update((rec.json() or {}).get("properties", {}))
            self._version += 1
            record["updatedAt"] = _iso(datetime.now(timezone.utc))
        return Reply(200, record)

    def _associations(self, rec: Recorded, m) -> Reply:
        links = self.associations.get((m.group(1), m.group(2), m.group(3)), [])
        limit = int(rec.query.get("limit", ["500"])[0])
        after = int(rec.query.get("after", ["0"])[0])
        page = links[after : after + limit]
        body: dict[str, Any] = {"results": [
            {"toObjectId": int(to_id), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": t, "label": None}]}
            for to_id, t in page]}
        if after + limit < len(links):
            body["paging"] = {"next": {"after": str(after + limit), "link": "..."}}
        return Reply(200, body)

    def _associate(self, rec: Recorded, m) -> Reply:
        from_type, from_id, to_type, to_id = m.groups()
        for type_, id_ in ((from_type, from_id), (to_type, to_id)):
            if id_ not in self.objects.get(type_, {}):
                return error(404, f"No {type_} with ID {id_} exists", "OBJECT_NOT_FOUND")
        links = self.associations.setdefault((from_type, from_id, to_type), [])
        if not any(to == to_id for to, _ in links):
            links.append((to_id, 3))
            self.associations.setdefault((to_type, to_id, from_type), []).append((from_id, 4))
        return Reply(200, {"status": "COMPLETE", "results": [
            {"from": {"id": from_id}, "to": {"id": to_id},
             "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}}]})

    def _token(self, rec: Recorded, m) -> Reply:
        form = {k: v[0] for k, v in parse_qs(rec.body.decode()).items()}
        if self.oauth_client is None or (form.get("client_id"), form.get("client_secret")) != self.oauth_client:
            return Reply(400, {"status": "BAD_CLIENT_ID", "message": "missing or unknown client id",
                               "correlationId": str(uuid.uuid4())})
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            return Reply(400, {"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token",
                               "correlationId": str(uuid.uuid4())})
        token = f"CJT{uuid.uuid4().hex}"
        self.tokens[token] = datetime.now(timezone.utc) + timedelta(seconds=1800)
        self.issued.append(token)
        return Reply(200, {"token_type": "bearer", "refresh_token": self.refresh_token,
                           "access_token": token, "expires_in": 1800})

    def dump(self) -> str:
        return json.dumps({t: len(v) for t, v in self.objects.items()})
