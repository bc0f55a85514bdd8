"""Reads of the email sync for pages and the API."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

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


def problem_receipts(*, user: User) -> QuerySet[MessageReceipt]:
    return MessageReceipt.objects.filter(
        mailbox__user=user, status__in=[MessageReceipt.Status.FAILED, MessageReceipt.Status.QUARANTINED]
    ).order_by("-first_seen_at")


RECONNECT_TEXT = "Reconnect Google so we can read your mail again."
# URL names the Google path may give its "reconnect" view, most specific first.
RECONNECT_URL_NAMES = ("accounts:google-reconnect", "accounts:reconnect-google", "accounts:reconnect")


def reconnect_url() -> str | None:
    """Where a "Reconnect Google" button should POST, or None when this site has no way to reconnect.

    Starting Google's consent again is a POST (social-auth's begin view refuses GET)."""
    for name in RECONNECT_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    if settings.GOOGLE_ENABLED:
        try:
            return reverse("social:begin", args=["google-oauth2"])
        except NoReverseMatch:
            return None
    return None


def run_next_step(run: SyncRun, mailbox_state: str | None) -> dict[str, str] | None:
    """What the user can do after a run that did not go well, for the end sentence of the progress bar."""
    if run.is_active:
        return None
    if mailbox_state == Mailbox.State.NEEDS_RECONNECT:
        return {"action": "reconnect", "text": RECONNECT_TEXT}
    if mailbox_state == Mailbox.State.DISABLED:
        return {"action": "settings", "text": "Check the mailbox on the settings page and connect it again."}
    if run.state == SyncRun.State.FAILED:
        if mailbox_state == Mailbox.State.BACKING_OFF:
            return {"action": "wait", "text": "We will try again by ourselves shortly."}
        return {"action": "retry", "text": "Press “Sync emails” to try again; nothing was lost."}
    if run.messages_failed:
        return {"action": "history", "text": "See the sync history for the messages that could not be read."}
    return None


def run_as_dict(run: SyncRun) -> dict[str, object]:
    return {
        "task_id": str(run.public_id),
        "user_id": run.user_id,
        "trigger": run.trigger,
        "state": run.state,
        "phase": run.phase,
        "phase_label": run.get_phase_display(),
        "finished": not run.is_active,
        "counters": {
            "messages_found": run.messages_found,
            "messages_seen": run.messages_seen,
            "messages_skipped": run.messages_skipped,
            "messages_processed": run.messages_processed,
            "messages_failed": run.messages_failed,
            "tasks_created": run.tasks_created,
            "events_scheduled": run.events_scheduled,
        },
        "summary": run_summary(run),
        "error": run.error,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "tokens": {
            "input": run.input_tokens,
            "output": run.output_tokens,
            "cache_read": run.cache_read_tokens,
        },
        "next_step": _next_step_for(run),
    }


def _next_step_for(run: SyncRun) -> dict[str, str] | None:
    if run.is_active:
        return None
    state = None
    if run.state == SyncRun.State.FAILED or run.messages_failed:
        state = Mailbox.objects.filter(user_id=run.user_id).values_list("state", flat=True).first()
    return run_next_step(run, state)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run_summary(run: SyncRun) -> str:
    """One sentence saying what a run did, for people."""
    if run.state == SyncRun.State.QUEUED:
        return "Waiting for a worker to pick up the sync."
    if run.state == SyncRun.State.RUNNING:
        return f"{run.get_phase_display()}: {run.messages_seen} of {run.messages_found} messages read."
    if run.state == SyncRun.State.FAILED:
        return f"Sync failed: {run.error}"
    if run.messages_seen == 0:
        return "No new mail since the last sync."
    parts = [
        f"Read {_plural(run.messages_seen, 'new message')}",
        f"found {_plural(run.tasks_created, 'new task')}",
        f"placed {_plural(run.events_scheduled, 'event')} on your calendar",
    ]
    sentence = ", ".join(parts)
    if run.messages_skipped:
        sentence += f"; skipped {run.messages_skipped} as bulk mail"
    if run.messages_failed:
        sentence += f"; {_plural(run.messages_failed, 'message')} could not be read (see sync history)"
    return sentence + "."


def token_usage_this_month(*, user: User) -> int:
    """Model tokens (input, cached input and output) the user's syncs used since the 1st of this month, UTC."""
    return SyncRun.objects.filter(user=user).this_month().tokens_used()
