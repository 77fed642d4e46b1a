"""Runs: the list, a run's live page, its timeline in chunks, cancelling, artifacts.

The live page polls one element at the end of the timeline (the "tail"). Each answer is
the same partial the full page renders: the events after the tail's sequence number, the
run's header out of band, and a new tail. Nothing new answers 204 (no bytes, no swap); a
finished run answers 286, which tells htmx to stop polling.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import nh3
from markdown import markdown

from apps.common.errors import Conflict
from apps.runs.models import RunStatus
from apps.runs import selectors as run_selectors
from apps.runs.selectors import artifact_get, run_get
from apps.runs.services import run_cancel

from .. import selectors
from ..access import org_view
from ..graph import layout
from ..pages import page, permissions

# Events per piece of timeline: the page opens with this many, scrolling loads the next.
CHUNK = 100
STOP_POLLING = 286
# A run cancelled before any worker touched it writes no final event; stop waiting for one.
FINAL_EVENT_GRACE = timedelta(seconds=5)


@org_view
def run_list(request):
    status = request.GET.get("status") or None
    if status not in RunStatus.values:
        status = None
    workflow_id = request.GET.get("workflow")
    workflow_id = int(workflow_id) if workflow_id and workflow_id.isdigit() else None
    runs, cursor = selectors.run_page(actor=request.actor, workflow_id=workflow_id, status=status,
                                      before=_parse_cursor(request.GET.get("before", "")))
    return page(request, "dashboard/runs/list.html", {
        "runs": runs, "cursor": f"{cursor[0].isoformat()}_{cursor[1]}" if cursor else "", "status": status or "",
        "workflow_id": workflow_id or "", "statuses": RunStatus.choices})


def _after(request) -> int:
    try:
        return max(0, int(request.GET.get("after", "0")))
    except ValueError:
        return 0


def _parse_cursor(value: str):
    """``<created_at ISO>_<run id>`` (or a bare timestamp) -> (datetime, id); junk is page one."""
    stamp, _sep, run_id = value.partition("_")
    try:
        return datetime.fromisoformat(stamp), (str(uuid.UUID(run_id)) if run_id else None)
    except ValueError:
        return None


def _tail_context(run, events, *, after: int, query: str) -> dict:
    last_seq = events[-1].seq if events else after
    backlog = len(events) == CHUNK
    finished = run.is_finished and not backlog and (
        (events and events[-1].kind == "run.finished") or _final_event_written(run, last_seq)
        or (run.finished_at and timezone.now() - run.finished_at > FINAL_EVENT_GRACE))
    return {"run": run, "events": events, "last_seq": last_seq, "backlog": backlog,
            "live": not finished and not backlog and not query, "query": query}


def _final_event_written(run, last_seq: int) -> bool:
    return run.events.filter(kind="run.finished", seq__lte=last_seq).exists() if last_seq else False


@org_view
def run_detail(request, run_id):
    run = run_get(actor=request.actor, run_id=run_id)
    query = request.GET.get("q", "").strip()[:200]
    after = _after(request)  # without JS, "show more" opens the page from a later event
    events = run_selectors.run_events(run=run, after_seq=after, limit=CHUNK, query=query)
    states = selectors.run_node_states(run=run)
    context = _tail_context(run, events, after=after, query=query)
    context.update({"picture": layout(run.version.spec, states), "artifacts": _artifact_views(run),
                    "approvals": list(run.approvals.filter(status="pending"))})
    return page(request, "dashboard/runs/detail.html", context)


@org_view
def run_events(request, run_id):
    """The tail: events after ``after``; polled while the run is live, clicked for a backlog."""
    run = run_get(actor=request.actor, run_id=run_id)
    after = _after(request)
    query = request.GET.get("q", "").strip()[:200]
    events = run_selectors.run_events(run=run, after_seq=after, limit=CHUNK, query=query)
    context = _tail_context(run, events, after=after, query=query)
    polled = request.GET.get("poll") == "1"
    if polled and not events and request.GET.get("status") == run.status and context["live"]:
        return HttpResponse(status=204)
    context["oob"] = True
    context["may"] = permissions(request.actor)
    # Live news may move the graph or add a result; an older chunk (show more) changes neither.
    if polled and any(event.kind.startswith("node.") for event in events):
        context["picture"] = layout(run.version.spec, selectors.run_node_states(run=run))
    if polled and any(event.kind == "artifact.created" for event in events):
        context["artifacts"] = _artifact_views(run)
    response = render(request, "dashboard/runs/_chunk.html", context)
    if polled and not context["live"]:
        response.status_code = STOP_POLLING
    return response


@org_view
@require_POST
def cancel(request, run_id):
    try:
        run_cancel(actor=request.actor, run_id=run_id)
        messages.info(request, _("Cancellation requested; the run stops at its next step."))
    except Conflict as exc:
        messages.warning(request, exc.message)
    return redirect("dashboard:run_detail", run_id=run_id)


_SHOWN = {"text/html": "html", "text/markdown": "markdown", "text/csv": "csv", "application/pdf": "pdf",
          "image/png": "image", "image/svg+xml": "image"}


def _artifact_views(run) -> list[dict]:
    """The results a person reads (reports, charts, tables), each with how it is shown in
    place. Working files of the engine (JSON pages, transcripts) stay on the timeline."""
    shown = [{"artifact": a, "kind": _SHOWN[a.media_type.split(";")[0]]}
             for a in selectors.run_artifacts(run=run) if a.media_type.split(";")[0] in _SHOWN]
    # A chart saved as PNG and SVG is one picture: keep the SVG. Charts already inside an
    # HTML report are not shown twice.
    has_report = any(v["kind"] == "html" for v in shown)
    svg_stems = {v["artifact"].name.rsplit(".", 1)[0] for v in shown if v["artifact"].media_type == "image/svg+xml"}
    return [v for v in shown if v["kind"] != "image" or not has_report and not (
        v["artifact"].media_type == "image/png" and v["artifact"].name.rsplit(".", 1)[0] in svg_stems)]


@org_view
def artifact(request, artifact_id):
    """The artifact itself. HTML is served sandboxed: a report's content cannot run script
    or reach the dashboard, even though nh3 already cleaned it."""
    item = artifact_get(actor=request.actor, artifact_id=artifact_id)
    content = bytes(item.content)
    response = HttpResponse(content, content_type=item.media_type)
    if request.GET.get("download") or item.media_type == "application/pdf":
        response["Content-Disposition"] = f'attachment; filename="{_safe_name(item.name)}"'
    if item.media_type.startswith(("text/html", "image/svg")):
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _safe_name(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._- ") or "artifact"


@org_view
def artifact_preview(request, artifact_id):
    """Markdown and CSV shown as HTML in the page (escaped, sanitised), loaded on demand."""
    item = artifact_get(actor=request.actor, artifact_id=artifact_id)
    text = bytes(item.content[:1_000_000]).decode("utf-8", errors="replace")
    context = {"artifact": item}
    if item.media_type.startswith("text/markdown"):
        context["html"] = nh3.clean(markdown(text, extensions=["tables"]))
    elif item.media_type.startswith("text/csv"):
        rows = list(csv.reader(io.StringIO(text)))
        context.update({"header": rows[0] if rows else [], "rows": rows[1:101], "more": max(0, len(rows) - 101)})
    else:
        context["text"] = text[:20000]
    return render(request, "dashboard/runs/_artifact_preview.html", context)
