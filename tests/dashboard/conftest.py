"""Dashboard fixtures: the run-engine fixtures of tests/apps, plus signed-in browsers."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from tests.apps.conftest import (  # noqa: F401 - fixtures are found by name
    _close_checkpointer_before_db_teardown,
    acme,
    advance_until_paused,
    fake_model,
    fake_model_server,
    make_org,
    no_workers,
    wait_for,
    workflow_from_template,
)
from tests.apps.processes import CeleryProcesses, purge_queue


@pytest.fixture(scope="session")
def celery(django_db_setup, django_db_blocker, fake_model_server):  # noqa: F811
    """Real worker processes, as in tests/apps, allowed to reach the local SMTP server the
    browser test starts (connectors refuse loopback addresses unless told otherwise)."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "INFERENCE_BASE_URLS": fake_model_server.url,
        "FARSIDE_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "FARSIDE_CONNECTORS_ALLOW_NETWORKS": "127.0.0.0/8",
        "PYTHONUNBUFFERED": "1",
    }
    purge_queue()
    processes = CeleryProcesses(env)
    yield processes
    processes.stop_all()
    purge_queue()


@pytest.fixture
def signed_in():
    """``signed_in(user)`` -> a test client signed in as that user, with CSRF checks on."""
    from django.test import Client

    def sign_in(user) -> Client:
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)
        return browser

    return sign_in
