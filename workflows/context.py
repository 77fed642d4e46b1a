"""The ports through which a running graph reaches the outside world.

The app layer (or a test, a CLI, a notebook) builds a :class:`RunContext` and passes it
to LangGraph as the run's ``context``; nodes read it from ``runtime.context``. Nothing
in the context is stored in checkpoints, so it may hold clients and callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.base import Connector


@dataclass(frozen=True)
class ArtifactRef:
    """A pointer to big data kept outside the graph state (reports, CRM pages, transcripts)."""

    id: str
    name: str
    media_type: str
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "media_type": self.media_type, "size": self.size}


class EventSink(Protocol):
    """Receives every node boundary, model call and tool call, in order."""

    def emit(self, kind: str, payload: Mapping[str, Any], *, node_id: str | None = None) -> None: ...


class ArtifactStore(Protocol):
    def put(self, *, name: str, content: bytes, media_type: str, node_id: str | None = None) -> ArtifactRef: ...

    def get(self, artifact_id: str) -> bytes: ...


class ConnectorProvider(Protocol):
    """Hands out connectors configured with the organization's connection and secrets."""

    def connector(self, connector_type: str) -> Connector: ...


class WriteLedger(Protocol):
    """Durable record of writes already performed, keyed by idempotency key.

    A resumed run consults it before calling a connector's write again, so a write whose
    result was not yet checkpointed when a worker died is never performed twice.
    """

    def get(self, key: str) -> Any | None: ...

    def record(self, key: str, result: Any) -> None: ...


class ModelClient(Protocol):
    """What nodes need from ``inference.ChatClient`` (or the router in front of several)."""

    def chat(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None,
             **params: Any) -> Any: ...


class MemoryLedger:
    """A process-local ledger for tests and the engine-less CLI."""

    def __init__(self) -> None:
        self._done: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        return self._done.get(key)

    def record(self, key: str, result: Any) -> None:
        self._done[key] = result


@dataclass
class RunContext:
    run_id: str
    organization_id: str
    model: ModelClient
    connectors: ConnectorProvider
    events: EventSink
    artifacts: ArtifactStore
    ledger: WriteLedger = field(default_factory=MemoryLedger)
    timezone: str = "UTC"
    language: str = "en"
    is_cancelled: Callable[[], bool] = lambda: False
    release_thread: Callable[[], None] | None = None
    """Called in a thread the engine started (the agent's parallel tool calls), after each
    call it ran there: the place to close per-thread resources such as a Django connection."""
