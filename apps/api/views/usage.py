from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.runs.selectors import run_list

from ..errors import error_responses
from .base import ApiView

_TOTALS = ("model_calls", "tool_calls", "prompt_tokens", "cached_tokens", "completion_tokens", "model_seconds")


class UsageQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="Default: 30 days ago.")
    until = serializers.DateTimeField(required=False, help_text="Default: now.")


class UsageTotalsSerializer(serializers.Serializer):
    runs = serializers.IntegerField()
    model_calls = serializers.IntegerField()
    tool_calls = serializers.IntegerField()
    prompt_tokens = serializers.IntegerField()
    cached_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    model_seconds = serializers.FloatField()


class UsageWorkflowSerializer(UsageTotalsSerializer):
    workflow = serializers.IntegerField()
    workflow_name = serializers.CharField()


class UsageSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    totals = UsageTotalsSerializer()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_workflow = UsageWorkflowSerializer(many=True)


class UsageView(ApiView):
    @extend_schema(operation_id="usage", summary="Runs and model usage over a period", tags=["usage"],
                   parameters=[UsageQuerySerializer], responses={200: UsageSerializer, **error_responses(400)})
    def get(self, request):
        query = UsageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        until = query.validated_data.get("until") or timezone.now()
        since = query.validated_data.get("since") or until - timedelta(days=30)
        runs = run_list(actor=self.actor).filter(created_at__gte=since, created_at__lt=until).order_by()
        sums = {f: Sum(f) for f in _TOTALS}
        # Sum over no rows is NULL: the API says 0.
        totals = {k: v or 0 for k, v in runs.aggregate(runs=Count("pk"), **sums).items()}
        by_status = dict(runs.values_list("status").annotate(n=Count("pk")))
        by_workflow = [
            {"workflow": row.pop("workflow_id"), "workflow_name": row.pop("workflow__name"),
             **{k: v or 0 for k, v in row.items()}}
            for row in runs.values("workflow_id", "workflow__name").annotate(runs=Count("pk"), **sums)
            .order_by("workflow__name")
        ]
        return Response(UsageSerializer({"since": since, "until": until, "totals": totals, "by_status": by_status,
                                         "by_workflow": by_workflow}).data)
