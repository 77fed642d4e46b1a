from django.urls import include, path

from .views import approvals, composer, connections, home, members, runs, triggers, usage, workflows

dashboard_patterns = [
    path("", workflows.workflow_list, name="home"),
    path("workflows/", workflows.workflow_list, name="workflow_list"),
    path("workflows/templates/", workflows.gallery, name="gallery"),
    path("workflows/templates/<str:template>/", workflows.create_from_template, name="create_from_template"),
    path("workflows/<int:workflow_id>/", workflows.workflow_detail, name="workflow_detail"),
    path("workflows/<int:workflow_id>/run/", workflows.run_now, name="run_now"),
    path("workflows/<int:workflow_id>/delete/", workflows.workflow_remove, name="workflow_delete"),
    path("workflows/<int:workflow_id>/composer/", composer.composer, name="composer"),
    path("workflows/<int:workflow_id>/yaml/", composer.yaml_edit, name="yaml_edit"),
    path("workflows/<int:workflow_id>/versions/", composer.versions, name="versions"),
    path("workflows/<int:workflow_id>/export/", composer.export, name="export"),
    path("workflows/import/", composer.import_yaml, name="import"),
    path("usage/", usage.usage, name="usage"),
    path("schedules/", triggers.schedules, name="schedules"),
    path("schedules/new/", triggers.schedule_edit, name="schedule_new"),
    path("schedules/preview/", triggers.cron_preview, name="cron_preview"),
    path("schedules/<int:schedule_id>/", triggers.schedule_edit, name="schedule_edit"),
    path("schedules/<int:schedule_id>/delete/", triggers.schedule_remove, name="schedule_delete"),
    path("webhooks/", triggers.webhooks, name="webhooks"),
    path("webhooks/new/", triggers.webhook_new, name="webhook_new"),
    path("webhooks/<uuid:endpoint_id>/", triggers.webhook_detail, name="webhook_detail"),
    path("webhooks/<uuid:endpoint_id>/rotate/", triggers.webhook_rotate, name="webhook_rotate"),
    path("runs/", runs.run_list, name="run_list"),
    path("runs/<uuid:run_id>/", runs.run_detail, name="run_detail"),
    path("runs/<uuid:run_id>/events/", runs.run_events, name="run_events"),
    path("runs/<uuid:run_id>/cancel/", runs.cancel, name="run_cancel"),
    path("artifacts/<uuid:artifact_id>/", runs.artifact, name="artifact"),
    path("artifacts/<uuid:artifact_id>/preview/", runs.artifact_preview, name="artifact_preview"),
    path("approvals/", approvals.inbox, name="approvals"),
    path("approvals/<int:approval_id>/", approvals.decide, name="approval_decide"),
    path("connections/", connections.connection_list_view, name="connection_list"),
    path("connections/new/", connections.connection_new, name="connection_new"),
    path("connections/<int:connection_id>/", connections.connection_detail, name="connection_detail"),
    path("connections/<int:connection_id>/check/", connections.connection_check, name="connection_check"),
    path("connections/<int:connection_id>/delete/", connections.connection_remove, name="connection_delete"),
    path("members/", members.members, name="members"),
    path("organizations/switch/", home.switch_organization, name="switch_organization"),
    path("organizations/none/", home.no_organization, name="no_organization"),
]

# Django's auth views reverse their own un-namespaced names, so they stay outside "dashboard:".
urlpatterns = [
    path("", include((dashboard_patterns, "dashboard"))),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
