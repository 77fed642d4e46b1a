from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from ..errors import error_responses
from ..pagination import PAGE_PARAMS, NewestFirst, page_of
from ..selectors import api_token_list
from ..serializers import ApiTokenCreatedSerializer, ApiTokenCreateSerializer, ApiTokenSerializer, MeSerializer
from ..services import api_token_create, api_token_revoke
from .base import ApiView


class MeView(ApiView):
    @extend_schema(operation_id="me", summary="Who this token acts as", tags=["tokens"],
                   responses={200: MeSerializer, **error_responses()})
    def get(self, request):
        actor = self.actor
        return Response(MeSerializer({"organization": actor.organization, "role": actor.role,
                                      "user": request.user.get_username()}).data)


class TokenListView(ApiView):
    @extend_schema(operation_id="tokens_list", summary="List API tokens", tags=["tokens"],
                   description="Your own tokens; owners and admins see every token in the organization.",
                   parameters=PAGE_PARAMS,
                   responses={200: page_of(ApiTokenSerializer), **error_responses(400)})
    def get(self, request):
        return self.paginated(api_token_list(actor=self.actor), ApiTokenSerializer, NewestFirst)

    @extend_schema(operation_id="tokens_create", summary="Create an API token", tags=["tokens"],
                   description="The token is in the response once and never again.",
                   request=ApiTokenCreateSerializer,
                   responses={201: ApiTokenCreatedSerializer, **error_responses(400)})
    def post(self, request):
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row, token = api_token_create(actor=self.actor, **data.validated_data)
        row.token = token
        return Response(ApiTokenCreatedSerializer(row).data, status=status.HTTP_201_CREATED)


class TokenDetailView(ApiView):
    @extend_schema(operation_id="tokens_revoke", summary="Revoke an API token", tags=["tokens"],
                   responses={200: ApiTokenSerializer, **error_responses(404, 409)})
    def delete(self, request, token_id: int):
        return Response(ApiTokenSerializer(api_token_revoke(actor=self.actor, token_id=token_id)).data)
