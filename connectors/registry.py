"""The catalogue of connector types and their operations.

Spec validation asks this module whether a tool name exists without building any
connector; the app layer asks it for the class to instantiate for a connection.
"""

from __future__ import annotations

from .base import Connector, Operation

_CONNECTORS: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator: make a connector type known to the catalogue."""
    _CONNECTORS[cls.type] = cls
    return cls


def _load_builtin() -> None:
    # Importing the packages runs their @register decorators. Each import is listed
    # explicitly so a broken connector fails loudly instead of vanishing from the catalogue.
    import importlib

    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


_BUILTIN_MODULES: list[str] = [
    "connectors.demo",
    "connectors.hubspot",
    "connectors.sql",
    "connectors.slack",
    "connectors.rest",
    "connectors.email",
    "connectors.salesforce",
    "connectors.odoo",
    "connectors.tryton",
]


def connector_types() -> dict[str, type[Connector]]:
    _load_builtin()
    return dict(_CONNECTORS)


def connector_class(type_: str) -> type[Connector]:
    types = connector_types()
    if type_ not in types:
        raise KeyError(f"unknown connector type {type_!r}; known: {', '.join(sorted(types))}")
    return types[type_]


def operations() -> list[Operation]:
    return [op for cls in connector_types().values() for op in cls.operations]


def operation(name: str) -> Operation | None:
    for op in operations():
        if op.name == name:
            return op
    return None
