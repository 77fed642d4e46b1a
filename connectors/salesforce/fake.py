"""A fake Salesforce org on loopback: OAuth token endpoint, SOQL query with nextRecordsUrl batches,
sObject create/update, composite, and Salesforce's error bodies (a JSON list of
``{"message", "errorCode", "fields"}``), including ``INVALID_SESSION_ID`` and ``REQUEST_LIMIT_EXCEEDED``.

The SOQL understood is the subset our tests and demos use: ``SELECT f, ... FROM Obj
[WHERE f op literal [AND ...]] [ORDER BY f [ASC|DESC]] [LIMIT n]``.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ..fakeserver import FakeServer, Recorded, Reply
from .auth import JWT_GRANT

VERSION = "v60.0"
PREFIX = {"Organization": "00D", "Account": "001", "Contact": "003", "Opportunity": "006", "Task": "00T", "Note": "002", "Lead": "00Q"}
STAGES = ("Prospecting", "Qualification", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost")
_SOQL = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<obj>\w+)"
                   r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<dir>ASC|DESC))?)?"
                   r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.I | re.S)
_COND = re.compile(r"^\s*(\w+)\s*(=|!=|<=|>=|<|>)\s*('(?:[^'\\]|\\.)*'|[\w.:-]+)\s*$")


def sf_errors(status: int, code: str, message: str, fields: list[str] | None = None) -> Reply:
    return Reply(status, [{"message": message, "errorCode": code, **({"fields": fields} if fields else {})}])


def limit_exceeded(kind: str = "ConcurrentPerOrgLongTxn") -> Reply:
    return sf_errors(403, "REQUEST_LIMIT_EXCEEDED", f"{kind} Limit exceeded.")


def _literal(text: str) -> Any:
    if text.startswith("'"):
        return text[1:-1].replace("\\'", "'")
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() == "null":
        return None
    try:
        return float(text)
    except ValueError:
        return text  # dates compare as ISO strings


class FakeSalesforce(FakeServer):
    def __init__(self, *, opportunities: int = 0, batch_size: int = 2000, client_id: str = "3MVG-fake",
                 client_secret: str | None = None, refresh_token: str | None = None,
                 jwt_public_key: RSAPublicKey | None = None, jwt_username: str | None = None) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.jwt_public_key, self.jwt_username = jwt_public_key, jwt_username
        self.tokens: set[str] = set()
        self.api_usage = 0
        self.records: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in PREFIX}
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._counter = itertools.count(1)
        self._insert("Organization", {"Name": "Acme Test Org"})
        for i in range(opportunities):
            self._insert("Opportunity", {"Name": f"Opportunity {i}", "Amount": float(1000 + i * 7 % 50000),
                                         "StageName": STAGES[i % len(STAGES)],
                                         "CloseDate": (date(2025, 1, 1) + timedelta(days=i % 700)).isoformat()})
        base = f"/services/data/{VERSION}"
        self.route("POST", r"/services/oauth2/token", self._token)
        self.route("GET", base + r"/query", self._query)
        self.route("GET", base + r"/query/([\w-]+)", self._more)
        self.route("POST", base + r"/sobjects/(\w+)", self._create)
        self.route("PATCH", base + r"/sobjects/(\w+)/(\w+)", self._update)
        self.route("POST", base + r"/composite", self._composite)

    def _insert(self, sobject: str, fields: dict[str, Any]) -> str:
        record_id = f"{PREFIX[sobject]}{next(self._counter):012d}AAA"
        self.records[sobject][record_id] = {"Id": record_id, **fields}
        return record_id

    def _attrs(self, sobject: str, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        return {"attributes": {"type": sobject, "url": f"/services/data/{VERSION}/sobjects/{sobject}/{record['Id']}"},
                **{f: record.get(f) for f in fields}}

    def dispatch(self, rec: Recorded) -> Reply:
        if rec.path.startswith("/services/data/"):
            token = rec.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                if self.record_requests:
                    self.requests.append(rec)
                return sf_errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
            self.api_usage += 1
        reply = super().dispatch(rec)
        reply.headers.setdefault("Sforce-Limit-Info", f"api-usage={self.api_usage}/15000")
        return reply

    def not_found(self, rec: Recorded) -> Reply:
        return sf_errors(404, "NOT_FOUND", "The requested resource does not exist")

    # -- oauth ---------------------------------------------------------------------------------
    def _token(self, rec: Recorded, m) -> Reply:
        form = {k: v[0] for k, v in parse_qs(rec.body.decode()).items()}
        grant = form.get("grant_type")
        ok = False
        if grant == JWT_GRANT:
            ok = self._valid_jwt(form.get("assertion", ""))
        elif grant == "client_credentials":
            ok = (form.get("client_id"), form.get("client_secret")) == (self.client_id, self.client_secret)
        elif grant == "refresh_token":
            ok = form.get("client_id") == self.client_id and form.get("refresh_token") == self.refresh_token
        if not ok:
            return Reply(400, {"error": "invalid_grant", "error_description": "authentication failure"})
        token = f"00D000000000001!{uuid.uuid4().hex}"
        self.tokens.add(token)
        return Reply(200, {"access_token": token, "instance_url": self.url, "id": f"{self.url}/id/00D/005",
                           "token_type": "Bearer", "issued_at": str(int(time.time() * 1000)), "signature": "x"})

    def _valid_jwt(self, assertion: str) -> bool:
        try:
            header, claims, signature = assertion.split(".")
            pad = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
            assert self.jwt_public_key is not None
            self.jwt_public_key.verify(pad(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
            body = json.loads(pad(claims))
        except (ValueError, AssertionError, InvalidSignature):
            return False
        return (body.get("iss") == self.client_id and body.get("sub") == self.jwt_username
                and body.get("exp", 0) > time.time() and body.get("aud", "").startswith("http"))

    def expire_tokens(self) -> None:
        self.tokens.clear()

    # -- query -------------------------------------------------------------------------------------
    def _query(self, rec: Recorded, m) -> Reply:
        soql = rec.query.get("q", [""])[0]
        parsed = _SOQL.match(soql)
        if not parsed or parsed["obj"] not in self.records:
            return sf_errors(400, "MALFORMED_QUERY", f"unexpected token in: {soql[:80]}")
        fields = [f.strip() for f in parsed["fields"].split(",")]
        rows = list(self.records[parsed["obj"]].values())
        if parsed["where"]:
            for cond in re.split(r"\s+AND\s+", parsed["where"], flags=re.I):
                cm = _COND.match(cond)
                if not cm:
                    return sf_errors(400, "MALFORMED_QUERY", f"unexpected condition: {cond[:80]}")
                name, op, value = cm[1], cm[2], _literal(cm[3])
                compare = {"=": lambda a: a == value, "!=": lambda a: a != value, "<": lambda a: a is not None and a < value,
                           ">": lambda a: a is not None and a > value, "<=": lambda a: a is not None and a <= value,
                           ">=": lambda a: a is not None and a >= value}[op]
                rows = [r for r in rows if compare(r.get(name))]
        if parsed["order"]:
            rows.sort(key=lambda r: (r.get(parsed["order"]) is None, r.get(parsed["order"]) or 0),
                      reverse=(parsed["dir"] or "").upper() == "DESC")
        if parsed["limit"]:
            rows = rows[: int(parsed["limit"])]
        shaped = [self._attrs(parsed["obj"], r, fields) for r in rows]
        return self._batch(shaped, len(shaped))

    def _batch(self, rows: list[dict[str, Any]], total: int) -> Reply:
        batch, rest = rows[: self.batch_size], rows[self.batch_size :]
        body: dict[str, Any] = {"totalSize": total, "done": not rest, "records": batch}
        if rest:
            locator = f"01gD0000000{uuid.uuid4().hex[:6]}-{total - len(rest)}"
            self._cursors[locator] = rest
            body["nextRecordsUrl"] = f"/services/data/{VERSION}/query/{locator}"
        return Reply(200, body)

    def _more(self, rec: Recorded, m) -> Reply:
        rest = self._cursors.pop(m.group(1), None)
        if rest is None:
            return sf_errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        total = int(m.group(1).rsplit("-", 1)[1]) + len(rest)
        return self._batch(rest, total)

    # -- writes ------------------------------------------------------------------------------------
    def _create(self, rec: Recorded, m) -> Reply:
        sobject, fields = m.group(1), rec.json() or {}
        if sobject not in self.records:
            return sf_errors(404, "NOT_FOUND", f"The requested resource does not exist: {sobject}")
        missing = {"Task": ["Subject"], "Note": ["ParentId", "Title"], "Contact": ["LastName"]}.get(sobject, [])
        absent = [f for f in missing if not fields.get(f)]
        if absent:
            return sf_errors(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(absent)}]", absent)
        return Reply(201, {"id": self._insert(sobject, fields), "success": True, "errors": []})

    def _update(self, rec: Recorded, m) -> Reply:
        record = self.records.get(m.group(1), {}).get(m.group(2))
        if record is None:
            return sf_errors(404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible")
        record.update(rec.json() or {})
        return Reply(204, raw=b"")

    def _composite(self, rec: Recorded, m) -> Reply:
        body = rec.json() or {}
        results, refs = [], {}
        for sub in body.get("compositeRequest", []):
            url = re.sub(r"@\{(\w+)\.id\}", lambda g: refs.get(g.group(1), ""), sub["url"])
            payload = json.loads(re.sub(r"@\{(\w+)\.id\}", lambda g: refs.get(g.group(1), ""), json.dumps(sub.get("body"))))
            inner = Recorded(sub["method"], url, {}, rec.headers, json.dumps(payload).encode())
            reply = super().dispatch(inner)
            if isinstance(reply.body, dict) and "id" in reply.body:
                refs[sub["referenceId"]] = reply.body["id"]
            results.append({"body": reply.body, "httpHeaders": {}, "httpStatusCode": reply.status,
                            "referenceId": sub["referenceId"]})
        if body.get("allOrNone") and any(r["httpStatusCode"] >= 400 for r in results):
            for r in results:
                if r["httpStatusCode"] < 400 and isinstance(r["body"], dict) and "id" in r["body"]:
                    for table in self.records.values():
                        table.pop(r["body"]["id"], None)
                    r["body"] = [{"errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled back"}]
                    r["httpStatusCode"] = 400
        return Reply(200, {"compositeResponse": results})
