"""``no_workers`` that also stops workers started by other test packages.

tests/api, tests/triggers and tests/apps each import the ``celery`` fixture into their own
conftest, which makes pytest keep one session instance per package. A worker that
tests/apps started would then keep consuming the shared queue during our tests, so this
fixture stops the workers of every instance in this process, not only its own.
(Moving the shared fixtures to tests/conftest.py would make this unnecessary.)
"""

from __future__ import annotations

import gc

import pytest

from tests.apps.processes import CeleryProcesses, purge_queue


def stop_every_worker() -> None:
    # type() rather than isinstance(): the heap holds dead weak proxies that isinstance trips on.
    for processes in [o for o in gc.get_objects() if type(o) is CeleryProcesses]:
        processes.stop_all()


@pytest.fixture
def no_workers(celery):
    """No worker consumes the queue: the test advances runs itself, exactly as a worker would."""
    stop_every_worker()
    purge_queue()
    yield
    purge_queue()
