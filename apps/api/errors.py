"""One error body for every API failure:

    {"error": {"code": "not_found", "message": "run not found", "problems": [{"path": "...", "message": "..."}]}}

``code`` is for programs, ``message`` for people; ``problems`` lists what was wrong with
the request, one entry per field, and is empty when nothing field-specific applies.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from apps.common import errors as service_errors
from apps.common.errors import error_body

log = logging.getLogger(__name__)

_SERVICE_STATUS = {
    service_errors.NotFound: status.HTTP_404_NOT_FOUND,
    service_errors.PermissionDenied: status.HTTP_403_FORBIDDEN,
    service_errors.InvalidInput: status.HTTP_400_BAD_REQUEST,
    service_errors.Conflict: status.HTTP_409_CONFLICT,
}

_DRF_CODES = {
    exceptions.ParseError: "malformed",
    exceptions.AuthenticationFailed: "unauthenticated",
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ValidationError: "invalid",
}


def _flatten(detail, path: str = "") -> list[dict]:
    """DRF's nested validation detail as a flat list of {path, message}."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            key = "" if key == "non_field_errors" else str(key)
            out += _flatten(value, f"{path}.{key}".strip(".") if key else path)
        return out
    if isinstance(detail, list):
        if all(not isinstance(d, (dict, list)) for d in detail):
            return [{"path": path, "message": str(d)} for d in detail]
        out = []
        for i, value in enumerate(detail):
            out += _flatten(value, f"{path}[{i}]")
        return out
    return [{"path": path, "message": str(detail)}]


def api_exception_handler(exc, context):
    if isinstance(exc, service_errors.ServiceError):
        code = status.HTTP_400_BAD_REQUEST
        for cls, mapped in _SERVICE_STATUS.items():
            if isinstance(exc, cls):
                code = mapped
        problems = [{"path": p.path, "message": p.message} for p in exc.problems]
        return Response(error_body(exc.code, exc.message, problems), status=code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django log it and answer 500
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    headers = {}
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        headers["WWW-Authenticate"] = getattr(exc, "auth_header", None) or 'Bearer realm="api"'
        exc.status_code = status.HTTP_401_UNAUTHORIZED
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        message, problems = "the request is invalid", _flatten(exc.detail)
    else:
        message, problems = str(exc.detail), []
    return Response(error_body(code, message, problems), status=exc.status_code, headers=headers)


class ProblemSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Where in the request: a dotted path, empty for the whole request.")
    message = serializers.CharField()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable: invalid, malformed, unauthenticated, permission_denied, "
                                           "not_found, conflict, rate_limited, method_not_allowed, …")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    problems = ProblemSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_DESCRIPTIONS = {
    400: "The request is invalid; `problems` says where.",
    401: "No valid bearer token (missing, unknown, revoked or expired).",
    403: "The token's role does not allow this action.",
    404: "No such object in the token's organization.",
    409: "The request conflicts with the object's current state.",
    413: "The request body is too large.",
    429: "Too many requests for this token; retry after `Retry-After` seconds.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Documented error responses; 401 and 429 apply to every authenticated endpoint."""
    wanted = sorted({401, 429, *codes})
    return {c: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[c]) for c in wanted}
