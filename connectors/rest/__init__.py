"""Generic HTTP/REST connector (type ``http``)."""

from .connector import RestConnector

__all__ = ["RestConnector"]
