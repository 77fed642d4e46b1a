from __future__ import annotations

import logging

import pytest

from connectors.netpolicy import NetworkPolicy, set_default_policy

from connector_test_secrets import CAPTURED


class _KeepEverything(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        CAPTURED.append(self.format(record))


@pytest.fixture(scope="session", autouse=True)
def capture_every_log_line():
    """Keep every log line the connector suite produces, at DEBUG, for the secret scan."""
    handler = _KeepEverything(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    # The app's logging settings may quieten the HTTP libraries; the scan must see them too.
    loggers = [root, *(logging.getLogger(n) for n in ("httpx", "httpcore", "farside"))]
    old_levels = [lg.level for lg in loggers]
    root.addHandler(handler)
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    yield CAPTURED
    root.removeHandler(handler)
    for lg, level in zip(loggers, old_levels):
        lg.setLevel(level)


@pytest.fixture(scope="session", autouse=True)
def loopback_allowed():
    """The fakes listen on loopback, which the SSRF policy refuses unless allowlisted."""
    previous = set_default_policy(NetworkPolicy.allowing(["127.0.0.0/8", "::1/128"]))
    yield
    set_default_policy(previous)


def pytest_collection_modifyitems(items):
    # The log scan must see the logs of every other test, so it runs last.
    last = [i for i in items if i.name == "test_no_secret_appears_in_any_log_line_of_the_suite"]
    items[:] = [i for i in items if i not in last] + last
