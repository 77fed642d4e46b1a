"""Per-process resources a slice needs: compiled graphs, the model client, connectors."""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Any

from django.conf import settings

import workflows
from apps.automations.crypto import decrypt_secrets
from apps.accounts.models import Organization
from apps.automations.models import Connection, WorkflowVersion
from connectors.base import Connector
from connectors.registry import connector_class

from .models import Run

_graphs_lock = threading.Lock()
_graphs: dict[tuple[str, int], Any] = {}


_specs: dict[str, Any] = {}
_versions: dict[int, WorkflowVersion] = {}


def version_of(version_id: int) -> WorkflowVersion:
    """A workflow version by id, cached: versions are immutable once written."""
    version = _versions.get(version_id)
    if version is None:
        version = _versions[version_id] = WorkflowVersion.objects.get(pk=version_id)
    return version


_locales: dict[int, tuple[float, tuple[str, str]]] = {}
LOCALE_TTL_SECONDS = 30.0


def organization_locale(organization_id: int) -> tuple[str, str]:
    """(timezone, language) of an organization, cached briefly: read on every slice,
    changed rarely, and a run started right after a change may use the old value."""
    now = time.monotonic()
    cached = _locales.get(organization_id)
    if cached is None or now - cached[0] > LOCALE_TTL_SECONDS:
        values = Organization.objects.filter(pk=organization_id).values_list("timezone", "language").first()
        cached = _locales[organization_id] = (now, values or ("UTC", "en"))
    return cached[1]


def loaded_spec(checksum: str, spec_data: dict):
    """The validated spec of a version; versions are immutable, so the checksum is the key."""
    spec = _specs.get(checksum)
    if spec is None:
        spec = _specs[checksum] = workflows.load_spec(spec_data)
    return spec


def compiled_graph(checksum: str, spec_data: dict, saver) -> Any:
    """The compiled graph for a spec version; compiled once per process and checkpointer."""
    key = (checksum, id(saver))
    with _graphs_lock:
        graph = _graphs.get(key)
        if graph is None:
            graph = workflows.build_graph(loaded_spec(checksum, spec_data)).compile(checkpointer=saver)
            _graphs[key] = graph
        return graph


@lru_cache(maxsize=1)
def _client(urls: tuple[str, ...], model: str, api_key: str | None):
    import inference

    if not urls:
        raise RuntimeError("no model server configured: set INFERENCE_BASE_URLS to your vLLM server(s)")
    if len(urls) == 1:
        return inference.ChatClient(urls[0], model, api_key=api_key)
    return inference.ChatClient.from_router(inference.Router.from_urls(list(urls)), model, api_key=api_key)


class _LazyModel:
    """Resolves the model client on first use, so workflows without model steps run
    even where no model server is configured."""

    def chat(self, messages, tools=None, **params):
        return self._resolve().chat(messages, tools, **params)

    def __getattr__(self, name: str):
        return getattr(self._resolve(), name)

    @staticmethod
    def _resolve():
        return _client(tuple(settings.INFERENCE_BASE_URLS), settings.INFERENCE_MODEL, settings.INFERENCE_API_KEY)


def model_client() -> _LazyModel:
    return _LazyModel()


class RunConnectors:
    """Connectors for one run, built from the organization's connections on first use."""

    def __init__(self, run: Run):
        self._run = run
        self._cache: dict[str, Connector] = {}
        self._lock = threading.Lock()

    def connector(self, connector_type: str) -> Connector:
        with self._lock:
            if connector_type not in self._cache:
                self._cache[connector_type] = self._build(connector_type)
            return self._cache[connector_type]

    def _build(self, connector_type: str) -> Connector:
        cls = connector_class(connector_type)
        if connector_type == "demo":
            from apps.demo.store import DjangoDemoStore

            return cls(settings={}, secrets={}, store=DjangoDemoStore(self._run.organization_id))
        connection = (Connection.objects.filter(organization_id=self._run.organization_id,
                                                connector_type=connector_type).order_by("pk").first())
        if connection is None:
            raise LookupError(f"this workflow uses {connector_type} but the organization has no "
                              f"{connector_type} connection; add one under Connections")
        from .ports import DbConnectorLedger

        return cls(settings=connection.settings, secrets=decrypt_secrets(connection.secrets_encrypted),
                   ledger=DbConnectorLedger(self._run.organization_id))


def connector_provider(run: Run) -> RunConnectors:
    return RunConnectors(run)
