"""Read-only SQL against PostgreSQL."""

from .connector import SqlConnector

__all__ = ["SqlConnector"]
