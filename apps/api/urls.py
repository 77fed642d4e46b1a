from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .views import approvals, connections, runs, tokens, triggers, usage, workflows

@csrf_exempt
def not_found(request, *args, **kwargs):
    """Unknown API paths answer in the API's error shape, not Django's HTML page."""
    return JsonResponse({"error": {"code": "not_found", "message": "no such API endpoint", "problems": []}},
                        status=404)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("me/", tokens.MeView.as_view()),
    path("tokens/", tokens.TokenListView.as_view()),
    path("tokens/<int:token_id>/", tokens.TokenDetailView.as_view()),
    path("workflows/", workflows.WorkflowListView.as_view()),
    path("workflows/import/", workflows.WorkflowImportView.as_view()),
    path("workflows/<int:workflow_id>/", workflows.WorkflowDetailView.as_view()),
    path("workflows/<int:workflow_id>/versions/", workflows.WorkflowVersionListView.as_view()),
    path("workflows/<int:workflow_id>/versions/<int:number>/", workflows.WorkflowVersionDetailView.as_view()),
    path("workflows/<int:workflow_id>/export/", workflows.WorkflowExportView.as_view()),
    path("runs/", runs.RunListView.as_view()),
    path("runs/<uuid:run_id>/", runs.RunDetailView.as_view()),
    path("runs/<uuid:run_id>/cancel/", runs.RunCancelView.as_view()),
    path("runs/<uuid:run_id>/events/", runs.RunEventsView.as_view()),
    path("runs/<uuid:run_id>/artifacts/", runs.RunArtifactsView.as_view()),
    path("artifacts/<uuid:artifact_id>/download/", runs.ArtifactDownloadView.as_view()),
    path("approvals/", approvals.ApprovalListView.as_view()),
    path("approvals/<int:approval_id>/", approvals.ApprovalDetailView.as_view()),
    path("approvals/<int:approval_id>/decision/", approvals.ApprovalDecisionView.as_view()),
    path("connections/", connections.ConnectionListView.as_view()),
    path("connections/<int:connection_id>/", connections.ConnectionDetailView.as_view()),
    path("connections/<int:connection_id>/test/", connections.ConnectionTestView.as_view()),
    path("connections/<int:connection_id>/rotate/", connections.ConnectionRotateView.as_view()),
    path("schedules/", triggers.ScheduleListView.as_view()),
    path("schedules/<int:schedule_id>/", triggers.ScheduleDetailView.as_view()),
    path("schedules/<int:schedule_id>/ticks/", triggers.ScheduleTickListView.as_view()),
    path("webhook-endpoints/", triggers.WebhookEndpointListView.as_view()),
    path("webhook-endpoints/<uuid:endpoint_id>/", triggers.WebhookEndpointDetailView.as_view()),
    path("webhook-endpoints/<uuid:endpoint_id>/rotate-secret/", triggers.WebhookEndpointRotateView.as_view()),
    path("webhook-endpoints/<uuid:endpoint_id>/deliveries/", triggers.WebhookDeliveryListView.as_view()),
    path("webhook-endpoints/<uuid:endpoint_id>/deliveries/<int:delivery_id>/",
         triggers.WebhookDeliveryDetailView.as_view()),
    path("notify-hooks/", triggers.NotifyHookListView.as_view()),
    path("notify-hooks/<int:hook_id>/", triggers.NotifyHookDetailView.as_view()),
    path("usage/", usage.UsageView.as_view()),
    re_path(r"^.*$", not_found),
]
