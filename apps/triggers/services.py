"""Writes for webhook endpoints and notify hooks (schedules live in schedules.py)."""

from __future__ import annotations

import ipaddress
import secrets as pysecrets
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.actors import Actor
from apps.accounts.services import audit_record
from apps.automations.crypto import decrypt_secrets, encrypt_secrets
from apps.automations.selectors import workflow_get
from apps.common.errors import InvalidInput, NotFound, Problem

from .mapping import check_mapping
from .models import NotifyHook, WebhookEndpoint, WebhookScheme, WebhookSource
from .notify import new_secret
from .reactions import followed
from .schedules import schedules_stop
from .schemes import Rejected
from .schemes.standard import standard_key

# Settings each scheme understands; anything else is refused so a typo is not silently ignored.
SCHEME_SETTINGS = {
    WebhookScheme.HUBSPOT: {"public_url", "hubspot_versions", "event_id_pointer"},
    WebhookScheme.STANDARD: {"event_id_pointer"},
    WebhookScheme.STRIPE: {"event_id_pointer"},
    WebhookScheme.BASIC: {"username", "event_id_pointer"},
    WebhookScheme.TOKEN: {"token_header", "event_id_pointer"},
    WebhookScheme.SALESFORCE: {"organization_id", "ip_allowlist", "require_token"},
}


def _generated_secret(scheme: str) -> str:
    if scheme == WebhookScheme.STANDARD:
        return new_secret()
    return pysecrets.token_urlsafe(32)


def _check_endpoint(scheme: str, secret: str, settings: dict[str, Any]) -> list[Problem]:
    problems = []
    unknown = set(settings) - SCHEME_SETTINGS.get(scheme, set())
    problems += [Problem(f"settings.{k}", f"not a setting of the {scheme} scheme") for k in sorted(unknown)]
    if scheme == WebhookScheme.STANDARD:
        try:
            too_short = len(standard_key(secret)) < 16
        except Rejected:
            too_short = True
        if too_short:
            problems.append(Problem("secret", "a Standard Webhooks secret is whsec_ followed by base64 (16+ bytes)"))
    if scheme == WebhookScheme.SALESFORCE and not settings.get("organization_id"):
        problems.append(Problem("settings.organization_id", "the Salesforce organization id is required"))
    if scheme == WebhookScheme.BASIC and not settings.get("username"):
        problems.append(Problem("settings.username", "required for HTTP Basic"))
    versions = settings.get("hubspot_versions", [])
    if not isinstance(versions, list) or not set(versions) <= {"v1", "v2"}:
        problems.append(Problem("settings.hubspot_versions", "a list with v1 and/or v2"))
    allow = settings.get("ip_allowlist", [])
    if not isinstance(allow, list) or not all(isinstance(n, str) for n in allow):
        problems.append(Problem("settings.ip_allowlist", "a list of addresses or networks"))
    else:
        for n in allow:
            try:
                ipaddress.ip_network(n, strict=False)
            except ValueError:
                problems.append(Problem("settings.ip_allowlist", f"{n!r} is not an address or network"))
    if len(secret) < 8:
        problems.append(Problem("secret", "at least 8 characters"))
    return problems


@transaction.atomic
def webhook_endpoint_create(*, actor: Actor, workflow_id: int, source: str, scheme: str, secret: str | None = None,
                            settings: dict[str, Any] | None = None, input_mapping: dict[str, str] | None = None,
                            static_inputs: dict[str, Any] | None = None) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its secret (generated when not given), shown this once."""
    actor.require("manage")
    workflow = workflow_get(actor=actor, workflow_id=workflow_id)
    settings, input_mapping, static_inputs = settings or {}, input_mapping or {}, static_inputs or {}
    problems = []
    if source not in WebhookSource.values:
        problems.append(Problem("source", f"one of {', '.join(WebhookSource.values)}"))
    if scheme not in WebhookScheme.values:
        problems.append(Problem("scheme", f"one of {', '.join(WebhookScheme.values)}"))
    secret = secret or _generated_secret(scheme)
    if not problems:
        problems += _check_endpoint(scheme, secret, settings)
    if problems:
        raise InvalidInput("webhook endpoint not created", problems)
    check_mapping(input_mapping)
    try:
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.create(
                organization=actor.organization, workflow=workflow, source=source, scheme=scheme,
                secrets_encrypted=encrypt_secrets({"current": secret}), settings=settings,
                input_mapping=input_mapping, static_inputs=static_inputs)
    except IntegrityError:
        raise InvalidInput("webhook endpoint not created",
                           [Problem("source", f"this workflow already has a {source} endpoint")]) from None
    audit_record(actor=actor, action="webhook_endpoint.create", target_type="webhook_endpoint",
                 target_id=endpoint.pk, details={"source": source, "scheme": scheme})
    return endpoint, secret


def _endpoint_for_update(actor: Actor, endpoint_id) -> WebhookEndpoint:
    """Lock the actor's endpoint, then check the role: another organization's endpoint (or
    a malformed id) is not found, never forbidden."""
    try:
        endpoint = (WebhookEndpoint.objects.select_for_update()
                    .filter(organization=actor.organization, pk=endpoint_id, workflow__archived_at__isnull=True)
                    .first())
    except (ValueError, TypeError, ValidationError):
        endpoint = None
    if endpoint is None:
        raise NotFound("webhook endpoint not found")
    actor.require("manage")
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, actor: Actor, endpoint_id, settings: dict[str, Any] | None = None,
                            input_mapping: dict[str, str] | None = None, static_inputs: dict[str, Any] | None = None,
                            enabled: bool | None = None) -> WebhookEndpoint:
    endpoint = _endpoint_for_update(actor, endpoint_id)
    if settings is not None:
        current = decrypt_secrets(endpoint.secrets_encrypted).get("current", "")
        problems = _check_endpoint(endpoint.scheme, current, settings)
        if problems:
            raise InvalidInput("webhook endpoint not saved", problems)
        endpoint.settings = settings
    if input_mapping is not None:
        check_mapping(input_mapping)
        endpoint.input_mapping = input_mapping
    if static_inputs is not None:
        endpoint.static_inputs = static_inputs
    if enabled is not None:
        endpoint.enabled = enabled
    endpoint.save()
    audit_record(actor=actor, action="webhook_endpoint.update", target_type="webhook_endpoint", target_id=endpoint.pk)
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, actor: Actor, endpoint_id, secret: str | None = None,
                                   keep_previous: bool = True) -> tuple[WebhookEndpoint, str]:
    """Install a new secret; the previous one keeps working until the next rotation when
    ``keep_previous``, so the sender can be switched over without losing deliveries."""
    endpoint = _endpoint_for_update(actor, endpoint_id)
    secret = secret or _generated_secret(endpoint.scheme)
    problems = [p for p in _check_endpoint(endpoint.scheme, secret, {}) if p.path == "secret"]
    if problems:
        raise InvalidInput("secret not rotated", problems)
    stored = decrypt_secrets(endpoint.secrets_encrypted)
    new = {"current": secret}
    if keep_previous and stored.get("current"):
        new["previous"] = stored["current"]
    endpoint.secrets_encrypted = encrypt_secrets(new)
    endpoint.save(update_fields=["secrets_encrypted", "updated_at"])
    audit_record(actor=actor, action="webhook_endpoint.rotate", target_type="webhook_endpoint", target_id=endpoint.pk,
                 details={"kept_previous": "previous" in new})
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_delete(*, actor: Actor, endpoint_id) -> None:
    endpoint = _endpoint_for_update(actor, endpoint_id)
    target_id = endpoint.pk
    endpoint.delete()
    audit_record(actor=actor, action="webhook_endpoint.delete", target_type="webhook_endpoint", target_id=target_id)


def _check_url(url: str) -> None:
    """Scheme and shape only; the address is checked when sending, against the network
    policy, because DNS can change between now and then."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise InvalidInput("notify hook not saved", [Problem("url", "an http(s) URL without credentials")])


@transaction.atomic
def notify_hook_create(*, actor: Actor, workflow_id: int, url: str) -> tuple[NotifyHook, str]:
    actor.require("manage")
    workflow = workflow_get(actor=actor, workflow_id=workflow_id)
    _check_url(url)
    secret = new_secret()
    hook = NotifyHook.objects.create(organization=actor.organization, workflow=workflow, url=url,
                                     secret_encrypted=encrypt_secrets({"secret": secret}))
    transaction.on_commit(followed.forget)
    audit_record(actor=actor, action="notify_hook.create", target_type="notify_hook", target_id=hook.pk)
    return hook, secret


@transaction.atomic
def notify_hook_delete(*, actor: Actor, hook_id: int) -> None:
    # Not found before not allowed: another organization's hook must not answer 403.
    hooks = NotifyHook.objects.filter(organization=actor.organization, pk=hook_id)
    if not hooks.exists():
        raise NotFound("notify hook not found")
    actor.require("manage")
    hooks.delete()
    transaction.on_commit(followed.forget)
    audit_record(actor=actor, action="notify_hook.delete", target_type="notify_hook", target_id=hook_id)


def workflow_triggers_stop(*, workflow_id: int) -> dict[str, int]:
    """Stop what starts or follows runs of a workflow being deleted (archived): schedules
    are disabled, webhook endpoints and notify hooks switched off. The rows stay, so a
    sender still posting to an endpoint is told 410 (intake) and past deliveries remain."""
    stopped = {"schedules": schedules_stop(workflow_id=workflow_id),
               "webhook_endpoints": WebhookEndpoint.objects.filter(workflow_id=workflow_id, enabled=True)
               .update(enabled=False),
               "notify_hooks": NotifyHook.objects.filter(workflow_id=workflow_id, enabled=True).update(enabled=False)}
    transaction.on_commit(followed.forget)
    return stopped
