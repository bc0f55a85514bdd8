from __future__ import annotations

from django.contrib import admin

from emailsync.models import Mailbox, MessageReceipt, SyncRun
from scheduler_site.admin_content import MailContentAdminMixin


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "source",
        "state",
        "location",
        "last_success_at",
        "consecutive_failures",
        "last_error",
    ]
    list_filter = ["source", "state"]
    search_fields = ["user__username", "user__email", "location"]
    readonly_fields = ["lease_token", "lease_expires_at", "last_success_at", "last_error_at", "created_at"]


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "user",
        "trigger",
        "state",
        "phase",
        "messages_seen",
        "messages_skipped",
        "messages_failed",
        "tasks_created",
        "events_scheduled",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "created_at",
        "finished_at",
    ]
    list_filter = ["state", "trigger"]
    search_fields = ["public_id", "user__username"]
    readonly_fields = [f.name for f in SyncRun._meta.fields]


@admin.register(MessageReceipt)
class MessageReceiptAdmin(MailContentAdminMixin, admin.ModelAdmin):
    content_fields = ["subject", "sender", "sender_name", "body_text"]
    list_display = ["subject", "sender", "mailbox", "status", "attempts", "sent_at", "skip_reason"]
    list_filter = ["status"]
    search_fields = ["subject", "sender", "message_id", "header_message_id"]
    readonly_fields = ["first_seen_at", "processed_at"]
