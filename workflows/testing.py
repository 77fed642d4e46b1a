"""In-memory ports for tests, benchmarks and the engine-only CLI.

``MemoryEvents`` refuses payloads that are not JSON-serialisable, so a test run catches an
event the app layer could not store. ``run_until_pause`` drives a compiled graph the way
the app layer does: stream ``updates`` until the graph ends or waits for a person.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors import registry
from connectors.base import Connector

from .context import ArtifactRef, MemoryLedger, ModelClient, RunContext


@dataclass
class Event:
    kind: str
    payload: dict[str, Any]
    node_id: str | None


class MemoryEvents:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, kind: str, payload: Mapping[str, Any], *, node_id: str | None = None) -> None:
        json.dumps(payload)  # what the app layer will do; fail here, loudly, if it cannot
        self.events.append(Event(kind, dict(payload), node_id))

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


class MemoryArtifacts:
    def __init__(self) -> None:
        self._data: dict[str, tuple[ArtifactRef, bytes]] = {}
        self._ids = itertools.count(1)

    def put(self, *, name: str, content: bytes, media_type: str, node_id: str | None = None) -> ArtifactRef:
        # Globally unique ids, as the app layer's are: caches key on them across stores.
        ref = ArtifactRef(id=f"art{next(self._ids)}-{uuid.uuid4().hex[:12]}", name=name, media_type=media_type,
                          size=len(content))
        self._data[ref.id] = (ref, bytes(content))
        return ref

    def get(self, artifact_id: str) -> bytes:
        return self._data[artifact_id][1]

    def refs(self) -> list[ArtifactRef]:
        return [ref for ref, _ in self._data.values()]


class MemoryConnectors:
    """Connectors by type: given instances first, else built from the registry with no secrets."""

    def __init__(self, instances: Mapping[str, Connector] | None = None):
        self.instances = dict(instances or {})

    def connector(self, connector_type: str) -> Connector:
        if connector_type not in self.instances:
            cls = registry.connector_class(connector_type)
            self.instances[connector_type] = cls(settings={}, secrets={})
        return self.instances[connector_type]


@dataclass
class NoModel:
    """For graphs without model steps; a call is a bug in the test."""

    calls: list[Any] = field(default_factory=list)

    def chat(self, messages: Any, tools: Any = None, **params: Any) -> Any:
        raise AssertionError("this workflow was not expected to call the model")


def make_context(*, model: ModelClient | None = None, connectors: Mapping[str, Connector] | None = None,
                 run_id: str = "run-1", **overrides: Any) -> RunContext:
    return RunContext(run_id=run_id, organization_id=overrides.pop("organization_id", "org-1"),
                      model=model or NoModel(), connectors=MemoryConnectors(connectors), events=MemoryEvents(),
                      artifacts=MemoryArtifacts(), ledger=overrides.pop("ledger", MemoryLedger()), **overrides)


def run_until_pause(graph: Any, ctx: RunContext, graph_input: Any, *, thread_id: str | None = None,
                    on_update: Callable[[dict[str, Any]], None] | None = None) -> list[Any]:
    """Stream until the run ends or pauses; returns the pending interrupts' values ([] if done)."""
    config = {"configurable": {"thread_id": thread_id or ctx.run_id}}
    paused: list[Any] = []
    for update in graph.stream(graph_input, config, context=ctx, stream_mode="updates"):
        if "__interrupt__" in update:
            paused.extend(i.value for i in update["__interrupt__"])
        elif on_update is not None:
            on_update(update)
    return paused
