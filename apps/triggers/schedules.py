"""Schedules: writes, the beat sync, and what happens when a tick fires.

Beat (django-celery-beat's DatabaseScheduler) wakes ``schedule_fire`` at the cron times;
the schedule then works out which ticks are due since the last one it handled
(catch-up policy) and whether each may start now (overlap policy). ``now`` is always
passed in, so tests can move the clock.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from apps.accounts.actors import Actor, system_actor
from apps.accounts.services import audit_record
from apps.automations.selectors import workflow_get
from apps.common.errors import InvalidInput, NotFound, Problem, ServiceError
from apps.runs.models import RunStatus, TriggerKind
from apps.runs.services import run_create

from . import cron
from .models import CatchUpPolicy, OverlapPolicy, Schedule, ScheduleTick, TickOutcome
from .reactions import followed

log = logging.getLogger(__name__)

# A tick this late is no longer "on time": after downtime, the catch-up policy decides.
ON_TIME_GRACE = timedelta(minutes=2)
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.WAITING_APPROVAL)
FIRE_TASK = "triggers.schedule_fire"
_EDITABLE = ("name", "cron", "timezone", "inputs", "enabled", "overlap_policy", "catch_up_policy", "catch_up_limit")


def _check(values: dict[str, Any]) -> None:
    problems = cron.cron_problems(values["cron"], values["timezone"])
    if not (values.get("name") or "").strip():
        problems.append(Problem("name", "must not be empty"))
    if values["overlap_policy"] not in OverlapPolicy.values:
        problems.append(Problem("overlap_policy", f"one of {', '.join(OverlapPolicy.values)}"))
    if values["catch_up_policy"] not in CatchUpPolicy.values:
        problems.append(Problem("catch_up_policy", f"one of {', '.join(CatchUpPolicy.values)}"))
    if not 1 <= int(values["catch_up_limit"]) <= 1000:
        problems.append(Problem("catch_up_limit", "between 1 and 1000"))
    if not isinstance(values.get("inputs"), dict):
        problems.append(Problem("inputs", "must be an object"))
    if problems:
        raise InvalidInput("schedule not saved", problems)


def _sync_beat(schedule: Schedule) -> None:
    """Create or update the PeriodicTask that wakes this schedule (or remove it)."""
    crontab, _ = CrontabSchedule.objects.get_or_create(**cron.fields(schedule.cron), timezone=schedule.timezone)
    task = schedule.periodic_task
    if task is None:
        task = PeriodicTask(name=f"farside-schedule-{schedule.pk}", task=FIRE_TASK)
    task.crontab, task.interval, task.solar, task.clocked = crontab, None, None, None
    task.args = json.dumps([schedule.pk])
    task.enabled = schedule.enabled
    task.description = f"Farside schedule {schedule.name!r} (organization {schedule.organization_id})"
    task.save()
    if schedule.periodic_task_id != task.pk:
        schedule.periodic_task = task
        Schedule.objects.filter(pk=schedule.pk).update(periodic_task=task)


@transaction.atomic
def schedule_create(*, actor: Actor, workflow_id: int, name: str, cron_expression: str, timezone: str = "UTC",
                    inputs: dict[str, Any] | None = None, enabled: bool = True,
                    overlap_policy: str = OverlapPolicy.SKIP, catch_up_policy: str = CatchUpPolicy.NONE,
                    catch_up_limit: int = 10, now: datetime | None = None) -> Schedule:
    actor.require("edit")
    workflow = workflow_get(actor=actor, workflow_id=workflow_id)
    values = {"name": (name or "").strip(), "cron": " ".join((cron_expression or "").split()), "timezone": timezone,
              "inputs": inputs if inputs is not None else {}, "enabled": enabled, "overlap_policy": overlap_policy,
              "catch_up_policy": catch_up_policy, "catch_up_limit": catch_up_limit}
    _check(values)
    if Schedule.objects.filter(organization=actor.organization, name=values["name"]).exists():
        raise InvalidInput("schedule not saved", [Problem("name", f"a schedule named {values['name']!r} exists")])
    # Ticks before creation are not "missed": the schedule starts counting now.
    schedule = Schedule.objects.create(organization=actor.organization, workflow=workflow,
                                       last_tick_at=now or dj_timezone.now(), created_by_id=actor.user_id, **values)
    _sync_beat(schedule)
    transaction.on_commit(followed.forget)
    audit_record(actor=actor, action="schedule.create", target_type="schedule", target_id=schedule.pk,
                 details={"cron": schedule.cron, "timezone": schedule.timezone})
    return schedule


def _schedule_for_update(actor: Actor, schedule_id: int) -> Schedule:
    """Lock the actor's schedule, then check the role: another organization's schedule (or
    a deleted workflow's) is not found, never forbidden."""
    schedule = (Schedule.objects.select_for_update()
                .filter(organization=actor.organization, pk=schedule_id, workflow__archived_at__isnull=True).first())
    if schedule is None:
        raise NotFound("schedule not found")
    actor.require("edit")
    return schedule


@transaction.atomic
def schedule_update(*, actor: Actor, schedule_id: int, now: datetime | None = None, **changes: Any) -> Schedule:
    schedule = _schedule_for_update(actor, schedule_id)
    unknown = set(changes) - set(_EDITABLE) - {"cron_expression"}
    if unknown:
        raise InvalidInput("schedule not saved", [Problem(k, "cannot be changed") for k in sorted(unknown)])
    if "cron_expression" in changes:
        changes["cron"] = " ".join(str(changes.pop("cron_expression") or "").split())
    values = {k: changes.get(k, getattr(schedule, k)) for k in _EDITABLE}
    _check(values)
    if values["name"] != schedule.name and Schedule.objects.filter(
            organization=actor.organization, name=values["name"]).exists():
        raise InvalidInput("schedule not saved", [Problem("name", f"a schedule named {values['name']!r} exists")])
    if values["enabled"] and not schedule.enabled:
        # Re-enabling is not downtime: do not catch up on the ticks it was switched off for.
        schedule.last_tick_at = now or dj_timezone.now()
    for key, value in values.items():
        setattr(schedule, key, value)
    schedule.save()
    _sync_beat(schedule)
    transaction.on_commit(followed.forget)
    audit_record(actor=actor, action="schedule.update", target_type="schedule", target_id=schedule.pk,
                 details={k: str(v)[:100] for k, v in changes.items()})
    return schedule


@transaction.atomic
def schedule_delete(*, actor: Actor, schedule_id: int) -> None:
    schedule = _schedule_for_update(actor, schedule_id)
    task_id = schedule.periodic_task_id
    schedule.delete()
    if task_id:
        PeriodicTask.objects.filter(pk=task_id).delete()
    transaction.on_commit(followed.forget)
    audit_record(actor=actor, action="schedule.delete", target_type="schedule", target_id=schedule_id)


def schedules_stop(*, workflow_id: int) -> int:
    """Disable the schedules of a deleted workflow and give up the ticks queued behind its
    runs (they could never start). Returns how many schedules were switched off."""
    stopped = 0
    for schedule in Schedule.objects.select_for_update().filter(workflow_id=workflow_id, enabled=True):
        schedule.enabled = False
        schedule.save(update_fields=["enabled", "updated_at"])
        _sync_beat(schedule)
        stopped += 1
    ScheduleTick.objects.filter(schedule__workflow_id=workflow_id, outcome=TickOutcome.QUEUED).update(
        outcome=TickOutcome.FAILED, reason="the workflow was deleted")
    transaction.on_commit(followed.forget)
    return stopped


def _has_active_run(schedule: Schedule) -> bool:
    return ScheduleTick.objects.filter(schedule=schedule, outcome=TickOutcome.STARTED,
                                       run__status__in=ACTIVE).exists()


def _start(schedule: Schedule, tick: datetime, existing: ScheduleTick | None = None) -> ScheduleTick:
    ref = f"schedule:{schedule.pk}:{tick.isoformat()}"
    try:
        with transaction.atomic():
            run = run_create(actor=system_actor(schedule.organization, label=f"schedule:{schedule.name}"),
                             workflow_id=schedule.workflow_id, inputs=schedule.inputs, trigger=TriggerKind.SCHEDULE,
                             trigger_ref=ref, idempotency_key=ref)
        outcome, reason = TickOutcome.STARTED, ""
    except ServiceError as exc:
        run, outcome, reason = None, TickOutcome.FAILED, str(exc)[:500]
    if existing is not None:
        existing.outcome, existing.reason, existing.run = outcome, reason, run
        existing.save(update_fields=["outcome", "reason", "run"])
        return existing
    return ScheduleTick.objects.create(organization_id=schedule.organization_id, schedule=schedule, tick_at=tick,
                                       outcome=outcome, reason=reason, run=run)


def _act_on_tick(schedule: Schedule, tick: datetime) -> ScheduleTick:
    if schedule.overlap_policy == OverlapPolicy.ALLOW:
        return _start(schedule, tick)
    busy = _has_active_run(schedule)
    if schedule.overlap_policy == OverlapPolicy.SKIP and busy:
        return ScheduleTick.objects.create(organization_id=schedule.organization_id, schedule=schedule, tick_at=tick,
                                           outcome=TickOutcome.SKIPPED, reason="the previous run is unfinished")
    # Only a queueing schedule that is idle asks whether older ticks still wait: they go first.
    if schedule.overlap_policy == OverlapPolicy.QUEUE and (
            busy or ScheduleTick.objects.filter(schedule=schedule, outcome=TickOutcome.QUEUED).exists()):
        return ScheduleTick.objects.create(organization_id=schedule.organization_id, schedule=schedule, tick_at=tick,
                                           outcome=TickOutcome.QUEUED, reason="waiting for the previous run")
    return _start(schedule, tick)


def schedule_fire(*, schedule_id: int, now: datetime) -> list[ScheduleTick]:
    """Handle every tick due since the last one handled, by the catch-up and overlap policies.

    Safe to call twice for the same instant (two beats, a retried task): the schedule row
    is locked, ``last_tick_at`` advances, and a tick has at most one row.
    """
    with transaction.atomic():
        schedule = (Schedule.objects.select_for_update().select_related("organization")
                    .filter(pk=schedule_id).first())
        if schedule is None or not schedule.enabled:
            return []
        since = schedule.last_tick_at or schedule.created_at
        limit = schedule.catch_up_limit if schedule.catch_up_policy == CatchUpPolicy.ALL else 1
        due, older = cron.due_ticks(schedule.cron, schedule.timezone, since, now, limit)
        if not due:
            return []
        if schedule.catch_up_policy == CatchUpPolicy.NONE and now - due[-1] > ON_TIME_GRACE:
            to_run, missed = [], len(due) + older
        else:
            to_run, missed = due, older
        handled = []
        for tick in to_run:
            try:
                with transaction.atomic():
                    handled.append(_act_on_tick(schedule, tick))
            except IntegrityError:
                log.info("schedule %s tick %s was already handled", schedule.pk, tick)
        schedule.last_tick_at = due[-1]
        schedule.missed_ticks += missed
        schedule.save(update_fields=["last_tick_at", "missed_ticks", "updated_at"])
        if missed:
            log.warning("schedule %s: %d tick(s) missed while down were not run (catch-up %s)",
                        schedule.pk, missed, schedule.catch_up_policy)
    return handled


def schedules_drain(*, now: datetime, workflow_id: int | None = None) -> int:
    """Start the oldest queued tick of every schedule (of ``workflow_id`` when given) whose
    previous run has finished."""
    started = 0
    queued = ScheduleTick.objects.filter(outcome=TickOutcome.QUEUED)
    if workflow_id is not None:
        queued = queued.filter(schedule__workflow_id=workflow_id)
    for schedule_id in set(queued.values_list("schedule_id", flat=True)):
        with transaction.atomic():
            schedule = (Schedule.objects.select_for_update(skip_locked=True).select_related("organization")
                        .filter(pk=schedule_id, enabled=True).first())
            if schedule is None or _has_active_run(schedule):
                continue
            tick = ScheduleTick.objects.filter(schedule=schedule, outcome=TickOutcome.QUEUED).order_by("tick_at").first()
            if tick is not None:
                _start(schedule, tick.tick_at, existing=tick)
                started += 1
    return started


def schedules_fire_due(*, now: datetime) -> int:
    """Fire every enabled schedule with a tick due since its last one. Run by the triggers
    sweep every few seconds, so a beat message that was lost, or a beat that was down,
    costs seconds rather than a missed tick; firing twice is harmless (see schedule_fire)."""
    handled = 0
    for schedule in Schedule.objects.filter(enabled=True).only("id", "cron", "timezone", "last_tick_at",
                                                               "created_at"):
        since = schedule.last_tick_at or schedule.created_at
        if cron.next_ticks(schedule.cron, schedule.timezone, since, 1)[0] <= now:
            handled += len(schedule_fire(schedule_id=schedule.pk, now=now))
    return handled
