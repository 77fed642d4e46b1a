from __future__ import annotations

import os
import time

import pytest
from django.conf import settings

from inference.fake import FakeVLLMServer

from .processes import CeleryProcesses, purge_queue


@pytest.fixture(scope="session", autouse=True)
def _close_checkpointer_before_db_teardown(django_db_setup):
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
    """Real worker processes on the test database; tests ask for as many as they need."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "INFERENCE_BASE_URLS": fake_model_server.url,
        "FARSIDE_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "PYTHONUNBUFFERED": "1",
    }
    purge_queue()
    processes = CeleryProcesses(env)
    yield processes
    processes.stop_all()
    purge_queue()


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.1, what: str = "condition"):
    """Poll until ``predicate()`` is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


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


def workflow_from_template(actor, template: str, *, name: str | None = None, seed_demo: bool = True):
    import workflows.templates
    from apps.automations.services import workflow_create
    from apps.demo.store import demo_seed

    if seed_demo:
        demo_seed(organization_id=actor.organization.pk)
    return workflow_create(actor=actor, name=name or template, spec=workflows.templates.load(template),
                           template=template)


@pytest.fixture
def no_workers(celery):
    """No worker consumes the queue: the test advances runs itself, exactly as a worker would."""
    celery.stop_all()
    purge_queue()
    yield
    purge_queue()


def advance_until_paused(run, *, worker: str = "test-worker", max_slices: int = 200):
    """Advance a run slice by slice in this process until it stops asking for more."""
    from apps.runs.engine import run_advance

    for _ in range(max_slices):
        outcome = run_advance(run_id=str(run.pk), worker=worker)
        if not outcome.again:
            break
    run.refresh_from_db()
    return run
