"""Connectors to CRMs, ERPs and messaging systems. Never imports Django."""
