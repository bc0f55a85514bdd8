"""Reads of the email sync for pages and the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import Profile
from emailsync.models import BatchAnswer, Mailbox, MessageReceipt, SyncRun
from tasks_app.models import Task


def run_for_user(*, user: User, public_id: uuid.UUID | str) -> SyncRun | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return SyncRun.objects.filter(user=user, public_id=key).select_related("continued_by").first()


def runs_for_user(*, user: User, limit: int = 50) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(user=user).order_by("-created_at")[:limit]


def latest_run(*, user: User) -> SyncRun | None:
    return SyncRun.objects.filter(user=user).select_related("continued_by").order_by("-created_at").first()


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


class WaitingReason:
    """Why messages wait for a later sync, as the status API names it."""

    EXTRACTOR_UNAVAILABLE = "extractor_unavailable"
    BUDGET_SPENT = "budget_spent"
    SYNC_FAILED = "sync_failed"
    IN_BATCH = "in_batch"  # asked about in a Message Batch the provider still runs


@dataclass(frozen=True)
class WaitingWork:
    """What a finished sync left for later, counted from the database: the mailbox's pending receipts and the
    scheduled tasks whose event is not written yet."""

    messages: int
    messages_reason: str  # a WaitingReason, or "" when not known
    tasks: int
    tasks_reason: str  # the calendar's last error for those tasks, or "" when not known


def waiting_work(*, run: SyncRun) -> WaitingWork:
    """What is waiting now, read in the light of ``run`` (the run the user is looking at)."""
    messages = MessageReceipt.objects.filter(
        mailbox__user_id=run.user_id, status=MessageReceipt.Status.PENDING
    ).count()
    reason = ""
    if messages:
        if run.state == SyncRun.State.FAILED:
            reason = WaitingReason.SYNC_FAILED
        elif _budget_spent(user_id=run.user_id):
            reason = WaitingReason.BUDGET_SPENT
        elif BatchAnswer.objects.filter(
            receipt__mailbox__user_id=run.user_id, receipt__status=MessageReceipt.Status.PENDING
        ).exists():
            # The run's notice says so too ("… sent to the model in one batch"): not an outage.
            reason = WaitingReason.IN_BATCH
        elif run.error:
            # Otherwise a run succeeds with an error only when extraction paused because the extractor was down.
            reason = WaitingReason.EXTRACTOR_UNAVAILABLE
    # `calendar_pending IN (true)` rather than the bare column Django writes for `=True`: SQLite looks a
    # column up in an index (task_user_calendar_pending) only when it is compared with a value, and without
    # the index this count reads every scheduled task of the user on each status poll.
    unplaced = Task.objects.filter(
        user_id=run.user_id, status=Task.Status.SCHEDULED, calendar_pending__in=[True], event_written=False
    )
    tasks = unplaced.count()
    # A pass stops at the first transient error, so only the first task tried carries it.
    tasks_reason = (
        unplaced.exclude(calendar_error="")
        .order_by("-updated_at")
        .values_list("calendar_error", flat=True)
        .first()
        if tasks
        else None
    )
    return WaitingWork(
        messages=messages, messages_reason=reason, tasks=tasks, tasks_reason=tasks_reason or ""
    )


def _budget_spent(*, user_id: int) -> bool:
    budget = Profile.objects.filter(user_id=user_id).values_list("monthly_token_budget", flat=True).first()
    if budget is None:
        return False
    return SyncRun.objects.filter(user_id=user_id).this_month().tokens_used() >= budget
