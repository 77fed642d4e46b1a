"""Slack incoming webhooks."""

from .connector import SlackConnector

__all__ = ["SlackConnector"]
