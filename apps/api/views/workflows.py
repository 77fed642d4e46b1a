from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.automations import selectors, services
from apps.common.errors import NotFound

from ..errors import error_responses
from ..pagination import PAGE_PARAMS, ByName, NewestFirst, page_of
from ..renderers import YamlRenderer
from ..serializers import (
    WorkflowCreateSerializer,
    WorkflowImportSerializer,
    WorkflowSerializer,
    WorkflowVersionCreateSerializer,
    WorkflowVersionSerializer,
    WorkflowVersionSummarySerializer,
)
from .base import ApiView

TAGS = ["workflows"]


class WorkflowListView(ApiView):
    @extend_schema(operation_id="workflows_list", summary="List workflows", tags=TAGS,
                   parameters=PAGE_PARAMS,
                   responses={200: page_of(WorkflowSerializer), **error_responses(400)})
    def get(self, request):
        return self.paginated(selectors.workflow_list(actor=self.actor), WorkflowSerializer, ByName)

    @extend_schema(operation_id="workflows_create", summary="Create a workflow", tags=TAGS,
                   request=WorkflowCreateSerializer,
                   responses={201: WorkflowSerializer, **error_responses(400, 403)})
    def post(self, request):
        data = WorkflowCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workflow = services.workflow_create(actor=self.actor, **data.validated_data)
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)


class WorkflowDetailView(ApiView):
    @extend_schema(operation_id="workflows_get", summary="Get a workflow", tags=TAGS,
                   responses={200: WorkflowSerializer, **error_responses(404)})
    def get(self, request, workflow_id: int):
        return Response(WorkflowSerializer(selectors.workflow_get(actor=self.actor, workflow_id=workflow_id)).data)

    @extend_schema(operation_id="workflows_delete", summary="Delete a workflow", tags=TAGS,
                   description="The workflow disappears from the API (404 from now on) and cannot be run; runs "
                               "already going finish normally, and past runs stay listed under `runs/`. Its "
                               "schedules are disabled, its notify hooks stop, and its webhook endpoints answer "
                               "410 Gone. Its name may be used again.",
                   responses={204: OpenApiResponse(description="Deleted."), **error_responses(403, 404)})
    def delete(self, request, workflow_id: int):
        services.workflow_delete(actor=self.actor, workflow_id=workflow_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkflowVersionListView(ApiView):
    @extend_schema(operation_id="workflows_versions_list", summary="List a workflow's versions", tags=TAGS,
                   parameters=PAGE_PARAMS,
                   responses={200: page_of(WorkflowVersionSummarySerializer), **error_responses(400, 404)})
    def get(self, request, workflow_id: int):
        workflow = selectors.workflow_get(actor=self.actor, workflow_id=workflow_id)
        return self.paginated(workflow.versions.all(), WorkflowVersionSummarySerializer, NewestFirst)

    @extend_schema(operation_id="workflows_update", summary="Update a workflow (adds a version)", tags=TAGS,
                   description="Saves the spec as a new immutable version and makes it current. Running runs keep "
                               "the version they started with. An unchanged spec returns the current version.",
                   request=WorkflowVersionCreateSerializer,
                   responses={201: WorkflowVersionSerializer, **error_responses(400, 403, 404)})
    def post(self, request, workflow_id: int):
        workflow = selectors.workflow_get(actor=self.actor, workflow_id=workflow_id)
        data = WorkflowVersionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.workflow_update_spec(actor=self.actor, workflow=workflow, **data.validated_data)
        return Response(WorkflowVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class WorkflowVersionDetailView(ApiView):
    @extend_schema(operation_id="workflows_versions_get", summary="Get one version with its spec", tags=TAGS,
                   responses={200: WorkflowVersionSerializer, **error_responses(404)})
    def get(self, request, workflow_id: int, number: int):
        workflow = selectors.workflow_get(actor=self.actor, workflow_id=workflow_id)
        version = workflow.versions.filter(number=number).first()
        if version is None:
            raise NotFound("workflow version not found")
        return Response(WorkflowVersionSerializer(version).data)


class WorkflowExportView(ApiView):
    renderer_classes = [YamlRenderer, JSONRenderer]

    @extend_schema(operation_id="workflows_export", summary="Export a workflow as YAML", tags=TAGS,
                   responses={(200, "application/yaml"): OpenApiResponse(OpenApiTypes.STR), **error_responses(404)})
    def get(self, request, workflow_id: int):
        workflow = selectors.workflow_get(actor=self.actor, workflow_id=workflow_id)
        return Response(services.workflow_export_yaml(workflow=workflow), content_type="application/yaml",
                        headers={"Content-Disposition": f'attachment; filename="workflow-{workflow.pk}.yaml"'})


class WorkflowImportView(ApiView):
    @extend_schema(operation_id="workflows_import", summary="Import a workflow from YAML", tags=TAGS,
                   description="Creates the workflow, or adds a version when one with that name exists.",
                   request=WorkflowImportSerializer,
                   responses={201: WorkflowSerializer, **error_responses(400, 403)})
    def post(self, request):
        data = WorkflowImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workflow = services.workflow_import_yaml(actor=self.actor, text=data.validated_data["yaml"],
                                                 name=data.validated_data.get("name"))
        workflow.refresh_from_db()
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)
