"""Writes that concern tasks and their calendar events."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TypedDict

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
from tasks_app.extractors import MAX_TITLE_LENGTH
from tasks_app.models import Task
from tasks_app.scheduling import Interval, WorkingHours, place_task
from tasks_app.selectors import calendar_busy_not_ours

logger = logging.getLogger(__name__)


def task_stable_key(task: Task) -> str:
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
                    task.event_id = event_id_for(task_stable_key(task))
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


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update().get(pk=task.pk)


def _set_status(task: Task, status: str) -> None:
    if status not in Task.Status.values:
        raise TaskChangeError(f"Unknown status {status!r}")
    if status != task.status:
        task.status = status
        task.calendar_pending = True
        if status == Task.Status.SCHEDULED and not task.event_written:
            task.event_start = task.event_end = None  # place it afresh from now


def _set_title(task: Task, title: str) -> None:
    title = title.strip()
    if not title:
        raise TaskChangeError("The title cannot be empty.")
    task.title = title[:MAX_TITLE_LENGTH]
    task.calendar_pending = task.calendar_pending or task.event_written


def _set_duration(task: Task, minutes: int | None) -> None:
    if minutes is not None and not (5 <= int(minutes) <= 24 * 60):
        raise TaskChangeError("The duration must be between 5 minutes and 24 hours.")
    task.duration_minutes = minutes


def _replan(task: Task) -> None:
    """After a new due time or duration: a meeting sits at its due time, anything else is placed afresh."""
    if task.kind == Task.Kind.MEETING and task.due_at:
        minutes = task.duration_minutes or settings.DEFAULT_TASK_MINUTES
        task.event_start = task.due_at
        task.event_end = task.due_at + dt.timedelta(minutes=minutes)
    else:
        task.event_start = task.event_end = None
    task.calendar_pending = True


def _save_edit(task: Task) -> Task:
    # From now on extraction running again leaves the task alone: the user's word wins.
    task.edited_by_user = True
    task.save()
    return task


# The services below change a task as its owner asked. The calendar follows on the next ``calendar_sync``,
# which the views call right after (the local calendar is always reachable; a remote one that fails leaves
# the task pending for the next sync).


@transaction.atomic
def task_approve(*, task: Task) -> Task:
    """Put a proposed task on the calendar."""
    task = _locked(task)
    _set_status(task, Task.Status.SCHEDULED)
    return _save_edit(task)


@transaction.atomic
def task_reopen(*, task: Task) -> Task:
    """Put a done or dismissed task back on the list and the calendar (under its old event id)."""
    task = _locked(task)
    _set_status(task, Task.Status.SCHEDULED)
    return _save_edit(task)


@transaction.atomic
def task_mark_done(*, task: Task) -> Task:
    task = _locked(task)
    _set_status(task, Task.Status.DONE)
    return _save_edit(task)


@transaction.atomic
def task_dismiss(*, task: Task) -> Task:
    """Dismiss a task (or reject a proposed one): it leaves the calendar."""
    task = _locked(task)
    _set_status(task, Task.Status.DISMISSED)
    return _save_edit(task)


@transaction.atomic
def task_retitle(*, task: Task, title: str) -> Task:
    """Rename a task; its event, if written, is renamed too. Raises ``TaskChangeError`` for a blank title."""
    task = _locked(task)
    _set_title(task, title)
    return _save_edit(task)


class TaskMoveRefused(TaskChangeError):
    """The block cannot go there at all (it would start in the past)."""


class TaskMoveNeedsConfirmation(TaskChangeError):
    """The block can go there, but the user should know why it may be a bad idea before it does."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


_DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _outside_working_hours(profile: Profile, start: dt.datetime, end: dt.datetime) -> str | None:
    local_start = timezone.localtime(start, profile.zone)
    local_end = timezone.localtime(end, profile.zone)
    inside = (
        local_start.isoweekday() in profile.working_days
        and local_start.date() == local_end.date()
        and profile.work_start <= local_start.time()
        and local_end.time() <= profile.work_end
    )
    if inside:
        return None
    days = ", ".join(_DAY_NAMES[d - 1] for d in sorted(profile.working_days))
    return (
        f"{local_start:%a %d %b, %H:%M}–{local_end:%H:%M} is outside your working hours "
        f"({days}, {profile.work_start:%H:%M}–{profile.work_end:%H:%M}, {profile.timezone})."
    )


def _move_concerns(task: Task, profile: Profile, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Why a block at [start, end) may be a bad idea: outside working hours, over another of the user's
    blocks or meetings, over another event in their calendar (or that calendar could not be checked)."""
    zone = profile.zone
    concerns: list[str] = []
    hours = _outside_working_hours(profile, start, end)
    if hours:
        concerns.append(hours)
    others = Task.objects.filter(
        user=task.user, status=Task.Status.SCHEDULED, event_start__lt=end, event_end__gt=start
    ).exclude(pk=task.pk)
    for other in others.order_by("event_start", "id"):
        assert other.event_start is not None and other.event_end is not None
        what = "the meeting" if other.kind == Task.Kind.MEETING else "the block for"
        concerns.append(
            f"It overlaps {what} “{other.title}” "
            f"({timezone.localtime(other.event_start, zone):%H:%M}–"
            f"{timezone.localtime(other.event_end, zone):%H:%M})."
        )
    try:
        busy = calendar_busy_not_ours(user=task.user, start=start, end=end)
    except CalendarError as e:
        logger.warning("Could not read busy time to check a move of task %s: %s", task.pk, e)
        concerns.append("Your calendar could not be read, so other events at that time were not checked.")
    else:
        for busy_start, busy_end in busy:
            concerns.append(
                f"It overlaps another event in your calendar "
                f"({timezone.localtime(busy_start, zone):%H:%M}–{timezone.localtime(busy_end, zone):%H:%M})."
            )
    return concerns


def task_move_to(
    *, task: Task, start: dt.datetime, confirmed: bool = False, now: dt.datetime | None = None
) -> Task:
    """Put a task's block at ``start``, keeping its length; the calendar follows on the next sync.

    A start in the past raises ``TaskMoveRefused``. A block outside the user's working hours, or over one
    of their meetings, another block or another event in their calendar, raises
    ``TaskMoveNeedsConfirmation`` with the reasons, unless the user ``confirmed`` the move."""
    now = now or timezone.now()
    if start < now:
        raise TaskMoveRefused(
            "Pick a time in the future: that time has already passed, and a block there would never happen."
        )
    minutes = task.duration_minutes or settings.DEFAULT_TASK_MINUTES
    end = start + dt.timedelta(minutes=minutes)
    if not confirmed:
        # Read outside the transaction: the check may call a remote calendar, and no row is locked yet.
        profile = Profile.objects.get(user=task.user)
        concerns = _move_concerns(task, profile, start, end)
        if concerns:
            raise TaskMoveNeedsConfirmation(concerns)
    with transaction.atomic():
        task = _locked(task)
        task.event_start = start
        task.event_end = end
        task.calendar_pending = True
        return _save_edit(task)


class TaskEdit(TypedDict, total=False):
    """The fields a form or an API PATCH may change at once; a field left out stays as it is."""

    status: str
    title: str
    due_at: dt.datetime | None
    duration_minutes: int | None


@transaction.atomic
def task_edit_fields(*, task: Task, changes: TaskEdit) -> Task:
    """Change several fields at once, all or none (``TaskChangeError`` changes nothing). A new due time or
    duration plans the block again, once, from the task as it ends up."""
    task = _locked(task)
    if "status" in changes:
        _set_status(task, changes["status"])
    if "title" in changes:
        _set_title(task, changes["title"])
    if "due_at" in changes:
        task.due_at = changes["due_at"]
    if "duration_minutes" in changes:
        _set_duration(task, changes["duration_minutes"])
    if "due_at" in changes or "duration_minutes" in changes:
        _replan(task)
    return _save_edit(task)


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
