"""Reads of the email sync for pages and the API."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.urls import reverse

from emailsync.models import Mailbox, MessageReceipt, SyncRun


def run_for_user(*, user: User, public_id: uuid.UUID | str) -> SyncRun | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return SyncRun.objects.filter(user=user, public_id=key).first()


def runs_for_user(*, user: User, limit: int = 50) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(user=user).order_by("-created_at")[:limit]


def latest_run(*, user: User) -> SyncRun | None:
    return SyncRun.objects.filter(user=user).order_by("-created_at").first()


def mailbox_for(*, user: User) -> Mailbox | None:
    return Mailbox.objects.filter(user=user).first()


def mailbox_state_for(*, user_id: int) -> str | None:
    return Mailbox.objects.filter(user_id=user_id).values_list("state", flat=True).first()


def problem_receipts(*, user: User) -> QuerySet[MessageReceipt]:
    return MessageReceipt.objects.filter(
        mailbox__user=user, status__in=[MessageReceipt.Status.FAILED, MessageReceipt.Status.QUARANTINED]
    ).order_by("-first_seen_at")


def reconnect_url() -> str | None:
    """Where a "Reconnect Google" button should POST, or None when this site has no way to reconnect.

    Starting Google's consent again is a POST (social-auth's begin view refuses GET)."""
    if settings.GOOGLE_ENABLED:
        return reverse("social:begin", args=["google-oauth2"])
    return None


def token_usage_this_month(*, user: User) -> int:
    """Model tokens (input, cached input and output) the user's syncs used since the 1st of this month, UTC."""
    return SyncRun.objects.filter(user=user).this_month().tokens_used()
