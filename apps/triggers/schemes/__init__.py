"""Verification schemes for webhooks in, one module per family. Each ``verify(request,
keys, now)`` returns :class:`Verified` or raises :class:`Rejected`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from . import hubspot, salesforce, simple, standard
from .base import EndpointKeys, InboundRequest, Rejected, Verified

Verifier = Callable[[InboundRequest, EndpointKeys, datetime], Verified]

VERIFIERS: dict[str, Verifier] = {
    "hubspot": hubspot.verify,
    "standard_webhooks": standard.verify_standard,
    "stripe": standard.verify_stripe,
    "basic": simple.verify_basic,
    "shared_token": simple.verify_token,
    "salesforce_soap": salesforce.verify,
}

__all__ = ["VERIFIERS", "EndpointKeys", "InboundRequest", "Rejected", "Verified"]
