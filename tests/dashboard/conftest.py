"""Dashboard fixtures: the run-engine fixtures of tests/apps, plus signed-in browsers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.apps.conftest import (  # noqa: F401 - fixtures are found by name
    _close_checkpointer_before_db_teardown,
    acme,
    advance_until_paused,
    fake_model,
    fake_model_server,
    make_org,
    wait_for,
    workflow_from_template,
)
from tests.apps.processes import CeleryProcesses, purge_queue


def _other_workers(mine) -> list[int]:
    """Celery workers this pytest process started through another package's fixture.

    The fixtures of tests/apps are imported here, so a whole-suite run holds two worker
    sets on one queue; theirs would take our tasks (and race tests that advance runs
    themselves), so they are stopped while this package runs."""
    own = {w.pid for w in mine.workers}
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) in own:
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and stat[0] != "Z" and b"celery" in cmdline and b"worker" in cmdline:
            found.append(int(proc.name))
    return found


def _stop_other_workers(mine) -> None:
    pids = _other_workers(mine)
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _other_workers(mine) and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.fixture(scope="package")
def celery(django_db_setup, django_db_blocker, fake_model_server):  # noqa: F811
    """Real worker processes, as in tests/apps, allowed to reach the local SMTP server the
    browser test starts (connectors refuse loopback addresses unless told otherwise).
    Package-scoped: these workers are gone before any other package's tests run."""
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
    processes = CeleryProcesses(env)
    _stop_other_workers(processes)
    purge_queue()
    yield processes
    processes.stop_all()
    purge_queue()


@pytest.fixture
def no_workers(celery):
    """No worker consumes the queue: the test advances runs itself, exactly as a worker would."""
    celery.stop_all()
    _stop_other_workers(celery)
    purge_queue()
    yield
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
