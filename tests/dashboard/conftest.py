"""Dashboard fixtures: signed-in test clients (the run-engine fixtures are in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def signed_in():
    """``signed_in(user)`` -> a test client signed in as that user, with CSRF checks on."""
    from django.test import Client

    def sign_in(user) -> Client:
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)
        return browser

    return sign_in
