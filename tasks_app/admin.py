from __future__ import annotations

from django.contrib import admin

from tasks_app.models import LocalCalendarEvent, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "status", "due_at", "priority", "event_start", "event_written"]
    list_filter = ["status", "kind", "priority", "event_written"]
    search_fields = ["title", "evidence", "source__subject"]
    raw_id_fields = ["source"]


@admin.register(LocalCalendarEvent)
class LocalCalendarEventAdmin(admin.ModelAdmin):
    list_display = ["summary", "user", "start", "end"]
    search_fields = ["summary"]
