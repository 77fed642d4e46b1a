"""HubSpot CRM v3: contacts, companies, deals, associations, notes and tasks."""

from .client import HubSpotClient
from .connector import HubSpotConnector

__all__ = ["HubSpotClient", "HubSpotConnector"]
