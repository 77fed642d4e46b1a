"""Email over SMTP."""

from .connector import EmailConnector

__all__ = ["EmailConnector"]
