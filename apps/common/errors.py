"""The errors services raise; every surface (API, dashboard, CLI) maps them the same way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: where (a dotted/indexed path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ServiceError(Exception):
    code = "error"

    def __init__(self, message: str, problems: Iterable[Problem] = ()):
        self.problems = list(problems)
        detail = "; ".join(str(p) for p in self.problems)
        super().__init__(f"{message}: {detail}" if detail else message)
        self.message = message


class NotFound(ServiceError):
    """The object does not exist or belongs to another organization (never say which)."""

    code = "not_found"


class PermissionDenied(ServiceError):
    """The actor can see the object but their role does not allow the action."""

    code = "permission_denied"


class InvalidInput(ServiceError):
    code = "invalid"


class Conflict(ServiceError):
    """The request contradicts the object's current state (decided twice, resumed after cancel)."""

    code = "conflict"


def error_body(code: str, message: str, problems: list[dict] | None = None) -> dict:
    """The one error body of the API and webhook intake:
    ``{"error": {"code", "message", "problems": [{"path", "message"}]}}``."""
    return {"error": {"code": code, "message": message, "problems": problems or []}}
