"""Request and response shapes of the API. No business logic: services validate."""

from __future__ import annotations

from rest_framework import serializers

from apps.accounts.models import Role
from apps.automations.models import Connection, Workflow, WorkflowVersion
from apps.runs.models import Approval, ApprovalStatus, Artifact, Run, RunEvent, RunStatus, TriggerKind

from .models import ApiToken


def _refuse_nul(value, path: str = "") -> None:
    """PostgreSQL cannot store U+0000 in text or JSON; say so instead of failing on write."""
    if isinstance(value, str):
        if "\x00" in value:
            raise serializers.ValidationError(f"{path or 'value'}: the NUL character is not allowed")
    elif isinstance(value, dict):
        for k, v in value.items():
            _refuse_nul(k, path)
            _refuse_nul(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _refuse_nul(v, f"{path}[{i}]")


class _RefusesNul:
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        _refuse_nul(value)
        return value


class SafeJSONField(_RefusesNul, serializers.JSONField):
    pass


class SafeDictField(_RefusesNul, serializers.DictField):
    pass


class OrganizationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class MeSerializer(serializers.Serializer):
    organization = OrganizationSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    user = serializers.CharField()


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "role", "prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    role = serializers.ChoiceField(choices=Role.choices, required=False,
                                   help_text="At most the creating user's own role; defaults to it.")
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now. Only a digest is kept.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class WorkflowVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkflowVersion
        fields = ["id", "number", "checksum", "note", "created_at"]


class WorkflowVersionSerializer(WorkflowVersionSummarySerializer):
    class Meta(WorkflowVersionSummarySerializer.Meta):
        fields = [*WorkflowVersionSummarySerializer.Meta.fields, "spec"]


class WorkflowSerializer(serializers.ModelSerializer):
    current_version = WorkflowVersionSummarySerializer(read_only=True)

    class Meta:
        model = Workflow
        fields = ["id", "name", "description", "template", "current_version", "created_at", "updated_at"]


class WorkflowCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    spec = SafeJSONField(help_text="The workflow spec (see the workflow spec language).")


class WorkflowVersionCreateSerializer(serializers.Serializer):
    spec = SafeJSONField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class WorkflowImportSerializer(serializers.Serializer):
    yaml = serializers.CharField(help_text="A workflow exported as YAML.")
    name = serializers.CharField(required=False, max_length=200,
                                 help_text="Overrides the name in the file; an existing name gets a new version.")


class RunSerializer(serializers.ModelSerializer):
    workflow = serializers.PrimaryKeyRelatedField(read_only=True)
    workflow_name = serializers.CharField(source="workflow.name", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    status = serializers.ChoiceField(choices=RunStatus.choices, read_only=True)
    trigger = serializers.ChoiceField(choices=TriggerKind.choices, read_only=True)

    class Meta:
        model = Run
        fields = ["id", "workflow", "workflow_name", "version", "status", "trigger", "trigger_ref", "inputs",
                  "outputs", "error", "error_code", "idempotency_key", "cancel_requested", "attempts",
                  "model_calls", "tool_calls", "prompt_tokens", "cached_tokens", "completion_tokens",
                  "model_seconds", "created_at", "started_at", "finished_at"]


class RunCreateSerializer(serializers.Serializer):
    workflow = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The workflow's id.")
    inputs = SafeDictField(required=False, default=dict,
                           help_text="Values for the workflow's declared inputs.")


class RunEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunEvent
        fields = ["seq", "kind", "node_id", "payload", "created_at"]


class RunEventPageSerializer(serializers.Serializer):
    results = RunEventSerializer(many=True)
    next_after = serializers.IntegerField(help_text="Pass as `after` to read only newer events.")
    finished = serializers.BooleanField(help_text="The run has finished; no events will follow.")


class ArtifactSerializer(serializers.ModelSerializer):
    run = serializers.UUIDField(source="run_id", read_only=True, allow_null=True)

    class Meta:
        model = Artifact
        fields = ["id", "run", "node_id", "name", "media_type", "size", "created_at"]


class ApprovalSerializer(serializers.ModelSerializer):
    run = serializers.UUIDField(source="run_id", read_only=True)
    workflow_name = serializers.CharField(source="run.workflow.name", read_only=True)
    status = serializers.ChoiceField(choices=ApprovalStatus.choices, read_only=True)

    class Meta:
        model = Approval
        fields = ["id", "run", "workflow_name", "node_id", "title", "tool", "requested", "required_approvers",
                  "approved_by", "status", "edited_arguments", "reason", "created_at", "decided_at"]


class ApprovalDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    arguments = SafeDictField(required=False, allow_null=True, default=None,
                              help_text="Edited arguments for the tool call; omit to keep the requested ones.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ConnectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Connection
        fields = ["id", "name", "connector_type", "settings", "secret_names", "last_tested_at", "last_test_ok",
                  "last_test_message", "created_at", "updated_at"]


class ConnectionCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    connector_type = serializers.CharField(max_length=32)
    settings = SafeDictField(required=False, default=dict)
    secrets = SafeDictField(child=serializers.CharField(allow_blank=True), required=False, default=dict,
                            write_only=True, help_text="Write-only: stored encrypted, never returned.")


class ConnectionRotateSerializer(serializers.Serializer):
    secrets = SafeDictField(child=serializers.CharField(allow_blank=True), write_only=True)
