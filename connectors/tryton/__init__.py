"""Tryton ERP over JSON-RPC."""

from .connector import TrytonConnector

__all__ = ["TrytonConnector"]
