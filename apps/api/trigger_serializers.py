"""Shapes of schedules, webhook endpoints, deliveries and notify hooks in the API."""

from __future__ import annotations

import base64

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.triggers import cron
from apps.triggers.models import (
    CatchUpPolicy,
    DeliveryOutcome,
    NotifyHook,
    OverlapPolicy,
    Schedule,
    ScheduleTick,
    TickOutcome,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookScheme,
    WebhookSource,
)

from .serializers import SafeDictField


class ScheduleSerializer(serializers.ModelSerializer):
    overlap_policy = serializers.ChoiceField(choices=OverlapPolicy.choices)
    catch_up_policy = serializers.ChoiceField(choices=CatchUpPolicy.choices)
    next_runs = serializers.SerializerMethodField(help_text="The next five tick times (UTC), when enabled.")

    class Meta:
        model = Schedule
        fields = ["id", "name", "workflow", "cron", "timezone", "inputs", "enabled", "overlap_policy",
                  "catch_up_policy", "catch_up_limit", "last_tick_at", "missed_ticks", "next_runs", "created_at",
                  "updated_at"]

    def get_next_runs(self, schedule) -> list[str]:
        if not schedule.enabled:
            return []
        return [t.isoformat() for t in cron.next_ticks(schedule.cron, schedule.timezone, timezone.now())]


class ScheduleWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    workflow = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    cron = serializers.CharField(max_length=120, help_text="Five numeric fields, e.g. `0 8 * * 1-5`.")
    timezone = serializers.CharField(max_length=64, required=False, default="UTC")
    inputs = SafeDictField(required=False, default=dict)
    enabled = serializers.BooleanField(required=False, default=True)
    overlap_policy = serializers.ChoiceField(choices=OverlapPolicy.choices, required=False, default="skip")
    catch_up_policy = serializers.ChoiceField(choices=CatchUpPolicy.choices, required=False, default="none")
    catch_up_limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=1000)


class ScheduleUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    cron = serializers.CharField(max_length=120, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    inputs = SafeDictField(required=False)
    enabled = serializers.BooleanField(required=False)
    overlap_policy = serializers.ChoiceField(choices=OverlapPolicy.choices, required=False)
    catch_up_policy = serializers.ChoiceField(choices=CatchUpPolicy.choices, required=False)
    catch_up_limit = serializers.IntegerField(required=False, min_value=1, max_value=1000)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    source = serializers.ChoiceField(choices=WebhookSource.choices)
    scheme = serializers.ChoiceField(choices=WebhookScheme.choices)
    url = serializers.SerializerMethodField(help_text="Where the source must send its requests.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "workflow", "source", "scheme", "settings", "input_mapping", "static_inputs",
                  "enabled", "created_at", "updated_at"]

    def get_url(self, endpoint) -> str:
        path = f"/hooks/{endpoint.pk}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown once: configure it at the source now.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointCreateSerializer(serializers.Serializer):
    workflow = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    source = serializers.ChoiceField(choices=WebhookSource.choices)
    scheme = serializers.ChoiceField(choices=WebhookScheme.choices)
    secret = serializers.CharField(required=False, write_only=True, max_length=500,
                                   help_text="The secret the source signs with; generated when omitted.")
    settings = SafeDictField(required=False, default=dict)
    input_mapping = SafeDictField(child=serializers.CharField(allow_blank=True, max_length=500), required=False,
                                  default=dict, help_text="Workflow input name → JSON pointer into the payload.")
    static_inputs = SafeDictField(required=False, default=dict)


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    settings = SafeDictField(required=False)
    input_mapping = SafeDictField(child=serializers.CharField(allow_blank=True, max_length=500), required=False)
    static_inputs = SafeDictField(required=False)
    enabled = serializers.BooleanField(required=False)


class SecretRotateSerializer(serializers.Serializer):
    secret = serializers.CharField(required=False, write_only=True, max_length=500)
    keep_previous = serializers.BooleanField(required=False, default=True,
                                             help_text="Keep accepting the old secret until the next rotation.")


class WebhookEventSerializer(serializers.ModelSerializer):
    run = serializers.UUIDField(source="run_id", allow_null=True, read_only=True)

    class Meta:
        model = WebhookEvent
        fields = ["event_id", "run", "error_code", "error"]


PRUNED_HELP = ("When retention removed this delivery's body and headers (WEBHOOK_RETENTION_DAYS after it "
               "arrived); null while they are kept. Once set, `headers` (and, for one delivery, `body` and "
               "`body_base64`) are null: the content was pruned, not empty. `body_size`, the outcome and the "
               "events stay.")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    outcome = serializers.ChoiceField(choices=DeliveryOutcome.choices)
    headers = serializers.SerializerMethodField(
        help_text="The request headers kept for debugging; null once pruned (see `pruned_at`).")
    pruned_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text=PRUNED_HELP)
    events = WebhookEventSerializer(many=True, read_only=True,
                                    help_text="Events this delivery added (none when rejected or a duplicate).")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "received_at", "remote_addr", "headers", "body_size", "verified", "outcome", "status_code",
                  "error_code", "error", "pruned_at", "events"]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}, "nullable": True})
    def get_headers(self, delivery) -> dict[str, str] | None:
        # Null, not {}: a pruned delivery's headers were removed, a request without kept headers had none.
        return None if delivery.pruned_at is not None else delivery.headers


class NotifyHookSerializer(serializers.ModelSerializer):
    class Meta:
        model = NotifyHook
        fields = ["id", "workflow", "url", "enabled", "created_at"]


class NotifyHookWithSecretSerializer(NotifyHookSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown once: the whsec_ secret to verify signatures.")

    class Meta(NotifyHookSerializer.Meta):
        fields = [*NotifyHookSerializer.Meta.fields, "secret"]


class NotifyHookCreateSerializer(serializers.Serializer):
    workflow = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    url = serializers.URLField(max_length=500)


class ScheduleTickSerializer(serializers.ModelSerializer):
    outcome = serializers.ChoiceField(choices=TickOutcome.choices)
    run = serializers.UUIDField(source="run_id", allow_null=True, read_only=True)

    class Meta:
        model = ScheduleTick
        fields = ["tick_at", "outcome", "reason", "run"]


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    body = serializers.SerializerMethodField(
        help_text="The raw body as text; null when it is not UTF-8 or was pruned (see `pruned_at`).")
    body_base64 = serializers.SerializerMethodField(
        help_text="The raw body, base64-encoded; null once pruned (see `pruned_at`).")

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "body", "body_base64"]

    def get_body(self, delivery) -> str | None:
        if delivery.pruned_at is not None:
            return None
        try:
            return bytes(delivery.body).decode("utf-8")
        except UnicodeDecodeError:
            return None

    def get_body_base64(self, delivery) -> str | None:
        if delivery.pruned_at is not None:
            return None
        return base64.b64encode(bytes(delivery.body)).decode()
