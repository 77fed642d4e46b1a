"""Deterministic sample data for the demo CRM+ERP: a mid-sized B2B company's last two years.

``generate(seed, today)`` always returns the same records for the same arguments. Deals are
spread over the eight quarters before ``today`` with growth and a Q4 bump; won deals become
orders and invoices; contacts have emails and owners so meeting action items can be matched
to people; activities include calls, meetings, notes, tasks and two marketing campaigns.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

OPEN_STAGES = ("prospecting", "qualification", "proposal", "negotiation")
CLOSED_STAGES = ("closed_won", "closed_lost")
STAGES = OPEN_STAGES + CLOSED_STAGES
STAGE_PROBABILITY = {"prospecting": 0.1, "qualification": 0.2, "proposal": 0.4, "negotiation": 0.7,
                     "closed_won": 1.0, "closed_lost": 0.0}
LIFECYCLE_STAGES = ("subscriber", "lead", "marketing_qualified", "sales_qualified", "opportunity", "customer")

COMPANY_DOMAIN = "farside-demo.example"
_OWNERS = [
    ("Maya Lindqvist", "Sales", "EMEA"), ("Jonas Weber", "Sales", "EMEA"), ("Priya Raman", "Sales", "APAC"),
    ("Diego Alvarez", "Sales", "Americas"), ("Hannah Okafor", "Sales", "Americas"),
    ("Tomasz Nowak", "Sales", "EMEA"), ("Claire Dubois", "Marketing", "Global"), ("Sam Whitfield", "Management", "Global"),
]
_FIRST = ["Anna", "Ben", "Carla", "David", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jakob", "Keiko", "Liam",
          "Mona", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Stefan", "Tara", "Umar", "Vera", "Wes", "Xenia",
          "Yusuf", "Zoe", "Aisha", "Bruno", "Chloe", "Dmitri", "Emma", "Felix", "Grace", "Henrik", "Isla", "Jonah"]
_LAST = ["Andersen", "Bauer", "Costa", "Dimitrov", "Eriksen", "Fischer", "Garcia", "Hoffmann", "Ivanova", "Jensen",
         "Kowalski", "Larsen", "Moreau", "Nakamura", "Olsen", "Petrov", "Quinlan", "Rossi", "Schmidt", "Tanaka",
         "Ulrich", "Varga", "Wagner", "Yilmaz", "Zimmermann", "Brennan", "Chen", "Duarte", "Evans", "Fontaine"]
_PREFIX = ["Nordic", "Atlas", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
           "Keystone", "Lumen", "Meridian", "North", "Orchid", "Pioneer", "Quarry", "Riverside", "Summit",
           "Tidal", "Unity", "Vertex", "Willow", "Zenith", "Aurora", "Beacon", "Crescent"]
_SUFFIX = ["Logistics", "Foods", "Health", "Manufacturing", "Retail", "Energy", "Software", "Pharma",
           "Engineering", "Textiles", "Labs", "Freight"]
_INDUSTRY = {"Logistics": "Transportation", "Foods": "Food & Beverage", "Health": "Healthcare",
             "Manufacturing": "Manufacturing", "Retail": "Retail", "Energy": "Energy", "Software": "Software",
             "Pharma": "Pharmaceuticals", "Engineering": "Industrial", "Textiles": "Apparel",
             "Labs": "Biotechnology", "Freight": "Transportation"}
_PLACES = {"EMEA": [("Germany", "Hamburg"), ("Sweden", "Stockholm"), ("France", "Lyon"), ("Poland", "Kraków"),
                    ("Netherlands", "Rotterdam"), ("United Kingdom", "Leeds"), ("Spain", "Valencia")],
           "APAC": [("Japan", "Osaka"), ("Singapore", "Singapore"), ("Australia", "Melbourne"), ("India", "Pune")],
           "Americas": [("United States", "Chicago"), ("United States", "Austin"), ("Canada", "Toronto"),
                        ("Brazil", "Curitiba"), ("Mexico", "Monterrey")]}
_TITLES = ["CEO", "CFO", "COO", "Head of Operations", "Procurement Manager", "IT Director", "Finance Manager",
           "Operations Lead", "Purchasing Specialist", "VP Sales", "Plant Manager", "Supply Chain Analyst"]
PRODUCTS = [("FS-CORE", "Farside Core licence (annual)", 12000.0), ("FS-SEAT", "Additional seat (annual)", 480.0),
            ("FS-IMPL", "Implementation package", 8500.0), ("FS-TRAIN", "Training day", 1500.0),
            ("FS-SUPP", "Premium support (annual)", 3600.0), ("FS-INTEG", "Integration connector", 2400.0)]
_CAMPAIGNS = [("Spring Operations Webinar", "webinar", 14), ("Year-End Efficiency Offer", "email", 3)]


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _ts(day: date, rng: random.Random) -> str:
    moment = datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))), tzinfo=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(*, seed: int = 7, today: date | None = None, accounts: int = 120) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)
    today = today or date.today()
    start = quarter_start(today) - timedelta(days=2 * 365)
    start = quarter_start(start)
    data: dict[str, list[dict[str, Any]]] = {k: [] for k in
                                             ("owners", "accounts", "contacts", "deals", "orders", "invoices", "activities")}
    counters: dict[str, int] = {}

    def new_id(prefix: str) -> str:
        counters[prefix] = counters.get(prefix, 0) + 1
        return f"{prefix}-{counters[prefix]}"

    for name, team, region in _OWNERS:
        first, last = name.split(" ", 1)
        data["owners"].append({"id": new_id("own"), "name": name, "email": f"{first}.{last}@{COMPANY_DOMAIN}".lower(),
                               "team": team, "region": region})
    sellers = [o for o in data["owners"] if o["team"] == "Sales"]

    used_names: set[str] = set()
    for _ in range(accounts):
        while True:
            prefix, suffix = rng.choice(_PREFIX), rng.choice(_SUFFIX)
            if f"{prefix} {suffix}" not in used_names:
                break
        used_names.add(f"{prefix} {suffix}")
        owner = rng.choice(sellers)
        country, city = rng.choice(_PLACES[owner["region"]])
        employees = int(rng.lognormvariate(5.0, 1.1)) + 10
        data["accounts"].append({
            "id": new_id("acc"), "name": f"{prefix} {suffix}", "domain": f"{prefix}{suffix}.example".lower(),
            "industry": _INDUSTRY[suffix], "country": country, "city": city, "employees": employees,
            "annual_revenue": round(employees * rng.uniform(90_000, 260_000), -3), "owner_id": owner["id"],
            "lifecycle": "prospect", "created_at": _ts(start - timedelta(days=rng.randint(0, 400)), rng),
        })

    contacts_by_account: dict[str, list[dict[str, Any]]] = {}
    for account in data["accounts"]:
        people = []
        for _ in range(rng.randint(2, 5)):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            email = f"{first}.{last}@{account['domain']}".lower()
            if any(p["email"] == email for p in people):
                continue
            people.append({
                "id": new_id("con"), "account_id": account["id"], "first_name": first, "last_name": last,
                "name": f"{first} {last}",
                "email": email, "phone": f"+{rng.randint(1, 89)} {rng.randint(100, 999)} {rng.randint(1000000, 9999999)}",
                "title": rng.choice(_TITLES), "owner_id": account["owner_id"],
                "lifecycle_stage": rng.choice(LIFECYCLE_STAGES[:5]), "marketing_opt_in": rng.random() < 0.7,
                "created_at": _ts(date.fromisoformat(account["created_at"][:10]) + timedelta(days=rng.randint(0, 300)), rng),
            })
        contacts_by_account[account["id"]] = people
        data["contacts"].extend(people)

    owners_by_id = {o["id"]: o for o in data["owners"]}
    quarters = []
    q = start
    while q <= today:
        quarters.append(q)
        q = quarter_start(q + timedelta(days=95))
    for index, q_start in enumerate(quarters):
        # Growth over the two years and a year-end push in Q4.
        volume = int(55 * (1 + 0.06 * index) * (1.3 if q_start.month == 10 else 1.0))
        for _ in range(volume):
            account = rng.choice(data["accounts"])
            contact = rng.choice(contacts_by_account[account["id"]])
            created = q_start + timedelta(days=rng.randint(0, 89))
            if created > today:
                continue
            cycle = rng.randint(20, 150)
            close = created + timedelta(days=cycle)
            product_code, product_name, price = rng.choice(PRODUCTS[:3])
            amount = round(price * rng.choice((1, 1, 2, 3, 5)) * rng.uniform(0.8, 1.6), -2)
            if close <= today:
                stage = "closed_won" if rng.random() < 0.38 else "closed_lost"
            else:
                progress = (today - created).days / cycle
                stage = OPEN_STAGES[min(3, int(progress * 4 * rng.uniform(0.6, 1.2)))]
            deal = {
                "id": new_id("deal"), "name": f"{account['name']} — {product_name}", "account_id": account["id"],
                "contact_id": contact["id"], "owner_id": account["owner_id"], "stage": stage, "amount": amount,
                "currency": "USD", "probability": STAGE_PROBABILITY[stage], "pipeline": "default",
                "product_code": product_code,
                "source": rng.choice(("inbound", "outbound", "referral", "partner", "event")),
                "created_at": _ts(created, rng), "close_date": close.isoformat(),
                "closed": stage in CLOSED_STAGES, "quarter": quarter_of(close),
            }
            if stage == "closed_lost":
                deal["lost_reason"] = rng.choice(("price", "timing", "competitor", "no decision", "budget cut"))
            data["deals"].append(deal)
            _deal_activities(data, deal, contact, owners_by_id, created, min(close, today), rng, new_id)
            if stage == "closed_won":
                account["lifecycle"] = "customer"
                contact["lifecycle_stage"] = "customer"
                _order_and_invoice(data, deal, close, today, rng, new_id)

    _campaigns(data, today, rng, new_id)
    for records in data.values():
        records.sort(key=lambda r: int(r["id"].rsplit("-", 1)[1]))
    return data


def _deal_activities(data, deal, contact, owners_by_id, first: date, last: date, rng, new_id) -> None:
    owner = owners_by_id[deal["owner_id"]]
    span = max(1, (last - first).days)
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("call", "email", "meeting", "meeting", "note"))
        day = first + timedelta(days=rng.randint(0, span))
        subject = {"call": f"Call with {contact['first_name']} {contact['last_name']}",
                   "email": f"Follow-up: {deal['name']}",
                   "meeting": f"Meeting: {deal['name']}",
                   "note": f"Note on {deal['name']}"}[kind]
        body = {"call": "Discussed timeline and budget; next step agreed.",
                "email": "Sent proposal summary and pricing options.",
                "meeting": f"Attendees: {contact['first_name']} {contact['last_name']} ({contact['title']}), "
                           f"{owner['name']}. Reviewed requirements; {contact['first_name']} to confirm budget.",
                "note": "Champion is supportive; procurement involved next month."}[kind]
        data["activities"].append({
            "id": new_id("act"), "type": kind, "subject": subject, "body": body, "owner_id": owner["id"],
            "contact_id": contact["id"], "account_id": deal["account_id"], "deal_id": deal["id"],
            "occurred_at": _ts(day, rng), "status": "done", "due_date": None, "campaign": None,
        })
    if not deal["closed"]:
        due = last + timedelta(days=rng.randint(1, 14))
        data["activities"].append({
            "id": new_id("act"), "type": "task", "subject": f"Follow up on {deal['name']}", "body": "",
            "owner_id": owner["id"], "contact_id": contact["id"], "account_id": deal["account_id"],
            "deal_id": deal["id"], "occurred_at": _ts(last, rng), "status": "open",
            "due_date": due.isoformat(), "campaign": None,
        })


def _order_and_invoice(data, deal, close: date, today: date, rng, new_id) -> None:
    order_day = close + timedelta(days=rng.randint(0, 10))
    if order_day > today:
        order_day = close
    code, name, list_price = next(p for p in PRODUCTS if p[0] == deal["product_code"])
    quantity = max(1, round(deal["amount"] / list_price))
    lines = [{"product_code": code, "product": name, "quantity": quantity,
              "unit_price": round(deal["amount"] / quantity, 2), "total": deal["amount"]}]
    if rng.random() < 0.4:
        # Add-ons sold with the deal are billed at list price on the same order.
        code, name, price = rng.choice(PRODUCTS[3:])
        extra = rng.randint(1, 3)
        lines.append({"product_code": code, "product": name, "quantity": extra, "unit_price": price,
                      "total": extra * price})
    total = round(sum(line["total"] for line in lines), 2)
    age = (today - order_day).days
    status = "delivered" if age > 30 else ("shipped" if age > 7 else "confirmed")
    order = {"id": new_id("ord"), "number": f"SO-{order_day.year}-{len(data['orders']) + 1:05d}",
             "account_id": deal["account_id"], "deal_id": deal["id"], "order_date": order_day.isoformat(),
             "status": status, "lines": lines, "total": total, "currency": "USD", "quarter": quarter_of(order_day)}
    data["orders"].append(order)
    issue = order_day + timedelta(days=rng.randint(0, 5))
    if issue > today:
        return
    due = issue + timedelta(days=30)
    paid = due < today and rng.random() < 0.9 or (issue < today and rng.random() < 0.3)
    paid_day = min(today, issue + timedelta(days=rng.randint(5, 45))) if paid else None
    data["invoices"].append({
        "id": new_id("inv"), "number": f"INV-{issue.year}-{len(data['invoices']) + 1:05d}",
        "order_id": order["id"], "account_id": deal["account_id"], "issue_date": issue.isoformat(),
        "due_date": due.isoformat(), "amount": total, "currency": "USD",
        "status": "paid" if paid else ("overdue" if due < today else "open"),
        "paid_date": paid_day.isoformat() if paid_day else None, "quarter": quarter_of(issue),
    })


def _campaigns(data, today: date, rng, new_id) -> None:
    marketer = next(o for o in data["owners"] if o["team"] == "Marketing")
    for months_ago, (name, channel, _) in zip((14, 3), _CAMPAIGNS):
        day = today - timedelta(days=30 * months_ago)
        audience = [c for c in data["contacts"] if c["marketing_opt_in"]]
        for contact in rng.sample(audience, min(len(audience), 150)):
            data["activities"].append({
                "id": new_id("act"), "type": "campaign", "subject": f"{name} ({channel})",
                "body": rng.choice(("opened", "clicked", "registered", "attended", "sent")),
                "owner_id": marketer["id"], "contact_id": contact["id"], "account_id": contact["account_id"],
                "deal_id": None, "occurred_at": _ts(day, rng), "status": "done", "due_date": None,
                "campaign": name,
            })
