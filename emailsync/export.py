"""The user's own data as one JSON document ("Export my data" on the settings page and ``GET /api/export``).

Written as a stream of pieces: a few queries whatever the amount of data (one per kind of row, read with
``values().iterator()``), and memory that does not grow with it. Email text is never part of it, nor any
secret: API tokens appear by name and hint, the calendar feed address and Google tokens not at all.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.http import StreamingHttpResponse
from django.utils import timezone

from accounts.models import ApiToken, GoogleCredential, Profile
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from tasks_app.models import Task

# Raised when a field is removed or changes meaning; adding a field keeps the version.
EXPORT_SCHEMA_VERSION = 1
_CHUNK = 500


def export_filename(*, user: User, now: dt.datetime | None = None) -> str:
    day = timezone.localdate(now or timezone.now())
    return f"intelligent-scheduler-export-{user.pk}-{day:%Y-%m-%d}.json"


def _json(value: object) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _profile(user: User) -> dict[str, Any]:
    profile = Profile.objects.filter(user=user).first()
    data: dict[str, Any] = {
        "username": user.username,
        "email": user.email,
        "date_joined": user.date_joined,
    }
    if profile is not None:
        data.update(
            timezone=profile.timezone,
            work_start=profile.work_start,
            work_end=profile.work_end,
            work_days=profile.working_days,
            approval_required=profile.approval_required,
            periodic_sync_minutes=profile.periodic_sync_minutes,
            calendar_provider=profile.calendar_provider,
            monthly_token_budget=profile.monthly_token_budget,
            skip_senders=profile.skipped_senders(),
        )
    return data


def _mailbox(user: User) -> dict[str, Any] | None:
    mailbox = (
        Mailbox.objects.filter(user=user)
        .values("source", "location", "state", "created_at", "last_success_at", "last_error_at")
        .first()
    )
    if mailbox is None:
        return None
    # A Gmail mailbox's location is the user's own address, an IMAP one their account and folder
    # ("me@imap.example.com/INBOX"; the password is never exported); a local one is a server path, which is
    # not theirs.
    theirs = mailbox["source"] in (Mailbox.Source.GMAIL, Mailbox.Source.IMAP)
    return {
        **{k: v for k, v in mailbox.items() if k != "location"},
        "address": mailbox["location"] if theirs else "",
    }


def _google(user: User) -> Mapping[str, object] | None:
    return (
        GoogleCredential.objects.filter(user=user)
        .values("email", "scopes", "created_at", "last_refreshed_at", "grant_lost_at")
        .first()
    )


def _api_tokens(user: User) -> list[Mapping[str, object]]:
    return list(
        ApiToken.objects.filter(user=user)
        .order_by("created_at", "id")
        .values("name", "hint", "created_at", "last_used_at", "revoked_at")
    )


def _tasks(user: User) -> Iterator[Mapping[str, object]]:
    return (
        Task.objects.filter(user=user)
        .order_by("id")
        .values(
            "id",
            "title",
            "notes",
            "kind",
            "status",
            "priority",
            "due_at",
            "due_phrase",
            "duration_minutes",
            "confidence",
            "evidence",
            "extractor",
            "needs_review",
            "review_reason",
            "edited_by_user",
            "event_id",
            "event_start",
            "event_end",
            "event_link",
            "created_at",
            "updated_at",
            source_message_id=F("source__message_id"),
            source_subject=F("source__subject"),
            source_sender=F("source__sender"),
        )
        .iterator(chunk_size=_CHUNK)
    )


def _sync_runs(user: User) -> Iterator[Mapping[str, object]]:
    return (
        SyncRun.objects.filter(user=user)
        .order_by("created_at", "id")
        .values(
            "public_id",
            "trigger",
            "state",
            "messages_found",
            "messages_seen",
            "messages_skipped",
            "messages_processed",
            "messages_failed",
            "tasks_created",
            "events_scheduled",
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        )
        .iterator(chunk_size=_CHUNK)
    )


def _messages(user: User) -> Iterator[Mapping[str, object]]:
    # Metadata only: the text of an email is never exported (nor kept long, see docs/privacy.md).
    return (
        MessageReceipt.objects.filter(mailbox__user=user)
        .order_by("first_seen_at", "id")
        .values(
            "message_id",
            "header_message_id",
            "thread_id",
            "subject",
            "sender",
            "sender_name",
            "sent_at",
            "status",
            "skip_reason",
            "attempts",
            "first_seen_at",
            "processed_at",
        )
        .iterator(chunk_size=_CHUNK)
    )


def _array(rows: Iterable[Mapping[str, object]]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + _json(row)
    yield "]"


def user_data_export(*, user: User, now: dt.datetime | None = None) -> Iterator[str]:
    """The user's data as pieces of one JSON object: schema version, generation time, profile, mailbox,
    Google connection, API tokens, tasks, sync runs and messages (metadata). Join them for the document."""
    head = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "generated_at": now or timezone.now(),
        "profile": _profile(user),
        "mailbox": _mailbox(user),
        "google": _google(user),
        "api_tokens": _api_tokens(user),
    }
    yield _json(head)[:-1]  # the object stays open for the long lists that follow
    for name, rows in (
        ("tasks", _tasks(user)),
        ("sync_runs", _sync_runs(user)),
        ("messages", _messages(user)),
    ):
        yield f', "{name}": '
        yield from _array(rows)
    yield "}\n"


def user_data_export_response(*, user: User) -> StreamingHttpResponse:
    """The export as a download, for the settings page and the API alike."""
    response = StreamingHttpResponse(
        user_data_export(user=user), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename(user=user)}"'
    # Personal data: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response
