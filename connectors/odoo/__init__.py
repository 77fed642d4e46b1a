"""Odoo over JSON-2 (Odoo 19+) or JSON-RPC execute_kw (Odoo 18 and older)."""

from .connector import OdooConnector

__all__ = ["OdooConnector"]
