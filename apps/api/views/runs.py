from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from apps.common.errors import Conflict, InvalidInput, Problem
from apps.runs import selectors, services
from apps.runs.models import FINISHED, RunStatus, TriggerKind

from ..errors import error_responses
from ..pagination import PAGE_PARAMS, NewestFirst, page_of
from ..renderers import BinaryRenderer
from ..serializers import ArtifactSerializer, RunCreateSerializer, RunEventPageSerializer, RunSerializer
from .base import ApiView

TAGS = ["runs"]
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Repeat a request with the same key (up to 200 characters) to get the run it started "
                "instead of a second run. Reusing a key for different workflow or inputs is a 409.")


class RunFilterSerializer(serializers.Serializer):
    workflow = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(choices=RunStatus.choices, required=False)
    trigger = serializers.ChoiceField(choices=TriggerKind.choices, required=False)


class RunListView(ApiView):
    @extend_schema(operation_id="runs_list", summary="List runs, newest first", tags=TAGS,
                   parameters=[*PAGE_PARAMS, RunFilterSerializer],
                   responses={200: page_of(RunSerializer), **error_responses(400)})
    def get(self, request):
        filters = RunFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        runs = selectors.run_list(actor=self.actor, workflow_id=f.get("workflow"), status=f.get("status"),
                                  trigger=f.get("trigger"))
        return self.paginated(runs, RunSerializer, NewestFirst)

    @extend_schema(operation_id="runs_create", summary="Start a run", tags=TAGS,
                   parameters=[IDEMPOTENCY_HEADER], request=RunCreateSerializer,
                   responses={201: RunSerializer,
                              200: OpenApiResponse(RunSerializer, description="The run this Idempotency-Key started."),
                              **error_responses(400, 403, 404, 409)})
    def post(self, request):
        data = RunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workflow_id, inputs = data.validated_data["workflow"], data.validated_data["inputs"]
        key = (request.headers.get("Idempotency-Key") or "").strip() or None
        if key is not None and len(key) > 200:
            raise InvalidInput("run not started", [Problem("Idempotency-Key", "must be at most 200 characters")])
        started = timezone.now()
        run = services.run_create(actor=self.actor, workflow_id=workflow_id, inputs=inputs,
                                  trigger=TriggerKind.API, trigger_ref=f"token:{request.auth.prefix}",
                                  idempotency_key=key)
        replayed = key is not None and run.created_at < started
        if replayed and (run.workflow_id != workflow_id or run.inputs != inputs):
            raise Conflict("this Idempotency-Key was already used for a different request",
                           [Problem("Idempotency-Key", f"it started run {run.pk}")])
        run = selectors.run_get(actor=self.actor, run_id=run.pk)
        return Response(RunSerializer(run).data, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)


class RunDetailView(ApiView):
    @extend_schema(operation_id="runs_get", summary="Get a run", tags=TAGS,
                   responses={200: RunSerializer, **error_responses(404)})
    def get(self, request, run_id):
        return Response(RunSerializer(selectors.run_get(actor=self.actor, run_id=run_id)).data)


class RunCancelView(ApiView):
    @extend_schema(operation_id="runs_cancel", summary="Cancel a run", tags=TAGS, request=None,
                   description="Immediate for a queued run or one waiting for approval; a running run stops at "
                               "its next step.",
                   responses={200: RunSerializer, **error_responses(403, 404, 409)})
    def post(self, request, run_id):
        services.run_cancel(actor=self.actor, run_id=run_id)
        return Response(RunSerializer(selectors.run_get(actor=self.actor, run_id=run_id)).data)


class EventQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(required=False, default=0, min_value=0, max_value=2**31 - 1,
                                     help_text="Return events with a sequence number above this one.")
    limit = serializers.IntegerField(required=False, default=500, min_value=1, max_value=1000)


class RunEventsView(ApiView):
    @extend_schema(operation_id="runs_events", summary="Read a run's events incrementally", tags=TAGS,
                   description="Events in order. Poll with `after=<next_after>` to get only new ones.",
                   parameters=[EventQuerySerializer],
                   responses={200: RunEventPageSerializer, **error_responses(400, 404)})
    def get(self, request, run_id):
        query = EventQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        run = selectors.run_get(actor=self.actor, run_id=run_id)
        events = selectors.run_events(run=run, after_seq=after, limit=limit)
        next_after = events[-1].seq if events else after
        return Response(RunEventPageSerializer({"results": events, "next_after": next_after,
                                                "finished": run.status in FINISHED}).data)


class RunArtifactsView(ApiView):
    @extend_schema(operation_id="runs_artifacts", summary="List a run's artifacts", tags=TAGS,
                   responses={200: ArtifactSerializer(many=True), **error_responses(404)})
    def get(self, request, run_id):
        run = selectors.run_get(actor=self.actor, run_id=run_id)
        return Response(ArtifactSerializer(run.artifacts.defer("content"), many=True).data)


class ArtifactDownloadView(ApiView):
    renderer_classes = [BinaryRenderer]

    @extend_schema(operation_id="artifacts_download", summary="Download an artifact", tags=TAGS,
                   responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY), **error_responses(404)})
    def get(self, request, artifact_id):
        artifact = selectors.artifact_get(actor=self.actor, artifact_id=artifact_id)
        response = HttpResponse(bytes(artifact.content), content_type=artifact.media_type)
        safe_name = artifact.name.replace('"', "").replace("\n", " ")[:200]
        response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
