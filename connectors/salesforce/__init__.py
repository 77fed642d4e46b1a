"""Salesforce REST API: SOQL, sObjects, Task/Note, composite; JWT, client-credentials or refresh-token auth."""

from .connector import SalesforceConnector

__all__ = ["SalesforceConnector"]
