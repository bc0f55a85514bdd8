from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from tasks_app.views import calendar_feed

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("auth/", include("social_django.urls", namespace="social")),
    path("api/", include("scheduler_site.api_urls")),
    path("sync/", include("emailsync.urls")),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar-feed"),
    path("", include("tasks_app.urls")),
]
