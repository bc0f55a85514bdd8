from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import SchedulerUserAdmin
from accounts.models import Profile
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.selectors import token_usage_this_month
from emailsync.services import SyncUnavailable, sync_trigger
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


@admin.action(description="Sync email now")
def sync_email_now(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    started, reused, refused = 0, 0, []
    for user in queryset:
        try:
            _, created = sync_trigger(user=user, trigger=SyncRun.Trigger.ADMIN)
        except SyncUnavailable as e:
            refused.append(f"{user}: {e}")
            continue
        started += created
        reused += not created
    modeladmin.message_user(
        request, f"Started {started} sync(s); {reused} already running.", messages.SUCCESS
    )
    for line in refused:
        modeladmin.message_user(request, line, messages.WARNING)


# accounts registers the User admin without knowing about mail; the sync action and the model usage are
# emailsync's, so it extends that admin here rather than accounts calling up into emailsync.
admin.site.unregister(User)


@admin.register(User)
class SyncUserAdmin(SchedulerUserAdmin):
    actions = [sync_email_now]
    # The stubs cannot type list_display on the class (it is generic in the model) nor know that UserAdmin
    # sets fieldsets; both are plain tuples in Django.
    list_display = [*UserAdmin.list_display, "model_tokens_this_month"]  # type: ignore[misc]
    readonly_fields = ["model_tokens_this_month"]
    fieldsets = [*UserAdmin.fieldsets, ("Model usage", {"fields": ["model_tokens_this_month"]})]  # type: ignore[misc]

    @admin.display(description="Model tokens this month")
    def model_tokens_this_month(self, user: User) -> str:
        if user.pk is None:
            return "—"
        used = token_usage_this_month(user=user)
        budget = Profile.objects.filter(user=user).values_list("monthly_token_budget", flat=True).first()
        return f"{used:,} of {budget:,}" if budget is not None else f"{used:,} (no budget)"
