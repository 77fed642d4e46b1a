"""Fixtures shared by every test package live in the package conftests; this file holds
no autouse behaviour that needs a database, so the Django-free packages run without one."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _static_root_exists():
    """WhiteNoise warns on every request when STATIC_ROOT is missing (collectstatic makes it
    in production; the tests serve static files from the finders). No database needed."""
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
