from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.runs import selectors, services

from ..errors import error_responses
from ..pagination import PAGE_PARAMS, NewestFirst, page_of
from ..serializers import ApprovalDecisionSerializer, ApprovalSerializer
from .base import ApiView

TAGS = ["approvals"]


class ApprovalFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[("pending", "pending"), ("all", "all")], required=False,
                                     default="pending")


class ApprovalListView(ApiView):
    @extend_schema(operation_id="approvals_list", summary="List approvals (pending by default)", tags=TAGS,
                   parameters=[*PAGE_PARAMS, ApprovalFilterSerializer],
                   responses={200: page_of(ApprovalSerializer), **error_responses(400)})
    def get(self, request):
        query = ApprovalFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        approvals = selectors.approval_list(actor=self.actor, pending_only=query.validated_data["status"] == "pending")
        return self.paginated(approvals, ApprovalSerializer, NewestFirst)


class ApprovalDetailView(ApiView):
    @extend_schema(operation_id="approvals_get", summary="Get an approval", tags=TAGS,
                   responses={200: ApprovalSerializer, **error_responses(404)})
    def get(self, request, approval_id: int):
        return Response(ApprovalSerializer(selectors.approval_get(actor=self.actor, approval_id=approval_id)).data)


class ApprovalDecisionView(ApiView):
    @extend_schema(operation_id="approvals_decide", summary="Approve or reject, optionally with edited arguments",
                   tags=TAGS, request=ApprovalDecisionSerializer,
                   responses={200: ApprovalSerializer, **error_responses(400, 403, 404, 409)})
    def post(self, request, approval_id: int):
        # Looked up before the body is validated: another organization's approval is a 404, never a 400.
        selectors.approval_get(actor=self.actor, approval_id=approval_id)
        data = ApprovalDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.approval_decide(actor=self.actor, approval_id=approval_id, **data.validated_data)
        return Response(ApprovalSerializer(selectors.approval_get(actor=self.actor, approval_id=approval_id)).data)
