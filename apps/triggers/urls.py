from django.urls import path

from . import views

urlpatterns = [
    path("<uuid:endpoint_id>/", views.receive, name="webhook-receive"),
]
