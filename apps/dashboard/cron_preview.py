"""What a cron expression means, for people: a sentence and the next run times."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cron_descriptor import ExpressionDescriptor, FormatException, Options
from django.utils import timezone
from django.utils.translation import get_language

from apps.triggers import cron

_LOCALES = {"ja": "ja_JP", "en": "en_US"}


@dataclass
class Preview:
    sentence: str = ""
    next_times: list[datetime] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


_DAYS_JA = ["日曜日", "月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日", "日曜日"]


def _list_ja(field: str, name) -> str | None:
    """``1-5`` -> 月曜日から金曜日, ``1,3`` -> 月曜日・水曜日; None for steps."""
    if "/" in field:
        return None
    parts = []
    for part in field.split(","):
        first, _sep, last = part.partition("-")
        parts.append(f"{name(int(first))}から{name(int(last))}" if last else name(int(first)))
    return "・".join(parts)


def japanese(expression: str) -> str | None:
    """A short Japanese sentence for the usual shapes of a five-field numeric cron, or None
    (cron-descriptor's Japanese leaves weekday and month names in English)."""
    minute, hour, dom, month, dow = expression.split()
    if minute.isdigit() and hour.isdigit():
        when = f"{int(hour):02d}:{int(minute):02d}"
    elif minute.startswith("*/") and hour == "*":
        return f"{minute[2:]} 分ごと" if (dom, month, dow) == ("*", "*", "*") else None
    elif minute.isdigit() and hour == "*":
        when = f"毎時 {int(minute)} 分"
    elif minute.isdigit() and hour.startswith("*/"):
        when = f"{hour[2:]} 時間ごと（{int(minute)} 分）"
    else:
        return None
    days = _list_ja(dow, lambda n: _DAYS_JA[n % 8]) if dow != "*" else None
    dates = _list_ja(dom, lambda n: f"{n} 日") if dom != "*" else None
    months = _list_ja(month, lambda n: f"{n}月") if month != "*" else None
    if (dow != "*" and days is None) or (dom != "*" and dates is None) or (month != "*" and months is None):
        return None
    if days and dates:
        return None  # cron runs on either; a sentence would read as both
    on = " ".join(x for x in [months, f"毎月 {dates}" if dates and not months else dates, days] if x)
    if not on:
        return f"毎日 {when}" if ":" in when else when
    return f"{on}の {when}"


def preview(expression: str, tz: str, *, count: int = 5) -> Preview:
    expression = " ".join((expression or "").split())
    problems = cron.cron_problems(expression, tz)
    if problems:
        return Preview(problems=[p.message for p in problems])
    language = (get_language() or "en")[:2]
    if language == "ja" and (sentence := japanese(expression)):
        return Preview(sentence=sentence, next_times=cron.next_ticks(expression, tz, timezone.now(), count))
    options = Options()
    options.locale_code = _LOCALES.get(language, "en_US")
    options.use_24hour_time_format = True
    try:
        sentence = ExpressionDescriptor(expression, options).get_description()
    except FormatException:
        sentence = expression
    return Preview(sentence=sentence, next_times=cron.next_ticks(expression, tz, timezone.now(), count))
