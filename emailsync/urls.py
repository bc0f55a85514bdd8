from __future__ import annotations

from django.urls import path

from emailsync import views

app_name = "emailsync"

urlpatterns = [
    path("sync/", views.sync_now, name="sync"),
    path("history/", views.history, name="history"),
    path("messages/<int:receipt_id>/retry/", views.retry_message, name="retry"),
]
