from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.triggers import schedules, selectors, services

from ..errors import error_responses
from ..pagination import PAGE_PARAMS, ByName, NewestFirst, page_of
from ..trigger_serializers import (
    NotifyHookCreateSerializer,
    NotifyHookSerializer,
    NotifyHookWithSecretSerializer,
    ScheduleSerializer,
    ScheduleTickSerializer,
    ScheduleUpdateSerializer,
    ScheduleWriteSerializer,
    SecretRotateSerializer,
    WebhookDeliveryDetailSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)
from .base import ApiView

DELETED = OpenApiResponse(description="Deleted.")
WEBHOOK_SCHEMES_DOC = """One endpoint per (workflow, source); the source POSTs to the returned `url`. The secret
(generated unless given) is returned once.

Schemes and what the sender must send:

* `hubspot`: `X-HubSpot-Signature-v3` + `X-HubSpot-Request-Timestamp` (5-minute window). Set
  `settings.public_url` when a proxy changes the URL HubSpot called; `settings.hubspot_versions: ["v1", "v2"]`
  also accepts the older `X-HubSpot-Signature`. Each event of a batch starts its own run.
* `standard_webhooks`: `webhook-id`, `webhook-timestamp`, `webhook-signature` with a `whsec_` secret.
* `stripe`: `Stripe-Signature: t=…,v1=…` (several `v1` accepted).
* `basic`: HTTP Basic with `settings.username` and the secret as password (Pipedrive).
* `shared_token`: the secret in `settings.token_header` (default `X-Webhook-Token`) or `?token=` (Zoho CRM).
* `salesforce_soap`: outbound messages; `settings.organization_id` is required, `settings.ip_allowlist` optional;
  answered with the SOAP acknowledgement. Each Notification starts its own run.

`input_mapping` maps workflow inputs to JSON pointers into each event (`{"deal": "/objectId"}`);
`static_inputs` are added to every run. Answers: 202 accepted (runs start right after), 401 signature or
timestamp refused, 400 malformed body, 409 every event already accepted, 413 too large, 422 the mapping found
nothing. Every request is recorded under `deliveries/`."""


class ScheduleListView(ApiView):
    @extend_schema(operation_id="schedules_list", summary="List schedules", tags=["schedules"],
                   parameters=PAGE_PARAMS,
                   responses={200: page_of(ScheduleSerializer), **error_responses(400)})
    def get(self, request):
        return self.paginated(selectors.schedule_list(actor=self.actor), ScheduleSerializer, ByName)

    @extend_schema(operation_id="schedules_create", summary="Create a schedule", tags=["schedules"],
                   request=ScheduleWriteSerializer, responses={201: ScheduleSerializer, **error_responses(400, 403, 404)})
    def post(self, request):
        data = ScheduleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        schedule = schedules.schedule_create(actor=self.actor, workflow_id=values.pop("workflow"),
                                             cron_expression=values.pop("cron"), now=timezone.now(), **values)
        return Response(ScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


class ScheduleDetailView(ApiView):
    @extend_schema(operation_id="schedules_get", summary="Get a schedule with its next run times", tags=["schedules"],
                   responses={200: ScheduleSerializer, **error_responses(404)})
    def get(self, request, schedule_id: int):
        return Response(ScheduleSerializer(selectors.schedule_get(actor=self.actor, schedule_id=schedule_id)).data)

    @extend_schema(operation_id="schedules_update", summary="Change a schedule", tags=["schedules"],
                   request=ScheduleUpdateSerializer,
                   responses={200: ScheduleSerializer, **error_responses(400, 403, 404)})
    def patch(self, request, schedule_id: int):
        # Looked up before the body is validated: another organization's schedule is a 404, never a 400.
        selectors.schedule_get(actor=self.actor, schedule_id=schedule_id)
        data = ScheduleUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "cron" in changes:
            changes["cron_expression"] = changes.pop("cron")
        schedule = schedules.schedule_update(actor=self.actor, schedule_id=schedule_id, now=timezone.now(), **changes)
        return Response(ScheduleSerializer(schedule).data)

    @extend_schema(operation_id="schedules_delete", summary="Delete a schedule", tags=["schedules"],
                   responses={204: DELETED, **error_responses(403, 404)})
    def delete(self, request, schedule_id: int):
        schedules.schedule_delete(actor=self.actor, schedule_id=schedule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScheduleTickListView(ApiView):
    @extend_schema(operation_id="schedules_ticks", summary="The ticks a schedule acted on, newest first",
                   tags=["schedules"], parameters=PAGE_PARAMS,
                   description="Each tick says whether it started a run (and which), was skipped or queued "
                               "by the overlap policy, or could not start one.",
                   responses={200: page_of(ScheduleTickSerializer), **error_responses(400, 404)})
    def get(self, request, schedule_id: int):
        ticks = selectors.schedule_tick_list(actor=self.actor, schedule_id=schedule_id)
        return self.paginated(ticks, ScheduleTickSerializer, TickCursor)


class TickCursor(NewestFirst):
    ordering = ("-tick_at", "-id")


class WebhookEndpointListView(ApiView):
    @extend_schema(operation_id="webhook_endpoints_list", summary="List webhook endpoints", tags=["webhooks"],
                   parameters=PAGE_PARAMS,
                   responses={200: page_of(WebhookEndpointSerializer), **error_responses(400)})
    def get(self, request):
        return self.paginated(selectors.webhook_endpoint_list(actor=self.actor), WebhookEndpointSerializer,
                              NewestFirst)

    @extend_schema(operation_id="webhook_endpoints_create", summary="Create a webhook endpoint", tags=["webhooks"],
                   description=WEBHOOK_SCHEMES_DOC,
                   request=WebhookEndpointCreateSerializer,
                   responses={201: WebhookEndpointWithSecretSerializer, **error_responses(400, 403, 404)})
    def post(self, request):
        data = WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        endpoint, secret = services.webhook_endpoint_create(actor=self.actor, workflow_id=values.pop("workflow"),
                                                            **values)
        endpoint.secret = secret
        return Response(WebhookEndpointWithSecretSerializer(endpoint, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(ApiView):
    @extend_schema(operation_id="webhook_endpoints_get", summary="Get a webhook endpoint", tags=["webhooks"],
                   responses={200: WebhookEndpointSerializer, **error_responses(404)})
    def get(self, request, endpoint_id):
        endpoint = selectors.webhook_endpoint_get(actor=self.actor, endpoint_id=endpoint_id)
        return Response(WebhookEndpointSerializer(endpoint, context={"request": request}).data)

    @extend_schema(operation_id="webhook_endpoints_update", summary="Change a webhook endpoint", tags=["webhooks"],
                   request=WebhookEndpointUpdateSerializer,
                   responses={200: WebhookEndpointSerializer, **error_responses(400, 403, 404)})
    def patch(self, request, endpoint_id):
        # Looked up before the body is validated: another organization's endpoint is a 404, never a 400.
        selectors.webhook_endpoint_get(actor=self.actor, endpoint_id=endpoint_id)
        data = WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(actor=self.actor, endpoint_id=endpoint_id, **data.validated_data)
        return Response(WebhookEndpointSerializer(endpoint, context={"request": request}).data)

    @extend_schema(operation_id="webhook_endpoints_delete", summary="Delete a webhook endpoint", tags=["webhooks"],
                   responses={204: DELETED, **error_responses(403, 404)})
    def delete(self, request, endpoint_id):
        services.webhook_endpoint_delete(actor=self.actor, endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateView(ApiView):
    @extend_schema(operation_id="webhook_endpoints_rotate_secret", summary="Rotate an endpoint's secret",
                   tags=["webhooks"], request=SecretRotateSerializer,
                   responses={200: WebhookEndpointWithSecretSerializer, **error_responses(400, 403, 404)})
    def post(self, request, endpoint_id):
        # Looked up before the body is validated: another organization's endpoint is a 404, never a 400.
        selectors.webhook_endpoint_get(actor=self.actor, endpoint_id=endpoint_id)
        data = SecretRotateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_rotate_secret(actor=self.actor, endpoint_id=endpoint_id,
                                                                   **data.validated_data)
        endpoint.secret = secret
        return Response(WebhookEndpointWithSecretSerializer(endpoint, context={"request": request}).data)


class WebhookDeliveryListView(ApiView):
    @extend_schema(operation_id="webhook_endpoints_deliveries", summary="Recent deliveries to an endpoint",
                   tags=["webhooks"], parameters=PAGE_PARAMS,
                   responses={200: page_of(WebhookDeliverySerializer), **error_responses(400, 404)})
    def get(self, request, endpoint_id):
        deliveries = selectors.webhook_delivery_list(actor=self.actor, endpoint_id=endpoint_id)
        return self.paginated(deliveries, WebhookDeliverySerializer, DeliveryCursor)


class WebhookDeliveryDetailView(ApiView):
    @extend_schema(operation_id="webhook_endpoints_delivery", summary="One delivery with its raw body",
                   tags=["webhooks"], responses={200: WebhookDeliveryDetailSerializer, **error_responses(404)})
    def get(self, request, endpoint_id, delivery_id: int):
        delivery = selectors.webhook_delivery_get(actor=self.actor, endpoint_id=endpoint_id, delivery_id=delivery_id)
        return Response(WebhookDeliveryDetailSerializer(delivery).data)


class DeliveryCursor(NewestFirst):
    ordering = ("-received_at", "-id")


class NotifyHookListView(ApiView):
    @extend_schema(operation_id="notify_hooks_list", summary="List run-finished notification hooks",
                   tags=["webhooks"], parameters=PAGE_PARAMS,
                   responses={200: page_of(NotifyHookSerializer), **error_responses(400)})
    def get(self, request):
        return self.paginated(selectors.notify_hook_list(actor=self.actor), NotifyHookSerializer, NewestFirst)

    @extend_schema(operation_id="notify_hooks_create", summary="Notify a URL when runs of a workflow finish",
                   tags=["webhooks"],
                   description="Each finished run is POSTed as a Standard Webhooks message (`webhook-id`, "
                               "`webhook-timestamp`, `webhook-signature`), retried with backoff. Private and "
                               "loopback addresses are refused unless the operator allows them.",
                   request=NotifyHookCreateSerializer,
                   responses={201: NotifyHookWithSecretSerializer, **error_responses(400, 403, 404)})
    def post(self, request):
        data = NotifyHookCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hook, secret = services.notify_hook_create(actor=self.actor, workflow_id=data.validated_data["workflow"],
                                                   url=data.validated_data["url"])
        hook.secret = secret
        return Response(NotifyHookWithSecretSerializer(hook).data, status=status.HTTP_201_CREATED)


class NotifyHookDetailView(ApiView):
    @extend_schema(operation_id="notify_hooks_delete", summary="Delete a notification hook", tags=["webhooks"],
                   responses={204: DELETED, **error_responses(403, 404)})
    def delete(self, request, hook_id: int):
        services.notify_hook_delete(actor=self.actor, hook_id=hook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
