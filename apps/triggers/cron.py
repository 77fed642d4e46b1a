"""Cron expressions: validation, and the ticks between two instants in a time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from apps.common.errors import Problem

# Numeric five-field cron only: the same text must mean the same thing to croniter (which
# computes our ticks) and to celery's crontab (which wakes beat).
_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def cron_problems(expression: str, timezone: str) -> list[Problem]:
    problems = []
    fields = (expression or "").split()
    if len(fields) != 5 or not all(_FIELD.match(f) for f in fields) or not croniter.is_valid(" ".join(fields)):
        problems.append(Problem("cron", "expected five numeric fields: minute hour day-of-month month "
                                        "day-of-week, e.g. '0 8 * * 1-5'"))
    try:
        ZoneInfo(timezone or "")
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem("timezone", f"unknown time zone {timezone!r}; use an IANA name like Europe/Paris"))
    return problems


def fields(expression: str) -> dict[str, str]:
    minute, hour, day_of_month, month_of_year, day_of_week = expression.split()
    return {"minute": minute, "hour": hour, "day_of_month": day_of_month, "month_of_year": month_of_year,
            "day_of_week": day_of_week}


def next_ticks(expression: str, timezone: str, after: datetime, count: int = 5) -> list[datetime]:
    it = croniter(expression, after.astimezone(ZoneInfo(timezone)))
    return [it.get_next(datetime).astimezone(UTC) for _ in range(count)]


def due_ticks(expression: str, timezone: str, since: datetime, now: datetime, limit: int) -> tuple[list[datetime], int]:
    """The latest ``limit`` ticks in (since, now], oldest first, and how many older ones
    were left out (counted up to 100 000, which is enough to say "a lot")."""
    # croniter's get_prev from an instant that is itself a tick skips it; start just past now.
    it = croniter(expression, (now + timedelta(microseconds=1)).astimezone(ZoneInfo(timezone)))
    newest_first: list[datetime] = []
    left_out = 0
    while True:
        tick = it.get_prev(datetime).astimezone(UTC)
        if tick <= since:
            break
        if len(newest_first) < limit:
            newest_first.append(tick)
        else:
            left_out += 1
            if left_out >= 100_000:
                break
    return list(reversed(newest_first)), left_out
