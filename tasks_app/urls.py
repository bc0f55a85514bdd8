from __future__ import annotations

from django.urls import path

from tasks_app import views

app_name = "tasks"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("week/", views.week, name="week"),
    path("tasks/", views.task_group, name="group"),
    path("review/", views.review, name="review"),
    path("review/decide/", views.review_decide, name="review-decide"),
    path("tasks/<int:task_id>/", views.task_detail, name="detail"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="edit"),
    path("tasks/<int:task_id>/move/", views.task_move, name="move"),
    path("tasks/<int:task_id>/<str:action>/", views.task_action, name="action"),
]
