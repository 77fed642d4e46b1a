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


def preview(expression: str, tz: str, *, count: int = 5) -> Preview:
    expression = " ".join((expression or "").split())
    problems = cron.cron_problems(expression, tz)
    if problems:
        return Preview(problems=[p.message for p in problems])
    options = Options()
    options.locale_code = _LOCALES.get((get_language() or "en")[:2], "en_US")
    options.use_24hour_time_format = True
    try:
        sentence = ExpressionDescriptor(expression, options).get_description()
    except FormatException:
        sentence = expression
    return Preview(sentence=sentence, next_times=cron.next_ticks(expression, tz, timezone.now(), count))
