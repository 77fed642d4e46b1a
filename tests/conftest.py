"""Fixtures every test package may use. Nothing here touches the database unless a test asks
for it, so the Django-free packages (workflows, connectors, inference) run without one.

There is one pool of real Celery worker processes per session (``celery``); a test that
advances runs itself asks for ``no_workers``, which stops them until a later test asks for
workers again (``celery.ensure_workers(n)``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inference.fake import FakeVLLMServer
from tests.apps.processes import CeleryProcesses, purge_queue


@pytest.fixture(scope="session", autouse=True)
def _static_root_exists():
    """WhiteNoise warns on every request when STATIC_ROOT is missing (collectstatic makes it
    in production; the tests serve static files from the finders). No database needed."""
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test database, and before it is dropped: this process's embedded
    runner stopped and its checkpoint connections closed (they would keep the database busy)."""
    yield
    from apps.runs.checkpoints import close_checkpointer
    from apps.runs.dispatch import stop_inprocess

    stop_inprocess()
    close_checkpointer()


@pytest.fixture(scope="session")
def fake_model_server():
    with FakeVLLMServer() as server:
        yield server


@pytest.fixture
def fake_model(fake_model_server, settings):
    """The fake vLLM server, reset for this test; this process's engine points at it."""
    fake_model_server.reset()
    settings.INFERENCE_BASE_URLS = [fake_model_server.url]
    yield fake_model_server


@pytest.fixture(scope="session")
def celery(django_db_setup, django_db_blocker, fake_model_server):
    """Real worker processes on the test database; tests ask for as many as they need.

    They may reach loopback addresses, where every fake third-party server of the suite
    listens (connectors refuse them unless the operator allows them); the refusal itself is
    tested in-process."""
    from django.conf import settings

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
def no_workers(celery):
    """No worker consumes the queue: the test advances runs itself, exactly as a worker would."""
    celery.stop_all()
    purge_queue()
    yield
    purge_queue()


@pytest.fixture
def make_org(transactional_db):
    """``make_org(name, role=...)`` → (actor, user): a user who is a member with that role."""
    from apps.accounts.actors import actor_for_user
    from apps.accounts.models import Membership
    from apps.accounts.services import organization_create, user_create

    counter = {"n": 0}

    def make(name: str = "Acme", *, role: str = "owner"):
        counter["n"] += 1
        owner = user_create(username=f"owner{counter['n']}-{name}", password="pw-123456789")
        org = organization_create(name=name, owner=owner)
        user = owner
        if role != "owner":
            user = user_create(username=f"{role}{counter['n']}-{name}", password="pw-123456789")
            Membership.objects.create(organization=org, user=user, role=role)
        return actor_for_user(user=user, organization_id=org.pk), user

    return make


@pytest.fixture
def acme(make_org):
    actor, _ = make_org("Acme")
    return actor
