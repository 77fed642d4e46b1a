"""Reads of triggers. A deleted (archived) workflow's triggers are gone with it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from apps.accounts.actors import Actor
from apps.common.errors import NotFound

from .models import NotifyHook, Schedule, ScheduleTick, WebhookDelivery, WebhookEndpoint


def schedule_list(*, actor: Actor) -> QuerySet[Schedule]:
    return (Schedule.objects.filter(organization=actor.organization, workflow__archived_at__isnull=True)
            .select_related("workflow"))


def schedule_get(*, actor: Actor, schedule_id: int) -> Schedule:
    schedule = schedule_list(actor=actor).filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound("schedule not found")
    return schedule


def webhook_endpoint_list(*, actor: Actor) -> QuerySet[WebhookEndpoint]:
    return (WebhookEndpoint.objects.filter(organization=actor.organization, workflow__archived_at__isnull=True)
            .select_related("workflow"))


def webhook_endpoint_get(*, actor: Actor, endpoint_id) -> WebhookEndpoint:
    """Another organization's endpoint, or a malformed id, is not found."""
    try:
        endpoint = webhook_endpoint_list(actor=actor).filter(pk=endpoint_id).first()
    except (ValueError, TypeError, ValidationError):
        endpoint = None
    if endpoint is None:
        raise NotFound("webhook endpoint not found")
    return endpoint


def webhook_delivery_list(*, actor: Actor, endpoint_id) -> QuerySet[WebhookDelivery]:
    endpoint = webhook_endpoint_get(actor=actor, endpoint_id=endpoint_id)
    return WebhookDelivery.objects.filter(endpoint=endpoint).defer("body").prefetch_related("events")


def notify_hook_list(*, actor: Actor) -> QuerySet[NotifyHook]:
    return (NotifyHook.objects.filter(organization=actor.organization, workflow__archived_at__isnull=True)
            .select_related("workflow"))


def schedule_tick_list(*, actor: Actor, schedule_id: int) -> QuerySet[ScheduleTick]:
    schedule = schedule_get(actor=actor, schedule_id=schedule_id)
    return ScheduleTick.objects.filter(schedule=schedule)


def webhook_delivery_get(*, actor: Actor, endpoint_id, delivery_id: int) -> WebhookDelivery:
    endpoint = webhook_endpoint_get(actor=actor, endpoint_id=endpoint_id)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint, pk=delivery_id).prefetch_related("events").first()
    if delivery is None:
        raise NotFound("webhook delivery not found")
    return delivery
