"""How a sync run reads to people and to the page's script: the sentence, the next step, the JSON shape the
dashboard, ``POST /sync/now`` and ``GET /api/email/sync/status/<id>`` answer with."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from emailsync.models import Mailbox, SyncRun
from emailsync.selectors import WaitingReason, WaitingWork, mailbox_state_for, waiting_work

RECONNECT_TEXT = "Reconnect Google so we can read your mail again."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run_summary(run: SyncRun) -> str:
    """One sentence saying what a run did, for people."""
    if run.state == SyncRun.State.QUEUED:
        return "Waiting for a worker to pick up the sync."
    if run.state == SyncRun.State.RUNNING:
        if run.backlog_total:
            return f"{run.get_phase_display()}: {run.backlog_read:,} of {run.backlog_total:,} messages read."
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
    if run.continued_by_id:
        sentence += (
            f". {run.backlog_read:,} of {run.backlog_total:,} messages read so far; another sync reads the "
            "rest now"
        )
    return sentence + "."


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _extractor_name() -> str:
    return "Claude" if settings.TASK_EXTRACTOR == "claude" else "the task reader"


def waiting_sentences(waiting: WaitingWork) -> list[str]:
    """What a finished sync left for later, one sentence per kind of work, for people."""
    sentences = []
    if waiting.messages:
        count = waiting.messages
        head = f"{_plural(count, 'message')} {_are(count)} waiting"
        they, them = ("it", "it") if count == 1 else ("they", "them")
        if waiting.messages_reason == WaitingReason.BUDGET_SPENT:
            sentences.append(
                f"{head}: this month's model token budget is spent; {they} will be read next month, or "
                "sooner if you raise the budget in settings."
            )
        elif waiting.messages_reason == WaitingReason.EXTRACTOR_UNAVAILABLE:
            sentences.append(
                f"{head}: {_extractor_name()} was unavailable; {they} will be read on the next sync."
            )
        elif waiting.messages_reason == WaitingReason.IN_BATCH:
            sentences.append(
                f"{head}: {they} {_are(count)} with the model in one batch (at half the price); the tasks "
                "arrive when it has answered, within 24 hours."
            )
        elif waiting.messages_reason == WaitingReason.SYNC_FAILED:
            sentences.append(
                f"{head}: the sync stopped before reading {them}; {they} will be read on the next sync."
            )
        else:
            sentences.append(f"{head}; {they} will be read on the next sync.")
    if waiting.tasks:
        count = waiting.tasks
        head = f"{_plural(count, 'task')} {_are(count)} waiting to be placed on your calendar"
        why = f": {waiting.tasks_reason.rstrip('.')}" if waiting.tasks_reason else ""
        sentences.append(f"{head}{why}; we will try again on the next sync.")
    return sentences


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


def _isoformat(moment: dt.datetime | None) -> str | None:
    # Python's own form ("+00:00"), which the page's script and API clients already read; DRF's
    # DateTimeField would write "Z" and follow the active time zone.
    return moment.isoformat() if moment is not None else None


class SyncRunSerializer(serializers.Serializer):
    task_id = serializers.CharField(source="public_id")
    user_id = serializers.IntegerField()
    trigger = serializers.CharField()
    state = serializers.CharField()
    phase = serializers.CharField()
    phase_label = serializers.CharField(source="get_phase_display")
    finished = serializers.SerializerMethodField()
    counters = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    error = serializers.CharField()
    created_at = serializers.SerializerMethodField()
    started_at = serializers.SerializerMethodField()
    finished_at = serializers.SerializerMethodField()
    tokens = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()
    waiting = serializers.SerializerMethodField()
    backlog = serializers.SerializerMethodField()
    follow_up = serializers.SerializerMethodField()

    def get_finished(self, run: SyncRun) -> bool:
        return not run.is_active

    def get_counters(self, run: SyncRun) -> dict[str, int]:
        return {
            "messages_found": run.messages_found,
            "messages_seen": run.messages_seen,
            "messages_skipped": run.messages_skipped,
            "messages_processed": run.messages_processed,
            "messages_failed": run.messages_failed,
            "tasks_created": run.tasks_created,
            "events_scheduled": run.events_scheduled,
        }

    def get_summary(self, run: SyncRun) -> str:
        return run_summary(run)

    def get_created_at(self, run: SyncRun) -> str | None:
        return _isoformat(run.created_at)

    def get_started_at(self, run: SyncRun) -> str | None:
        return _isoformat(run.started_at)

    def get_finished_at(self, run: SyncRun) -> str | None:
        return _isoformat(run.finished_at)

    def get_tokens(self, run: SyncRun) -> dict[str, int]:
        return {"input": run.input_tokens, "output": run.output_tokens, "cache_read": run.cache_read_tokens}

    def get_next_step(self, run: SyncRun) -> dict[str, str] | None:
        if run.is_active:
            return None
        # The mailbox only matters after a run that went wrong; a good run costs no query.
        state = (
            mailbox_state_for(user_id=run.user_id)
            if run.state == SyncRun.State.FAILED or run.messages_failed
            else None
        )
        return run_next_step(run, state)

    def get_backlog(self, run: SyncRun) -> dict[str, int] | None:
        """For a run that reads part of a backlog larger than one run may read: the whole chain's progress
        ("1,200 of 2,000 read"). None for a run that reads everything it listed."""
        if not run.backlog_total:
            return None
        return {"read": run.backlog_read, "total": run.backlog_total}

    def get_follow_up(self, run: SyncRun) -> dict[str, str] | None:
        """The run that goes on reading this one's backlog, for the page to follow (no query: the run is
        read with it, see ``run_for_user``)."""
        follow_up = run.continued_by
        if follow_up is None:
            return None
        return {
            "task_id": str(follow_up.public_id),
            "status_url": reverse("api:sync-status", args=[follow_up.public_id]),
        }

    def get_waiting(self, run: SyncRun) -> dict[str, object] | None:
        """What is left for a later sync once this run has finished (None while it runs): as recorded when
        the run ended, else counted now."""
        if run.is_active:
            return None
        waiting = WaitingWork(**run.waiting) if run.waiting else waiting_work(run=run)
        return {
            "messages": waiting.messages,
            "messages_reason": waiting.messages_reason,
            "tasks": waiting.tasks,
            "tasks_reason": waiting.tasks_reason,
            "sentences": waiting_sentences(waiting),
        }
