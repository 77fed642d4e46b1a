"""Helpers for dashboard tests: posting forms the way a browser does (with the CSRF token)."""

from __future__ import annotations

from django.test import Client


def post_form(client: Client, url: str, data: dict, *, page_url: str | None = None, **extra):
    """GET the page first (it sets the CSRF cookie), then POST with the token, like a browser."""
    client.get(page_url or url)
    token = client.cookies["csrftoken"].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token}, **extra)


def viewer_of(owner):
    """A new user who is a viewer in the owner's organization, added the way an owner adds one."""
    from apps.accounts.services import membership_add, user_create

    viewer = user_create(username="viewer-acme", password="pw-123456789")
    membership_add(actor=owner, user=viewer, role="viewer")
    return viewer
