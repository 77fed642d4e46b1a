"""The connector protocol every integration implements.

An :class:`Operation` is what the workflow engine sees: a dotted name
(``hubspot.search_deals``), a JSON schema for its arguments, whether it reads or
writes, and a short description the model reads. A :class:`Connector` instance is
built from a connection's plain settings and decrypted secrets and performs the
operations. Nothing here knows about Django.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import jsonschema

from .redaction import Redactor, watch

OperationKind = Literal["read", "write"]


@dataclass(frozen=True)
class Operation:
    """One typed operation of a connector.

    ``name`` is ``<connector type>.<verb>``. ``args_schema`` and ``result_schema`` are
    JSON schemas (draft 2020-12). Writes receive an idempotency key; a connector that
    cannot pass it to the remote API must prevent repeats itself.
    """

    name: str
    description: str
    kind: OperationKind
    args_schema: Mapping[str, Any]
    result_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})

    @property
    def connector_type(self) -> str:
        return self.name.split(".", 1)[0]


class ConnectorError(Exception):
    """A failure talking to an external system.

    ``retryable`` says whether trying the same call again later can help (rate limits,
    timeouts, 5xx) or not (bad arguments, permission denied, not found). ``retry_after`` is
    the number of seconds the remote system asked us to wait, when it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


_VALIDATORS: dict[str, jsonschema.protocols.Validator] = {}


def _validator(op: Operation) -> jsonschema.protocols.Validator:
    if op.name not in _VALIDATORS:
        _VALIDATORS[op.name] = jsonschema.Draft202012Validator(dict(op.args_schema))
    return _VALIDATORS[op.name]


def check_args(op: Operation, args: Mapping[str, Any]) -> None:
    """Refuse arguments that do not match the operation's schema, before any network call."""
    error = jsonschema.exceptions.best_match(_validator(op).iter_errors(dict(args)))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "arguments"
        raise ConnectorError(f"{op.name}: invalid {where}: {error.message}", retryable=False)


def _guarded_iterate(iterate: Callable[..., Iterator[dict[str, Any]]]) -> Callable[..., Iterator[dict[str, Any]]]:
    @functools.wraps(iterate)
    def guarded(self: Connector, name: str, args: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        check_args(self.operation(name), args)
        try:
            yield from iterate(self, name, args)
        except ConnectorError as exc:
            exc.args = (self.redactor.redact(str(exc)),)
            raise

    return guarded


class Connector:
    """Base class: subclasses declare ``type`` and ``operations`` and implement ``_run_<verb>``.

    ``call`` returns a JSON-serialisable result; ``iterate`` yields records page by page
    for reads that can be large, so a caller can stop early or stream to an artifact.
    """

    type: ClassVar[str]
    operations: ClassVar[tuple[Operation, ...]] = ()
    # A connector whose remote calls live in a client class names it here: the base builds it
    # as ``self.client`` from the connection (extra keyword arguments, such as a test's
    # ``retry``, go to the client) and closes it in ``close``.
    client_class: ClassVar[Callable[..., Any] | None] = None
    client: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A connector's own ``iterate`` gets the same guarantees as ``call``: arguments checked
        # against the schema first, and no secret in the message of an error it raises.
        if "iterate" in cls.__dict__:
            cls.iterate = _guarded_iterate(cls.__dict__["iterate"])  # type: ignore[method-assign]

    def __init__(self, *, settings: Mapping[str, Any], secrets: Mapping[str, str], ledger: Any = None,
                 **client_options: Any):
        from .ledger import default_ledger

        self.settings = dict(settings)
        self.secrets = dict(secrets)
        # Where writes record their idempotency keys when the remote API cannot (see ledger.py);
        # the app passes one backed by its database, scoped to the connection.
        self.ledger = ledger if ledger is not None else default_ledger()
        # Every message this connector logs or raises passes through the redactor, which
        # also learns tokens the connector obtains later (OAuth access tokens).
        self.redactor: Redactor = watch(Redactor.for_secrets(self.secrets))
        if self.client_class is not None:
            self.client = self.client_class(settings=self.settings, secrets=self.secrets, redactor=self.redactor,
                                            **client_options)

    @classmethod
    def operation(cls, name: str) -> Operation:
        for op in cls.operations:
            if op.name == name:
                return op
        raise KeyError(name)

    def call(self, name: str, args: Mapping[str, Any], *, idempotency_key: str | None = None) -> Any:
        op = self.operation(name)
        handler: Callable[..., Any] = getattr(self, "_run_" + name.split(".", 1)[1])
        check_args(op, args)
        try:
            if op.kind == "write":
                return handler(dict(args), idempotency_key=idempotency_key)
            return handler(dict(args))
        except ConnectorError as exc:
            exc.args = (self.redactor.redact(str(exc)),)
            raise

    def iterate(self, name: str, args: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Yield the records of a read operation; the default wraps ``call``."""
        result = self.call(name, args)
        records = result.get("results", []) if isinstance(result, dict) else result
        yield from records

    def _perform_once(
        self, verb: str, idempotency_key: str | None, perform: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """Run a write at most once per idempotency key, recorded in this connection's ledger as
        ``<type>.<verb>:<key>``; without a key it just runs (see :mod:`connectors.ledger`)."""
        from .ledger import perform_once

        key = f"{self.type}.{verb}:{idempotency_key}" if idempotency_key else None
        return perform_once(self.ledger, key, perform)

    def check(self) -> None:
        """Prove the connection works (the app's "test connection"): reach the system and
        authenticate without changing anything. Raises ConnectorError saying what failed."""
        try:
            self._check()
        except ConnectorError as exc:
            exc.args = (self.redactor.redact(str(exc)),)
            raise

    def _check(self) -> None:
        raise ConnectorError(f"{self.type} connections have no connection test", retryable=False)

    def close(self) -> None:
        """Release network resources: the client, if any; connectors holding others override this."""
        if self.client_class is not None:
            self.client.close()
