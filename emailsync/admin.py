from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from emailsync.models import Mailbox, MessageReceipt, SyncRun
from scheduler_site.admin_content import MailContentAdminMixin


class MailboxAdminForm(forms.ModelForm):
    class Meta:
        model = Mailbox
        fields = [
            "user",
            "source",
            "location",
            "checkpoint",
            "state",
            "next_attempt_at",
            "consecutive_failures",
            "stale_checkpoint_resyncs",
            "last_error",
        ]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        location = str(data.get("location") or "")
        if data.get("source") == Mailbox.Source.LOCAL and "location" in self.fields:
            # Stored resolved, as manage.py connect_mailbox does, so the sync reads the folder the operator saw.
            path = Path(location).expanduser().resolve()
            if not location or not path.is_dir():
                self.add_error("location", f"{path} is not a folder.")
            else:
                data["location"] = str(path)
        return data


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
    form = MailboxAdminForm

    def get_readonly_fields(self, request: HttpRequest, obj: Mailbox | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # The location decides which server folder is read: pointing a mailbox anywhere is the superuser's
        # call alone, as connect_mailbox is the operator's. Other staff see it but cannot change it.
        if not request.user.is_superuser:
            fields += ["source", "location"]
        return fields


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
