"""Helpers for dashboard tests: posting forms the way a browser does (with the CSRF token)."""

from __future__ import annotations

from django.test import Client


def post_form(client: Client, url: str, data: dict, *, page_url: str | None = None, **extra):
    """GET the page first (it sets the CSRF cookie), then POST with the token, like a browser."""
    client.get(page_url or url)
    token = client.cookies["csrftoken"].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token}, **extra)
