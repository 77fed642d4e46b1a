"""Errors that carry every problem found, each at a path a person can follow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One problem: ``path`` like ``nodes[3].config.tools[1]`` and a sentence about it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def format_path(loc: Sequence[Any]) -> str:
    """``("nodes", 3, "config", "tools", 1)`` -> ``nodes[3].config.tools[1]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _IssuesError(Exception):
    def __init__(self, errors: Sequence[Issue]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


class SpecError(_IssuesError):
    """The workflow spec is invalid; ``errors`` lists all problems, not just the first."""


class InputError(_IssuesError):
    """The run's inputs do not match the spec's input schema."""


class NodeError(Exception):
    """A node failed in a way a person can act on (bad data, refused write, model gave up)."""
