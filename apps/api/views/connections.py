from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.automations import selectors, services

from ..errors import error_responses
from ..pagination import PAGE_PARAMS, ByName, page_of
from ..serializers import ConnectionCreateSerializer, ConnectionRotateSerializer, ConnectionSerializer
from .base import ApiView

TAGS = ["connections"]


class ConnectionListView(ApiView):
    @extend_schema(operation_id="connections_list", summary="List connections", tags=TAGS,
                   parameters=PAGE_PARAMS,
                   responses={200: page_of(ConnectionSerializer), **error_responses(400)})
    def get(self, request):
        return self.paginated(selectors.connection_list(actor=self.actor), ConnectionSerializer, ByName)

    @extend_schema(operation_id="connections_create", summary="Create a connection", tags=TAGS,
                   description="Secrets are write-only: stored encrypted and never returned; the response lists "
                               "their names.",
                   request=ConnectionCreateSerializer,
                   responses={201: ConnectionSerializer, **error_responses(400, 403)})
    def post(self, request):
        data = ConnectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = services.connection_create(actor=self.actor, **data.validated_data)
        return Response(ConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)


class ConnectionDetailView(ApiView):
    @extend_schema(operation_id="connections_get", summary="Get a connection", tags=TAGS,
                   responses={200: ConnectionSerializer, **error_responses(404)})
    def get(self, request, connection_id: int):
        return Response(ConnectionSerializer(selectors.connection_get(actor=self.actor,
                                                                      connection_id=connection_id)).data)


class ConnectionTestView(ApiView):
    @extend_schema(operation_id="connections_test", summary="Test a connection", tags=TAGS, request=None,
                   description="`last_test_ok` is true when the remote system answered, false on an error, and "
                               "null when the connector type has no live check.",
                   responses={200: ConnectionSerializer, **error_responses(403, 404)})
    def post(self, request, connection_id: int):
        connection = services.connection_test(actor=self.actor, connection_id=connection_id)
        return Response(ConnectionSerializer(connection).data)


class ConnectionRotateView(ApiView):
    @extend_schema(operation_id="connections_rotate", summary="Replace a connection's secrets", tags=TAGS,
                   request=ConnectionRotateSerializer,
                   responses={200: ConnectionSerializer, **error_responses(400, 403, 404)})
    def post(self, request, connection_id: int):
        connection = selectors.connection_get(actor=self.actor, connection_id=connection_id)
        data = ConnectionRotateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = services.connection_rotate_secrets(actor=self.actor, connection=connection,
                                                        secrets=data.validated_data["secrets"])
        return Response(ConnectionSerializer(connection).data)
