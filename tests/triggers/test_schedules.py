"""Schedules with a clock the tests move: beat rows kept in sync, overlap and catch-up."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from apps.runs.models import Run, RunStatus
from apps.triggers.models import ScheduleTick
from apps.triggers.schedules import (
    schedule_create,
    schedule_delete,
    schedule_fire,
    schedule_update,
    schedules_drain,
    schedules_fire_due,
)
from tests.support import advance_until_paused

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


def hourly(actor, workflow, **kw):
    return schedule_create(actor=actor, workflow_id=workflow.pk, name=kw.pop("name", "hourly"),
                           cron_expression="0 * * * *", now=kw.pop("now", T0 - timedelta(minutes=30)), **kw)


def outcomes(schedule) -> list[tuple[str, str]]:
    return [(t.tick_at.strftime("%H:%M"), t.outcome) for t in ScheduleTick.objects.filter(schedule=schedule)
            .order_by("tick_at")]


def test_a_schedule_owns_a_beat_task_that_follows_its_changes(acme, trivial):
    schedule = schedule_create(actor=acme, workflow_id=trivial.pk, name="mornings", cron_expression="30 7 * * 1-5",
                               timezone="Europe/Paris")
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "triggers.schedule_fire" and json.loads(task.args) == [schedule.pk] and task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == \
        ("30", "7", "1-5", "Europe/Paris")

    schedule_update(actor=acme, schedule_id=schedule.pk, cron_expression="0 9 * * *", enabled=False)
    task.refresh_from_db()
    assert (task.crontab.minute, task.crontab.hour, task.enabled) == ("0", "9", False)

    schedule_delete(actor=acme, schedule_id=schedule.pk)
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


def test_a_bad_cron_or_time_zone_is_refused_with_its_field(acme, trivial):
    from apps.common.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        schedule_create(actor=acme, workflow_id=trivial.pk, name="x", cron_expression="0 0 * * * *",
                        timezone="Mars/Olympus")
    assert {p.path for p in refused.value.problems} == {"cron", "timezone"}


def test_an_on_time_tick_starts_one_run_that_records_the_tick(acme, trivial, no_workers):
    schedule = hourly(acme, trivial)

    fired = schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(seconds=2))
    assert [t.outcome for t in fired] == ["started"]
    run = Run.objects.get()
    assert run.trigger == "schedule" and run.trigger_ref == f"schedule:{schedule.pk}:2026-03-02T08:00:00+00:00"
    assert schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(seconds=3)) == [], "a tick fires once"
    assert Run.objects.count() == 1


def test_overlap_skip_drops_ticks_while_the_previous_run_is_unfinished(acme, trivial, no_workers):
    schedule = hourly(acme, trivial, overlap_policy="skip")
    schedule_fire(schedule_id=schedule.pk, now=T0)
    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=1))
    advance_until_paused(Run.objects.get())
    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=2))

    assert outcomes(schedule) == [("08:00", "started"), ("09:00", "skipped"), ("10:00", "started")]
    assert Run.objects.count() == 2


def test_overlap_queue_starts_the_waiting_tick_when_the_previous_run_finishes(acme, trivial, no_workers):
    schedule = hourly(acme, trivial, overlap_policy="queue")
    schedule_fire(schedule_id=schedule.pk, now=T0)
    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=1))
    assert outcomes(schedule) == [("08:00", "started"), ("09:00", "queued")]
    assert schedules_drain(now=T0 + timedelta(hours=1, minutes=5)) == 0, "the first run is still unfinished"

    advance_until_paused(Run.objects.get())
    assert schedules_drain(now=T0 + timedelta(hours=1, minutes=10)) == 1
    assert outcomes(schedule) == [("08:00", "started"), ("09:00", "started")]
    second = Run.objects.exclude(status=RunStatus.SUCCEEDED).get()
    assert second.trigger_ref.endswith("T09:00:00+00:00")


def test_overlap_allow_starts_every_tick(acme, trivial, no_workers):
    schedule = hourly(acme, trivial, overlap_policy="allow")
    schedule_fire(schedule_id=schedule.pk, now=T0)
    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=1))
    assert Run.objects.filter(status=RunStatus.QUEUED).count() == 2


def test_catch_up_none_runs_nothing_missed_while_down_and_resumes_on_the_next_tick(acme, trivial, no_workers):
    schedule = hourly(acme, trivial, catch_up_policy="none")
    # Down from 07:30 until 10:20: the 08:00, 09:00 and 10:00 ticks were missed.
    assert schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=2, minutes=20)) == []
    schedule.refresh_from_db()
    assert schedule.missed_ticks == 3 and not Run.objects.exists()

    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=3, seconds=5))
    assert outcomes(schedule) == [("11:00", "started")]


def test_catch_up_last_runs_only_the_most_recent_missed_tick(acme, trivial, no_workers):
    schedule = hourly(acme, trivial, catch_up_policy="last")
    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=2, minutes=20))

    assert outcomes(schedule) == [("10:00", "started")]
    schedule.refresh_from_db()
    assert schedule.missed_ticks == 2


def test_catch_up_all_runs_missed_ticks_up_to_the_limit_oldest_first(acme, trivial, no_workers):
    schedule = hourly(acme, trivial, catch_up_policy="all", catch_up_limit=3, overlap_policy="allow")
    # Down for five ticks (08:00 … 12:00).
    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=4, minutes=30))

    assert outcomes(schedule) == [("10:00", "started"), ("11:00", "started"), ("12:00", "started")]
    schedule.refresh_from_db()
    assert schedule.missed_ticks == 2
    refs = list(Run.objects.order_by("created_at").values_list("trigger_ref", flat=True))
    assert [r[-14:-9] for r in refs] == ["10:00", "11:00", "12:00"]


def test_catch_up_all_with_overlap_queue_runs_missed_ticks_one_after_another(acme, trivial, no_workers):
    schedule = hourly(acme, trivial, catch_up_policy="all", catch_up_limit=2, overlap_policy="queue")
    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=1, minutes=30))
    assert outcomes(schedule) == [("08:00", "started"), ("09:00", "queued")]


def test_a_re_enabled_schedule_does_not_catch_up_on_the_time_it_was_off(acme, trivial, no_workers):
    schedule = hourly(acme, trivial, catch_up_policy="all", overlap_policy="allow")
    schedule_update(actor=acme, schedule_id=schedule.pk, enabled=False, now=T0)
    schedule_update(actor=acme, schedule_id=schedule.pk, enabled=True, now=T0 + timedelta(hours=5, minutes=10))

    schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(hours=5, minutes=11))
    assert not Run.objects.exists()


def test_a_disabled_schedule_starts_nothing(acme, trivial, no_workers):
    schedule = hourly(acme, trivial, enabled=False)
    assert schedule_fire(schedule_id=schedule.pk, now=T0) == []


def test_a_schedule_in_a_time_zone_fires_at_local_time(acme, trivial, no_workers):
    schedule = schedule_create(actor=acme, workflow_id=trivial.pk, name="tokyo", cron_expression="0 9 * * *",
                               timezone="Asia/Tokyo", now=datetime(2026, 3, 1, 23, 0, tzinfo=UTC))
    # 09:00 in Tokyo is 00:00 UTC.
    assert schedule_fire(schedule_id=schedule.pk, now=datetime(2026, 3, 1, 23, 59, tzinfo=UTC)) == []
    fired = schedule_fire(schedule_id=schedule.pk, now=datetime(2026, 3, 2, 0, 0, 1, tzinfo=UTC))
    assert [t.tick_at for t in fired] == [datetime(2026, 3, 2, 0, 0, tzinfo=UTC)]


def test_the_sweep_fires_a_tick_whose_beat_message_was_lost(acme, trivial, no_workers):
    schedule = hourly(acme, trivial)
    assert schedules_fire_due(now=T0 - timedelta(seconds=1)) == 0
    assert schedules_fire_due(now=T0 + timedelta(seconds=5)) == 1
    assert schedules_fire_due(now=T0 + timedelta(seconds=10)) == 0, "beat arriving late finds it handled"
    assert schedule_fire(schedule_id=schedule.pk, now=T0 + timedelta(seconds=12)) == []
    assert Run.objects.count() == 1


def test_beats_database_scheduler_sees_the_schedule_as_its_cron_in_its_time_zone(acme, trivial):
    from django_celery_beat.schedulers import DatabaseScheduler

    from config.celery import app

    schedule = schedule_create(actor=acme, workflow_id=trivial.pk, name="weekday mornings",
                               cron_expression="30 7 * * 1-5", timezone="Europe/Paris")
    # The scheduler only loads crontab rows whose hour is near the current one, so the row
    # is turned into beat's entry directly, as the scheduler does when it is near.
    entry = DatabaseScheduler.Entry(PeriodicTask.objects.get(pk=schedule.periodic_task_id), app=app)
    assert entry.task == "triggers.schedule_fire" and list(entry.args) == [schedule.pk]
    crontab = entry.schedule
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ({30}, {7}, {1, 2, 3, 4, 5})
    assert str(crontab.tz) == "Europe/Paris"
