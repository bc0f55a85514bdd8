from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from accounts import urls as account_urls
from emailsync import urls as emailsync_urls
from tasks_app.views import calendar_feed

# The account's pages: accounts' own, and those that need the mailbox (emailsync), which accounts cannot
# import. One namespace, so every address and name stays "accounts:...".
account_patterns = [*account_urls.urlpatterns, *emailsync_urls.account_urlpatterns]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include((account_patterns, account_urls.app_name))),
    path("auth/", include("social_django.urls", namespace="social")),
    path("api/", include("scheduler_site.api_urls")),
    path("sync/", include("emailsync.urls")),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar-feed"),
    path("", include("tasks_app.urls")),
]
