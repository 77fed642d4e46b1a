"""Workflow templates shipped with Farside: one YAML spec file each."""

from __future__ import annotations

from importlib import resources
from typing import Any

from ..yaml_io import load_yaml


def names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(__package__).iterdir() if p.name.endswith(".yaml"))


def load(name: str) -> dict[str, Any]:
    if name not in names():
        raise KeyError(f"no template {name!r}; available: {', '.join(names())}")
    return load_yaml(resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8"))
