"""Small filters the dashboard templates need; all output is escaped by the template."""

from __future__ import annotations

import json
from datetime import timedelta

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    """Indented JSON; a string that holds JSON (tool-call arguments often do) is shown parsed."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


@register.filter
def seconds(value) -> str:
    """``1.234`` -> ``1.23 s``; ``0.0123`` -> ``12 ms``; durations too."""
    if value is None or value == "":
        return "–"
    if isinstance(value, timedelta):
        value = value.total_seconds()
    value = float(value)
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.2f} s"
    minutes, secs = divmod(int(value), 60)
    return f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def tokens(value) -> str:
    """Thousands separated, as people read counts of tokens."""
    try:
        return f"{int(value or 0):,}"
    except (TypeError, ValueError):
        return "–"


_STATUS_LABELS = {
    "queued": _("Queued"), "running": _("Running"), "waiting_approval": _("Waiting for approval"),
    "succeeded": _("Succeeded"), "failed": _("Failed"), "cancelled": _("Cancelled"), "pending": _("Pending"),
    "approved": _("Approved"), "rejected": _("Rejected"),
}


@register.filter
def status_label(value) -> str:
    """A run's or an approval's status in the reader's language."""
    return _STATUS_LABELS.get(value, value)


# Other apps' choice labels are plain English; these are the ones the dashboard shows.
_CHOICE_LABELS = {
    "role": {"owner": _("Owner"), "admin": _("Admin"), "editor": _("Editor"), "approver": _("Approver"),
             "viewer": _("Viewer")},
    "trigger": {"dashboard": _("Dashboard"), "api": _("API"), "schedule": _("Schedule"), "webhook": _("Webhook"),
                "cli": _("Command line")},
    "overlap": {"skip": _("Skip the tick while the previous run is unfinished"),
                "queue": _("Start it after the previous run finishes"), "allow": _("Start it anyway")},
    "delivery": {"accepted": _("Accepted"), "rejected": _("Rejected"), "duplicate": _("Duplicate")},
    "tick": {"started": _("Started a run"), "skipped": _("Skipped (previous run unfinished)"),
             "queued": _("Queued behind the previous run"), "failed": _("Could not start a run")},
}


@register.filter
def label(value, kind: str) -> str:
    """``{{ membership.role|label:"role" }}``: a choice value in the reader's language."""
    return _CHOICE_LABELS.get(kind, {}).get(value, value)
