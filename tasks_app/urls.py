from __future__ import annotations

from django.urls import path

from tasks_app import views

app_name = "tasks"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="edit"),
    path("tasks/<int:task_id>/<str:action>/", views.task_action, name="action"),
]
