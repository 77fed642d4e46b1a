"""Celery tasks: thin adapters around one service each."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="triggers.schedule_fire", ignore_result=True)
def schedule_fire(schedule_id: int) -> int:
    from .schedules import schedule_fire as fire

    return len(fire(schedule_id=schedule_id, now=timezone.now()))


@shared_task(name="triggers.start_pending_events", ignore_result=True)
def start_pending_events() -> int:
    from .events import events_start_pending

    return events_start_pending()


@shared_task(name="triggers.notify_send", ignore_result=True)
def notify_send(delivery_id: int) -> str | None:
    from .notify import notify_send as send

    delivery = send(delivery_id=delivery_id, now=timezone.now())
    return delivery.status if delivery else None


@shared_task(name="triggers.run_finished", ignore_result=True)
def run_finished(run_id: str) -> int:
    """Sent by the run_finished receiver for a workflow with notify hooks or a queueing
    schedule. One notification is sent in this task; several go out as a task each, so
    one slow receiver cannot hold up the others."""
    from .reactions import run_finished_react

    due = run_finished_react(run_id=run_id, now=timezone.now())
    if len(due) == 1:
        notify_send(due[0])
    else:
        for delivery_id in due:
            notify_send.delay(delivery_id)
    return len(due)


@shared_task(name="triggers.sweep", ignore_result=True)
def sweep() -> int:
    """Every few seconds (beat): fire schedules whose beat message was lost, start queued
    ticks, start webhook events whose nudge was lost, and hand due notifications to workers."""
    from .events import events_sweep
    from .notify import notify_discover, notify_due
    from .schedules import schedules_drain, schedules_fire_due

    now = timezone.now()
    done = schedules_fire_due(now=now) + schedules_drain(now=now) + events_sweep(now=now)
    notify_discover(now=now)
    for delivery_id in notify_due(now=now):
        notify_send.delay(delivery_id)
    return done


@shared_task(name="triggers.prune_deliveries", ignore_result=True)
def prune_deliveries() -> int:
    """Hourly (beat): blank raw webhook bodies past WEBHOOK_RETENTION_DAYS, delete old rejections."""
    from .retention import deliveries_prune

    result = deliveries_prune(now=timezone.now())
    return result.blanked + result.deleted
