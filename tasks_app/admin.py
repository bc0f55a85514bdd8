from __future__ import annotations

from django.contrib import admin

from scheduler_site.admin_content import MailContentAdminMixin
from tasks_app.models import LocalCalendarEvent, Task


@admin.register(Task)
class TaskAdmin(MailContentAdminMixin, admin.ModelAdmin):
    # The source receipt is named by its subject, and the due phrase and review reason quote the mail.
    content_fields = ["title", "notes", "evidence", "due_phrase", "review_reason", "source"]
    list_display = ["title", "user", "kind", "status", "due_at", "priority", "event_start", "event_written"]
    list_filter = ["status", "kind", "priority", "event_written"]
    search_fields = ["title", "evidence", "source__subject"]
    raw_id_fields = ["source"]


@admin.register(LocalCalendarEvent)
class LocalCalendarEventAdmin(MailContentAdminMixin, admin.ModelAdmin):
    content_fields = ["summary", "description"]
    list_display = ["summary", "user", "start", "end"]
    search_fields = ["summary"]
