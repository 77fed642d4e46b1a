"""A fake Odoo serving both external APIs over one in-memory database.

JSON-2: ``POST /json/2/<model>/<method>`` with ``Authorization: bearer <key>``; errors as
4xx/5xx with ``{"name", "message", "arguments", "context", "debug"}``.
JSON-RPC: ``POST /jsonrpc`` with ``common.login`` and ``object.execute_kw``; errors as HTTP 200
``{"jsonrpc", "id", "error": {"code": 200, "message": "Odoo Server Error", "data": {"name", ...}}}``.
Methods: ``search_read`` (domain with ``|``, ``&``, ``!``; fields, limit, offset, order), ``create``,
``write``, ``message_post``, ``activity_schedule``.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from ..fakeserver import FakeServer, Recorded, Reply

MODELS = ("res.partner", "sale.order", "account.move", "crm.lead", "mail.activity", "mail.message")


class OdooError(Exception):
    def __init__(self, name: str, message: str, status: int = 422):
        super().__init__(message)
        self.name, self.message, self.status = name, message, status


def _term(record: dict[str, Any], term: list[Any]) -> bool:
    field, op, value = term
    mine = record.get(field)
    if isinstance(mine, list) and len(mine) == 2 and isinstance(mine[0], int):
        mine = mine[0]  # many2one read as [id, display_name]
    if op in ("=", "=="):
        return mine == value
    if op == "!=":
        return mine != value
    if op == "in":
        return mine in value
    if op == "not in":
        return mine not in value
    if op in ("ilike", "like"):
        return mine is not None and str(value).lower().strip("%") in str(mine).lower()
    if mine is None or mine is False:
        return False
    return {"<": mine < value, ">": mine > value, "<=": mine <= value, ">=": mine >= value}[op]


def evaluate(record: dict[str, Any], domain: list[Any]) -> bool:
    """Polish-notation domain: terms are implicitly ANDed; '|', '&', '!' take the next operands."""
    def parse(i: int) -> tuple[bool, int]:
        token = domain[i]
        if token == "!":
            value, j = parse(i + 1)
            return not value, j
        if token in ("|", "&"):
            left, j = parse(i + 1)
            right, k = parse(j)
            return (left or right) if token == "|" else (left and right), k
        if not isinstance(token, (list, tuple)) or len(token) != 3:
            raise OdooError("builtins.ValueError", f"Invalid leaf {token!r}")
        return _term(record, list(token)), i + 1

    i, result = 0, True
    while i < len(domain):
        value, i = parse(i)
        result = result and value
    return result


class FakeOdoo(FakeServer):
    def __init__(self, *, api_key: str, database: str = "odoo", login: str = "admin", partners: int = 0,
                 orders: int = 0) -> None:
        super().__init__()
        self.api_key, self.database, self.login = api_key, database, login
        self.data: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in MODELS}
        self._ids = itertools.count(1)
        for i in range(partners):
            self._create("res.partner", {"name": f"Partner {i}", "email": f"p{i}@example.com", "is_company": i % 4 == 0})
        partner_ids = list(self.data["res.partner"])
        for i in range(orders):
            self._create("sale.order", {"name": f"S{i:05d}", "partner_id": partner_ids[i % len(partner_ids)],
                                        "state": ("draft", "sale", "sale", "cancel")[i % 4],
                                        "amount_total": float(100 + i * 13 % 9000),
                                        "date_order": (date(2025, 1, 1) + timedelta(days=i % 600)).isoformat()})
        self.route("POST", r"/json/2/([\w.]+)/(\w+)", self._json2)
        self.route("POST", r"/jsonrpc", self._jsonrpc)

    def _create(self, model: str, values: dict[str, Any]) -> int:
        record_id = next(self._ids)
        self.data[model][record_id] = {"id": record_id, **values}
        return record_id

    # -- the ORM subset -------------------------------------------------------------------------
    def execute(self, model: str, method: str, ids: list[int] | None, kwargs: dict[str, Any]) -> Any:
        if model not in self.data:
            raise OdooError("builtins.KeyError", f"Object {model} doesn't exist", 404)
        table = self.data[model]
        if method == "search_read":
            rows = [r for r in table.values() if evaluate(r, kwargs.get("domain", []))]
            field, _, direction = (kwargs.get("order") or "id asc").partition(" ")
            rows.sort(key=lambda r: (r.get(field) is None, r.get(field)), reverse=direction.lower() == "desc")
            offset, limit = kwargs.get("offset", 0), kwargs.get("limit")
            rows = rows[offset : offset + limit if limit else None]
            fields = kwargs.get("fields")
            return [{k: v for k, v in r.items() if not fields or k in fields or k == "id"} for r in rows]
        if method == "create":
            vals_list = kwargs.get("vals_list")
            if not isinstance(vals_list, list):
                raise OdooError("builtins.TypeError", "create() missing 1 required positional argument: 'vals_list'")
            for vals in vals_list:
                if model == "res.partner" and not vals.get("name"):
                    raise OdooError("odoo.exceptions.ValidationError", "Contacts require a name")
            return [self._create(model, dict(vals)) for vals in vals_list]
        if method == "write":
            missing = [i for i in ids or [] if i not in table]
            if missing:
                raise OdooError("odoo.exceptions.MissingError",
                                f"Record does not exist or has been deleted. (Records: {missing}, User: 2)")
            for i in ids or []:
                table[i].update(kwargs.get("vals", {}))
            return True
        if method == "activity_schedule":
            (record_id,) = ids or [0]
            if record_id not in table:
                raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
            if not kwargs.get("date_deadline"):
                raise OdooError("odoo.exceptions.ValidationError", "An activity needs a deadline")
            activity = self._create("mail.activity", {
                "res_model": model, "res_id": record_id, "activity_type": kwargs.get("act_type_xmlid"),
                "summary": kwargs.get("summary"), "note": kwargs.get("note"),
                "date_deadline": kwargs["date_deadline"], "user_id": kwargs.get("user_id", 2)})
            return [activity]  # a recordset travels as its list of ids
        if method == "message_post":
            (record_id,) = ids or [0]
            if record_id not in table:
                raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
            return self._create("mail.message", {"model": model, "res_id": record_id, "body": kwargs.get("body"),
                                                 "message_type": kwargs.get("message_type"),
                                                 "subtype_xmlid": kwargs.get("subtype_xmlid")})
        raise OdooError("builtins.AttributeError", f"The method '{method}' does not exist on the model '{model}'", 404)

    # -- JSON-2 ----------------------------------------------------------------------------------
    def _json2(self, rec: Recorded, m) -> Reply:
        if rec.headers.get("Authorization") != f"bearer {self.api_key}":
            return self._json2_error(OdooError("werkzeug.exceptions.Unauthorized", "Invalid apikey", 401))
        if rec.headers.get("X-Odoo-Database", self.database) != self.database:
            return self._json2_error(OdooError("werkzeug.exceptions.NotFound", "database not found", 404))
        body = rec.json() or {}
        ids = body.pop("ids", None)
        body.pop("context", None)
        try:
            return Reply(200, self.execute(m.group(1), m.group(2), ids, body))
        except OdooError as exc:
            return self._json2_error(exc)

    @staticmethod
    def _json2_error(exc: OdooError) -> Reply:
        return Reply(exc.status, {"name": exc.name, "message": exc.message, "arguments": [exc.message],
                                  "context": {}, "debug": f"Traceback (most recent call last):\n{exc.name}: {exc.message}\n"})

    # -- JSON-RPC ----------------------------------------------------------------------------------
    def _jsonrpc(self, rec: Recorded, m) -> Reply:
        payload = rec.json() or {}
        params = payload.get("params", {})
        service, method, args = params.get("service"), params.get("method"), params.get("args", [])
        try:
            if service == "common" and method == "login":
                db, login, password = args
                result: Any = 2 if (db, login, password) == (self.database, self.login, self.api_key) else False
            elif service == "object" and method == "execute_kw":
                db, uid, password, model, method_name, method_args, kwargs = (args + [{}])[:7]
                if (db, uid, password) != (self.database, 2, self.api_key):
                    raise OdooError("odoo.exceptions.AccessDenied", "Access Denied")
                ids = method_args[0] if method_args else None
                result = self.execute(model, method_name, ids, kwargs or {})
            else:
                raise OdooError("builtins.KeyError", f"unknown service {service}.{method}")
        except OdooError as exc:
            return Reply(200, {"jsonrpc": "2.0", "id": payload.get("id"), "error": {
                "code": 200, "message": "Odoo Server Error",
                "data": {"name": exc.name, "debug": "Traceback ...", "message": exc.message,
                         "arguments": [exc.message], "context": {}}}})
        return Reply(200, {"jsonrpc": "2.0", "id": payload.get("id"), "result": result})
