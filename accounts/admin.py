from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest

from accounts.models import ApiToken, Profile
from scheduler_site.admin_content import MailContentAdminMixin, may_see_mail_content


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False

    def get_exclude(self, request: HttpRequest, obj: object = None) -> list[str]:
        # The feed address is a credential. The senders a person skips name who writes to them: mail
        # content, like a subject, and so for superusers only.
        hidden = ["feed_token"]
        return hidden if may_see_mail_content(request) else [*hidden, "skip_senders"]


admin.site.unregister(User)


@admin.register(User)
class SchedulerUserAdmin(UserAdmin):
    """Users with their profile. An app that adds to the user admin subclasses this and registers again."""

    inlines = [ProfileInline]


@admin.register(ApiToken)
class ApiTokenAdmin(MailContentAdminMixin, admin.ModelAdmin):
    # The hash is as good as the token for looking one up; names and hints are what staff need.
    content_fields = ["token_hash"]
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["token_hash", "hint", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]
