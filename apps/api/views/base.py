from __future__ import annotations

from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer

from apps.accounts.actors import Actor

from ..authentication import BearerTokenAuthentication
from ..errors import api_exception_handler
from ..schema import FarsideAutoSchema
from ..throttling import TokenRateThrottle


class ApiView(GenericAPIView):
    """Every API view: bearer token, per-token rate limit, one error body.

    Views stay thin: parse with a serializer, call one selector or service with
    ``self.actor``, render with a serializer. Organization scoping and role checks
    happen in the selectors and services, never here.
    """

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [TokenRateThrottle]
    pagination_class = None
    schema = FarsideAutoSchema()

    def get_exception_handler(self):
        return api_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Errors are JSON even from the YAML export and the artifact download.
        if isinstance(getattr(response, "data", None), dict) and "error" in response.data \
                and not isinstance(response.accepted_renderer, JSONRenderer):
            response.accepted_renderer, response.accepted_media_type = JSONRenderer(), "application/json"
        return response

    @property
    def actor(self) -> Actor:
        return self.request.auth.actor

    def paginated(self, queryset, serializer_class, paginator_class):
        paginator = paginator_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True, context={"request": self.request}).data)
