"""Salesforce outbound messages: a SOAP ``notifications`` envelope with up to 100
``Notification`` elements. Salesforce does not sign them; the checks are the organization id
in the message (it must be the endpoint's), an optional client IP allowlist, and an optional
shared token in the URL's query string. Salesforce retries a message until it receives the
SOAP acknowledgement, so accepted and duplicate messages are both answered with ``Ack``."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from .base import EndpointKeys, Event, InboundRequest, Rejected, Verified, equal

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

ACK = (b'<?xml version="1.0" encoding="UTF-8"?>'
       b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
       b'<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
       b'<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>')


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(parent: Element, name: str) -> str:
    child = parent.find(f"{{{OUTBOUND_NS}}}{name}")
    return (child.text or "").strip() if child is not None else ""


def parse(body: bytes) -> dict[str, Any]:
    """The message as JSON-friendly data; entity declarations and DTDs are refused."""
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise Rejected(400, "malformed_body", "the body is not a well-formed SOAP message without a DTD") from None
    notifications = root.find(f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
    if notifications is None:
        raise Rejected(400, "malformed_body", "no outbound-message <notifications> element in the SOAP body")
    items = []
    for note in notifications.findall(f"{{{OUTBOUND_NS}}}Notification"):
        sobject = note.find(f"{{{OUTBOUND_NS}}}sObject")
        fields: dict[str, Any] = {}
        object_type = ""
        if sobject is not None:
            object_type = (sobject.get(f"{{{XSI_NS}}}type") or "").split(":")[-1]
            for child in sobject:
                nil = child.get(f"{{{XSI_NS}}}nil") == "true"
                fields[_local(child.tag)] = None if nil else (child.text or "")
        items.append({"id": _text(note, "Id"), "object_type": object_type, "fields": fields})
    if not items or not all(i["id"] for i in items):
        raise Rejected(400, "malformed_body", "every Notification needs an Id")
    return {"organization_id": _text(notifications, "OrganizationId"), "action_id": _text(notifications, "ActionId"),
            "enterprise_url": _text(notifications, "EnterpriseUrl"), "partner_url": _text(notifications, "PartnerUrl"),
            "notifications": items}


def verify(request: InboundRequest, keys: EndpointKeys, now: datetime) -> Verified:
    allow = keys.settings.get("ip_allowlist") or []
    if allow:
        try:
            address = ipaddress.ip_address(request.remote_addr or "")
            permitted = any(address in ipaddress.ip_network(n, strict=False) for n in allow)
        except ValueError:
            permitted = False
        if not permitted:
            raise Rejected(403, "ip_not_allowed", "this client address is not on the endpoint's allowlist")
    if keys.secrets and keys.settings.get("require_token"):
        given = request.query.get("token") or ""
        if not given or not any(equal(given, s) for s in keys.secrets):
            raise Rejected(401, "bad_signature", "the token in the URL does not match")
    message = parse(request.body)
    expected_org = str(keys.settings.get("organization_id") or "")
    # Salesforce ids come in 15- and 18-character forms; the first 15 characters identify the org.
    if not expected_org or not equal(message["organization_id"][:15], expected_org[:15]):
        raise Rejected(403, "wrong_organization", "the message's OrganizationId is not this endpoint's")
    # One event per Notification: Salesforce batches up to 100, each with its own id, and
    # retries the whole message until it is acknowledged.
    envelope = {k: v for k, v in message.items() if k != "notifications"}
    return Verified(events=tuple(Event(f"salesforce:{n['id']}", {**envelope, "notification": n})
                                 for n in message["notifications"]))
