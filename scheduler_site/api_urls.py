from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from emailsync import api as email_api
from tasks_app import api as task_api

app_name = "api"

urlpatterns = [
    path("email/sync", email_api.sync_start, name="sync-start"),
    path("email/sync/status/<str:task_id>", email_api.sync_status, name="sync-status"),
    path("tasks/", task_api.task_list, name="task-list"),
    path("tasks/<int:task_id>/", task_api.task_detail, name="task-detail"),
    path("export", email_api.data_export, name="export"),
    # The OpenAPI schema, and Swagger UI reading it: a page, so a signed-out visitor is sent to sign in.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", login_required(SpectacularSwaggerView.as_view(url_name="api:schema")), name="docs"),
]
