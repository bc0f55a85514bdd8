from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import ApiToken, Profile
from emailsync.models import SyncRun
from emailsync.selectors import token_usage_this_month
from emailsync.services import SyncUnavailable, sync_trigger
from scheduler_site.admin_content import MailContentAdminMixin, may_see_mail_content


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False

    def get_exclude(self, request: HttpRequest, obj: object = None) -> list[str]:
        # The feed address is a credential. The senders a person skips name who writes to them: mail
        # content, like a subject, and so for superusers only.
        hidden = ["feed_token"]
        return hidden if may_see_mail_content(request) else [*hidden, "skip_senders"]


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


admin.site.unregister(User)


@admin.register(User)
class SchedulerUserAdmin(UserAdmin):
    inlines = [ProfileInline]
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


@admin.register(ApiToken)
class ApiTokenAdmin(MailContentAdminMixin, admin.ModelAdmin):
    # The hash is as good as the token for looking one up; names and hints are what staff need.
    content_fields = ["token_hash"]
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["token_hash", "hint", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]
