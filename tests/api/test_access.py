"""Tenancy and roles across every endpoint: another organization's objects do not exist
(404, never 403), and a viewer can read but not change anything."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from .scenario import build_world

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = {"schema/", "docs/", "redoc/"}


def api_routes() -> list[tuple[str, type]]:
    """(route template, view class) for every API URL, read from the URL configuration so
    an endpoint added later is covered without editing this test."""
    api = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/v1/")
    routes = []
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        if route not in DOCS and hasattr(pattern.callback, "view_class"):
            routes.append((route, pattern.callback.view_class))
    return routes


def fill(route: str, ids: dict[str, object]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in ids, f"no test object for <{name}> in {route}: add one to the scenario"
        return str(ids[name])

    return "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


def methods_of(view) -> list[str]:
    return [m for m in ("get", "post", "patch", "delete") if hasattr(view, m)]


def test_every_endpoint_answers_404_for_another_organizations_objects(make_org, api_client, no_workers):
    ours, _ = make_org("Ours")
    theirs, _ = make_org("Theirs")
    build_world(ours)
    their_world = build_world(theirs, name="theirs")
    client = api_client(ours)

    checked = 0
    for route, view in api_routes():
        if "<" not in route:
            continue
        url = fill(route, their_world.ids())
        for method in methods_of(view):
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code == 404, (method, url, response.status_code, response.content[:200])
            assert response.json()["error"]["code"] == "not_found"
            checked += 1
    assert checked >= 20


def test_another_organizations_workflow_cannot_be_used_in_a_request_body(make_org, api_client, no_workers):
    ours, _ = make_org("Ours")
    theirs, _ = make_org("Theirs")
    their_world = build_world(theirs)
    client = api_client(ours)
    wf = their_world.workflow_id

    bodies = {
        "/api/v1/runs/": {"workflow": wf},
        "/api/v1/schedules/": {"workflow": wf, "name": "s", "cron": "0 * * * *"},
        "/api/v1/webhook-endpoints/": {"workflow": wf, "source": "hubspot", "scheme": "hubspot"},
        "/api/v1/notify-hooks/": {"workflow": wf, "url": "https://example.com/x"},
    }
    for url, body in bodies.items():
        response = client.post(url, body, format="json")
        assert response.status_code == 404, (url, response.content)


WRITES = {
    ("post", "workflows/"): {"name": "new", "spec": None},
    ("post", "workflows/import/"): {"yaml": None},
    ("post", "workflows/<int:workflow_id>/versions/"): {"spec": None},
    ("delete", "workflows/<int:workflow_id>/"): {},
    ("post", "runs/"): {"workflow": "<workflow_id>"},
    ("post", "runs/<uuid:run_id>/cancel/"): {},
    ("post", "approvals/<int:approval_id>/decision/"): {"approve": True},
    ("post", "connections/"): {"name": "c2", "connector_type": "demo"},
    ("post", "connections/<int:connection_id>/test/"): {},
    ("post", "connections/<int:connection_id>/rotate/"): {"secrets": {"k": "v"}},
    ("post", "schedules/"): {"workflow": "<workflow_id>", "name": "s2", "cron": "0 * * * *"},
    ("patch", "schedules/<int:schedule_id>/"): {"enabled": False},
    ("delete", "schedules/<int:schedule_id>/"): {},
    ("post", "webhook-endpoints/"): {"workflow": "<workflow_id>", "source": "hubspot", "scheme": "hubspot"},
    ("patch", "webhook-endpoints/<uuid:endpoint_id>/"): {"enabled": False},
    ("delete", "webhook-endpoints/<uuid:endpoint_id>/"): {},
    ("post", "webhook-endpoints/<uuid:endpoint_id>/rotate-secret/"): {},
    ("post", "notify-hooks/"): {"workflow": "<workflow_id>", "url": "https://example.com/y"},
    ("delete", "notify-hooks/<int:hook_id>/"): {},
}
# Every person manages their own tokens, whatever their role.
SELF_SERVICE = {("post", "tokens/"), ("delete", "tokens/<int:token_id>/")}


def test_a_viewer_token_is_refused_every_write(make_org, api_client, no_workers):
    import workflows.templates

    owner, user = make_org("Acme")
    world = build_world(owner)
    from apps.accounts.models import Membership
    from apps.accounts.services import user_create

    viewer_user = user_create(username="viewer-1", password="pw-123456789")
    Membership.objects.create(organization=owner.organization, user=viewer_user, role="viewer")
    from apps.accounts.actors import actor_for_user

    client = api_client(actor_for_user(user=viewer_user, organization_id=owner.organization.pk))
    spec = workflows.templates.load("trivial")

    listed = {(m, r) for r, view in api_routes() for m in methods_of(view) if m != "get"}
    assert listed == set(WRITES) | SELF_SERVICE, "every write endpoint needs a viewer check"
    for (method, route), body in WRITES.items():
        body = {k: (spec if v is None and k == "spec" else
                    "name: x\nspec: {}" if v is None else
                    world.workflow_id if v == "<workflow_id>" else v) for k, v in body.items()}
        response = getattr(client, method)(fill(route, world.ids()), body, format="json")
        assert response.status_code == 403, (method, route, response.status_code, response.content[:300])
        assert response.json()["error"]["code"] == "permission_denied"
