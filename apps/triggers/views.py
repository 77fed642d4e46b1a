"""``/hooks/<endpoint id>/``: a plain Django view (no DRF, no session, no CSRF) that reads
the raw body within the size limit and hands it to the intake service."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .addresses import client_address
from .intake import webhook_receive
from .schemes import InboundRequest


def _read_body(request: HttpRequest, limit: int) -> tuple[bytes, int | None]:
    """Read at most ``limit`` bytes. A larger body is dropped unread, and its declared
    size is returned as the second value (None when the body fits)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return b"", declared
    data = request.read(limit + 1)
    if len(data) > limit:
        return b"", max(declared, len(data))
    return data, None


def _headers(meta: dict) -> dict[str, str]:
    """The request's headers by lower-case name: what ``request.headers`` holds, read
    straight from the environ (building HttpHeaders costs more than this whole lookup)."""
    headers = {k[5:].replace("_", "-").lower(): v for k, v in meta.items() if k.startswith("HTTP_")}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if name in meta:
            headers[name.replace("_", "-").lower()] = meta[name]
    return headers


@csrf_exempt
@require_POST
def receive(request: HttpRequest, endpoint_id) -> HttpResponse:
    body, too_large_size = _read_body(request, settings.WEBHOOK_MAX_BODY_BYTES)
    inbound = InboundRequest(
        method=request.method or "POST", url=request.build_absolute_uri(),
        headers=_headers(request.META), body=body,
        remote_addr=client_address(request.META), query=dict(request.GET.items()) if request.META.get("QUERY_STRING") else {})
    result = webhook_receive(endpoint_id=endpoint_id, request=inbound, now=timezone.now(),
                             too_large_size=too_large_size)
    return HttpResponse(result.body, status=result.status, content_type=result.content_type)
