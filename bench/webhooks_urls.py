"""The real URLs plus ``/bare/<id>/``: the same middleware, body read, 202, nothing else."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request, endpoint_id):
    request.body  # noqa: B018 - read the body as the real intake does
    return HttpResponse(b'{"ok": true}', status=202, content_type="application/json")


urlpatterns = [path("bare/<uuid:endpoint_id>/", bare), path("", include("config.urls"))]
