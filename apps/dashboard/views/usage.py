"""Usage: runs and tokens per workflow per day, the slowest and the most expensive runs."""

from __future__ import annotations

from django.utils import timezone

from .. import charts, selectors
from ..access import org_view
from ..pages import page

DAYS = 14


@org_view
def usage(request):
    rows = selectors.usage_by_day(actor=request.actor, days=DAYS)
    for row in rows:
        row["tokens"] = (row["prompt"] or 0) + (row["completion"] or 0)
    today = timezone.localdate()
    return page(request, "dashboard/usage.html", {
        "days": DAYS, "rows": rows,
        "runs_chart": charts.stacked(rows, value="runs", today=today, days=DAYS),
        "tokens_chart": charts.stacked(rows, value="tokens", today=today, days=DAYS),
        "slowest": selectors.slowest_runs(actor=request.actor),
        "expensive": selectors.most_expensive_runs(actor=request.actor),
    })
