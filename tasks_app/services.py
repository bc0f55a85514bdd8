"""Writes that concern tasks and their calendar events."""

from __future__ import annotations

import datetime as dt
import logging
from types import EllipsisType
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import Profile
from tasks_app.calendars import (
    Calendar,
    CalendarError,
    EventExists,
    EventMissing,
    EventRef,
    EventSpec,
    calendar_for,
    event_id_for,
)
from tasks_app.extraction import MAX_TITLE_LENGTH
from tasks_app.models import Task
from tasks_app.scheduling import Interval, WorkingHours, place_task

logger = logging.getLogger(__name__)


def task_key(task: Task) -> str:
    """A key that stays the same for the same task across reruns: mailbox, source message and position."""
    return f"{task.source.mailbox_id}:{task.source.message_id}:{task.position}"


def _working_hours(profile: Profile) -> WorkingHours:
    return WorkingHours(
        zone=profile.zone, start=profile.work_start, end=profile.work_end, days=profile.working_days
    )


def _event_spec(task: Task, profile: Profile) -> EventSpec:
    assert task.event_start is not None and task.event_end is not None
    lines = []
    if task.evidence:
        lines.append(f"“{task.evidence}”")
    receipt = task.source
    if receipt.subject or receipt.sender:
        lines.append(f"From the email “{receipt.subject}” by {receipt.sender}.")
    if task.due_at and task.kind == Task.Kind.DEADLINE:
        due_local = timezone.localtime(task.due_at, profile.zone)
        lines.append(f"Due {due_local:%a %d %b %Y %H:%M %Z}.")
    return EventSpec(
        event_id=task.event_id,
        summary=task.title,
        description="\n".join(lines),
        start=task.event_start,
        end=task.event_end,
        timezone=profile.timezone,
        task_key=str(task.pk),
        priority=task.priority,
    )


def _busy(calendar: Calendar, user: User, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    busy = list(calendar.busy(start, end))
    planned = Task.objects.filter(
        user=user, status=Task.Status.SCHEDULED, event_start__lt=end, event_end__gt=start, event_written=False
    ).values_list("event_start", "event_end")
    busy.extend((s, e) for s, e in planned if s and e)
    return busy


def _plan(task: Task, profile: Profile, calendar: Calendar, now: dt.datetime) -> bool:
    """Choose the block for a task that has none. Returns False when no block could be found."""
    duration = dt.timedelta(minutes=task.duration_minutes or settings.DEFAULT_TASK_MINUTES)
    horizon = dt.timedelta(days=settings.SCHEDULING_HORIZON_DAYS)
    window_start = min(now, task.due_at) if task.due_at else now
    busy = _busy(calendar, profile.user, window_start, now + horizon + duration)
    placement = place_task(
        kind=task.kind,
        due=task.due_at,
        duration=duration,
        now=now,
        hours=_working_hours(profile),
        busy=busy,
        horizon=horizon,
    )
    if placement is None:
        task.calendar_error = f"No free block in your working hours in the next {horizon.days} days."
        return False
    task.event_start, task.event_end = placement.start, placement.end
    task.calendar_error = ""
    return True


def calendar_sync(*, user: User, now: dt.datetime | None = None) -> int:
    """Bring the calendar in line with every task that waits for it: place, move or remove events.

    Each task's event id is stored before the calendar is called; if we crash after the calendar wrote the
    event but before we saved that, the next call meets ``EventExists`` and updates instead of duplicating.
    A transient calendar error stops the pass: the tasks stay pending and are written on a later sync.
    Returns how many events were placed or moved.
    """
    now = now or timezone.now()
    profile = Profile.objects.select_related("user").get(user=user)
    calendar = calendar_for(user)
    written = 0
    pending = (
        Task.objects.filter(user=user, calendar_pending=True)
        .select_related("source")
        .order_by("due_at", "id")
    )
    for task in pending:
        try:
            if task.status == Task.Status.SCHEDULED:
                if task.event_start is None and not _plan(task, profile, calendar, now):
                    task.calendar_pending = False
                    task.save(update_fields=["calendar_error", "calendar_pending", "updated_at"])
                    continue
                if not task.event_id:
                    task.event_id = event_id_for(task_key(task))
                task.save(
                    update_fields=["event_id", "event_start", "event_end", "calendar_error", "updated_at"]
                )
                ref = _write_event(calendar, _event_spec(task, profile), exists=task.event_written)
                task.event_link = ref.link
                task.event_written = True
                written += 1
            elif task.event_written and task.event_id:
                calendar.delete(task.event_id)
                task.event_written = False
            task.calendar_pending = False
            # The calendar now matches the task: an error from an earlier attempt no longer holds.
            task.calendar_error = ""
            task.save(
                update_fields=[
                    "event_link",
                    "event_written",
                    "calendar_pending",
                    "calendar_error",
                    "updated_at",
                ]
            )
        except CalendarError as e:
            logger.warning("Calendar write for task %s failed: %s", task.pk, e)
            Task.objects.filter(pk=task.pk).update(calendar_error=str(e)[:500])
            if e.transient:
                break
    return written


def _write_event(calendar: Calendar, spec: EventSpec, *, exists: bool) -> EventRef:
    if exists:
        try:
            return calendar.update(spec)
        except EventMissing:
            return calendar.insert(spec)
    try:
        return calendar.insert(spec)
    except EventExists:
        return calendar.update(spec)


class TaskChangeError(ValueError):
    pass


@transaction.atomic
def task_update(
    *,
    task: Task,
    status: str | None = None,
    title: str | None = None,
    due_at: dt.datetime | EllipsisType | None = ...,
    duration_minutes: int | EllipsisType | None = ...,
    event_start: dt.datetime | None = None,
) -> Task:
    """Change a task as its owner asked; the calendar follows on the next ``calendar_sync``."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if status is not None:
        if status not in Task.Status.values:
            raise TaskChangeError(f"Unknown status {status!r}")
        if status != task.status:
            task.status = status
            task.calendar_pending = True
            if status == Task.Status.SCHEDULED and not task.event_written:
                task.event_start = task.event_end = None  # place it afresh from now
    if title is not None:
        title = title.strip()
        if not title:
            raise TaskChangeError("The title cannot be empty.")
        task.title = title[:MAX_TITLE_LENGTH]
        task.calendar_pending = task.calendar_pending or task.event_written
    reschedule = False
    if due_at is not ...:
        task.due_at = due_at
        reschedule = True
    if duration_minutes is not ...:
        if duration_minutes is not None and not (5 <= int(duration_minutes) <= 24 * 60):
            raise TaskChangeError("The duration must be between 5 minutes and 24 hours.")
        task.duration_minutes = duration_minutes
        reschedule = True
    if event_start is not None:
        minutes = task.duration_minutes or settings.DEFAULT_TASK_MINUTES
        task.event_start = event_start
        task.event_end = event_start + dt.timedelta(minutes=minutes)
        task.calendar_pending = True
    elif reschedule:
        if task.kind == Task.Kind.MEETING and task.due_at:
            minutes = task.duration_minutes or settings.DEFAULT_TASK_MINUTES
            task.event_start = task.due_at
            task.event_end = task.due_at + dt.timedelta(minutes=minutes)
        else:
            task.event_start = task.event_end = None
        task.calendar_pending = True
    task.edited_by_user = True
    task.save()
    return task


def tasks_apply_and_sync(*, task: Task, **changes: Any) -> Task:
    """Change a task and bring the calendar along at once (the local calendar is always reachable;
    a remote one that fails leaves the task pending for the next sync)."""
    task = task_update(task=task, **changes)
    calendar_sync(user=task.user)
    task.refresh_from_db()
    return task


def task_move_to_next_free_slot(*, task: Task) -> bool:
    """Move a task's block to the next free time in working hours and bring the calendar along.

    The block it holds now is still on the calendar while the new one is chosen, so it counts as busy and
    the task lands somewhere else; the event keeps its id and is updated in place. When no other block is
    free the task keeps the one it had. Returns whether it moved.
    """
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        old_start, old_end = task.event_start, task.event_end
        task.event_start = task.event_end = None
        task.calendar_pending = True
        task.edited_by_user = True
        task.save()
    calendar_sync(user=task.user)
    task.refresh_from_db()
    if task.event_start is None and old_start is not None:
        Task.objects.filter(pk=task.pk).update(
            event_start=old_start, event_end=old_end, calendar_pending=False, calendar_error=""
        )
        return False
    return task.event_start is not None and task.event_start != old_start
