from __future__ import annotations

from collections.abc import Iterator

import pytest

from inference import ChatClient
from inference.fake import FakeConfig, FakeVLLMServer

MODEL = "kimi-k2-thinking"


@pytest.fixture(scope="session")
def _shared_server() -> Iterator[FakeVLLMServer]:
    with FakeVLLMServer() as server:
        yield server


@pytest.fixture
def fake(_shared_server: FakeVLLMServer) -> FakeVLLMServer:
    """A running fake vLLM with an empty script and request log, and default latency settings."""
    _shared_server.reset()
    vars(_shared_server.config).update(vars(FakeConfig()))
    return _shared_server


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeVLLMServer, waits: list[float]) -> Iterator[ChatClient]:
    """A client whose backoff sleeps are recorded instead of slept, so retry tests run fast."""
    with ChatClient(fake.url, MODEL, sleep=waits.append, idle_timeout=5, deadline=60) as c:
        yield c
