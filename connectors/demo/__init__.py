"""Demo CRM+ERP: sample accounts, contacts, deals, orders, invoices and activities."""

from .connector import DemoConnector, memory_store_for, set_store_factory
from .store import DemoStore, MemoryDemoStore, Page, WriteResult

__all__ = ["DemoConnector", "DemoStore", "MemoryDemoStore", "Page", "WriteResult", "memory_store_for",
           "set_store_factory"]
