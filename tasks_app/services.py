"""Writes that concern tasks and their calendar events."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Profile
from tasks_app.calendars import (
    INSERT_BATCH_SIZE,
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
from tasks_app.scheduling import (
    BusyTimes,
    Interval,
    Placement,
    Planner,
    WorkingHours,
    fixed_block,
)
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


# Among tasks due at the same time, the more important one is placed first.
_PRIORITY_RANK: dict[str, int] = {Task.Priority.HIGH: 0, Task.Priority.NORMAL: 1, Task.Priority.LOW: 2}
_NO_DUE = dt.datetime.max.replace(tzinfo=dt.UTC)


def _has_fixed_time(task: Task) -> bool:
    return task.kind == Task.Kind.MEETING and task.due_at is not None


def _placement_order(task: Task) -> tuple[bool, dt.datetime, int, int]:
    """Blocks that are not ours to choose first (a meeting's stated time, a block already chosen), then the
    tasks that need a free block: by due time, undated last, then by priority, then oldest first."""
    fixed = _has_fixed_time(task) or task.event_start is not None
    return (not fixed, task.due_at or _NO_DUE, _PRIORITY_RANK.get(task.priority, 1), task.pk)


def _busy_times(calendar: Calendar, user: User, start: dt.datetime, end: dt.datetime) -> BusyTimes:
    """What already takes time between ``start`` and ``end``: the calendar's busy events, read in one call,
    and the blocks we chose that the calendar does not show yet (a write that failed, a block moved by hand
    that waits to be written)."""
    busy = BusyTimes(calendar.busy(start, end))
    unwritten = (
        Task.objects.filter(user=user, status=Task.Status.SCHEDULED, event_start__lt=end, event_end__gt=start)
        .filter(Q(event_written=False) | Q(calendar_pending=True))
        .values_list("event_start", "event_end")
    )
    for block_start, block_end in unwritten:
        if block_start and block_end:
            busy.add(block_start, block_end)
    return busy


class _PlacementPass:
    """The blocks of one ``calendar_sync``. Busy time is read from the calendar at most once, when the first
    task that needs a free block comes up (a meeting at its stated time needs none); a read that failed is
    not repeated for each task."""

    def __init__(self, *, calendar: Calendar, profile: Profile, now: dt.datetime) -> None:
        self.calendar = calendar
        self.profile = profile
        self.now = now
        self.horizon = dt.timedelta(days=settings.SCHEDULING_HORIZON_DAYS)
        self._planner: Planner | None = None
        self._read_error: CalendarError | None = None
        self._fixed: list[Interval] = []

    def _planner_for_pass(self) -> Planner:
        if self._planner is None:
            if self._read_error is not None:
                raise self._read_error
            try:
                busy = _busy_times(self.calendar, self.profile.user, self.now, self.now + self.horizon)
            except CalendarError as e:
                self._read_error = e
                raise
            for block_start, block_end in self._fixed:
                busy.add(block_start, block_end)
            self._planner = Planner(
                now=self.now, hours=_working_hours(self.profile), horizon=self.horizon, busy=busy
            )
        return self._planner

    def place(self, task: Task) -> Placement | None:
        duration = dt.timedelta(minutes=task.duration_minutes or settings.DEFAULT_TASK_MINUTES)
        if _has_fixed_time(task):
            assert task.due_at is not None
            placement = fixed_block(start=task.due_at, duration=duration)
            if self._planner is None:
                self._fixed.append((placement.start, placement.end))
            else:
                self._planner.busy.add(placement.start, placement.end)
            return placement
        return self._planner_for_pass().place(kind=task.kind, due=task.due_at, duration=duration)

    def no_room_message(self) -> str:
        return f"No free block in your working hours in the next {self.horizon.days} days."


def _blocks_under_meetings(user: User, scheduled: list[Task]) -> list[Task]:
    """The blocks of ours that a meeting this pass puts at its stated time lands on, whether waiting in
    ``scheduled`` or already on the calendar. A meeting keeps its time whatever is there and a task block
    may overlap nothing, so each is returned with its time cleared, to be placed afresh: moved where its
    event is (or, with no room left, taken off the calendar)."""
    meetings = BusyTimes()
    for task in scheduled:
        if _has_fixed_time(task):
            assert task.due_at is not None
            duration = dt.timedelta(minutes=task.duration_minutes or settings.DEFAULT_TASK_MINUTES)
            block = fixed_block(start=task.due_at, duration=duration)
            meetings.add(task.event_start or block.start, task.event_end or block.end)
    if not meetings:
        return []
    starts, ends = zip(*meetings, strict=True)

    def under_a_meeting(task: Task) -> bool:
        return (
            not _has_fixed_time(task)
            and task.event_start is not None
            and task.event_end is not None
            and meetings.blocked_until(task.event_start, task.event_end) is not None
        )

    waiting = [task for task in scheduled if under_a_meeting(task)]
    on_calendar = (
        Task.objects.filter(
            user=user,
            status=Task.Status.SCHEDULED,
            calendar_pending=False,
            event_start__lt=max(ends),
            event_end__gt=min(starts),
        )
        .exclude(pk__in=[task.pk for task in scheduled])
        .select_related("source")
    )
    moved = [task for task in on_calendar if under_a_meeting(task)]
    displaced = [*waiting, *moved]
    # Saved now, times cleared too: should the pass stop before their events move (the meeting written in an
    # earlier batch of 50, say), the next pass places them afresh instead of writing them back where the
    # meeting is.
    Task.objects.filter(pk__in=[task.pk for task in displaced]).update(
        calendar_pending=True, event_start=None, event_end=None
    )
    for task in displaced:
        task.event_start = task.event_end = None
        task.calendar_pending = True
    return displaced


def calendar_sync(*, user: User, now: dt.datetime | None = None) -> int:
    """Bring the calendar in line with every task that waits for it: place, move or remove events.

    Events to remove go first (their time is free again), then meetings at their stated times and blocks
    already chosen, then the tasks that need a free block: by due time (undated last), then priority. The
    calendar's busy time is read once for the whole pass, and every block placed is added to it, so no task
    block overlaps an event or another block; meetings may overlap each other (see ``Planner``). A block of
    ours already on the calendar that a meeting of this pass lands on is placed afresh in the same pass
    (``_blocks_under_meetings``): its event moves, or leaves the calendar when no other block is free.

    Placed tasks are written ``INSERT_BATCH_SIZE`` at a time (``_write_events``): their event ids (derived
    from the task's stable key) are stored before the calendar is called, new events go in one
    ``insert_many`` (Google's batch endpoint), and the tasks written are saved together. If we crash after the
    calendar wrote an event but before we saved that, the next pass meets ``EventExists`` and updates
    instead of duplicating. A transient calendar error stops the pass after its batch: the tasks not written
    stay pending and are written on a later sync.
    Returns how many events were placed or moved.
    """
    now = now or timezone.now()
    profile = Profile.objects.select_related("user").get(user=user)
    calendar = calendar_for(user)
    placing = _PlacementPass(calendar=calendar, profile=profile, now=now)
    pending = list(Task.objects.filter(user=user, calendar_pending=True).select_related("source"))
    removals = [task for task in pending if task.status != Task.Status.SCHEDULED]
    scheduled = [task for task in pending if task.status == Task.Status.SCHEDULED]
    displaced = {task.pk: task for task in _blocks_under_meetings(user, scheduled)}
    scheduled = sorted({**{task.pk: task for task in scheduled}, **displaced}.values(), key=_placement_order)
    for task in removals:
        try:
            if task.event_written and task.event_id:
                calendar.delete(task.event_id)
                task.event_written = False
            _calendar_matches(task)
            task.save(update_fields=_WRITTEN_FIELDS)
        except CalendarError as e:
            if _calendar_failed(task, e):
                return 0
    placed: list[Task] = []
    for task in scheduled:
        if task.event_start is None:
            try:
                placement = placing.place(task)  # the first one reads the calendar's busy time
            except CalendarError as e:
                if _calendar_failed(task, e):
                    return 0
                continue
            if placement is None:
                if task.pk in displaced and task.event_written:
                    # A meeting took its block and no other is free: it leaves the calendar, told why.
                    try:
                        calendar.delete(task.event_id)
                    except CalendarError as e:
                        if _calendar_failed(task, e):
                            return 0
                        continue
                    task.event_written = False
                task.calendar_error = placing.no_room_message()
                task.calendar_pending = False
                task.save(
                    update_fields=[
                        "event_start",
                        "event_end",
                        "event_written",
                        "calendar_error",
                        "calendar_pending",
                        "updated_at",
                    ]
                )
                continue
            task.event_start, task.event_end = placement.start, placement.end
        if not task.event_id:
            task.event_id = event_id_for(task_stable_key(task))
        placed.append(task)
    written = 0
    for start in range(0, len(placed), INSERT_BATCH_SIZE):
        batch_written, stop = _write_events(calendar, profile, placed[start : start + INSERT_BATCH_SIZE])
        written += batch_written
        if stop:
            break
    return written


# What a task records once the calendar matches it.
_WRITTEN_FIELDS = ["event_link", "event_written", "calendar_pending", "calendar_error", "updated_at"]


def _calendar_matches(task: Task) -> None:
    task.calendar_pending = False
    # The calendar now matches the task: an error from an earlier attempt no longer holds.
    task.calendar_error = ""


def _calendar_failed(task: Task, error: CalendarError) -> bool:
    """Record the error on the task; True when it should stop the pass (the rest stay pending)."""
    logger.warning("Calendar write for task %s failed: %s", task.pk, error)
    Task.objects.filter(pk=task.pk).update(calendar_error=str(error)[:500])
    return error.transient


def _write_events(calendar: Calendar, profile: Profile, tasks: list[Task]) -> tuple[int, bool]:
    """Write the events of up to ``INSERT_BATCH_SIZE`` placed tasks: their ids and times are saved first (one
    statement), new events go in one ``insert_many``, moved ones are updated one by one, and the tasks
    written are saved together. Returns (events written, whether a transient error stops the pass)."""
    moment = timezone.now()
    for task in tasks:
        task.updated_at = moment
    Task.objects.bulk_update(tasks, ["event_id", "event_start", "event_end", "updated_at"])
    new = [task for task in tasks if not task.event_written]
    outcomes: dict[int, EventRef | CalendarError] = {}
    try:
        inserted = calendar.insert_many([_event_spec(task, profile) for task in new]) if new else []
    except CalendarError as e:
        inserted = [e] * len(new)
    for task, inserted_one in zip(new, inserted, strict=True):
        # Written by an earlier pass that died before saving it: bring it in line, exactly one event.
        outcomes[task.pk] = (
            _write_outcome(calendar, _event_spec(task, profile), exists=True)
            if isinstance(inserted_one, EventExists)
            else inserted_one
        )
    stop = any(isinstance(o, CalendarError) and o.transient for o in outcomes.values())
    for task in tasks:
        if task.event_written and not stop:
            outcomes[task.pk] = _write_outcome(calendar, _event_spec(task, profile), exists=True)
            stop = stop or _transient(outcomes[task.pk])
    done: list[Task] = []
    for task in tasks:
        outcome = outcomes.get(task.pk)
        if isinstance(outcome, EventRef):
            task.event_link = outcome.link
            task.event_written = True
            _calendar_matches(task)
            done.append(task)
        elif isinstance(outcome, CalendarError):
            _calendar_failed(task, outcome)
    Task.objects.bulk_update(done, _WRITTEN_FIELDS)
    return len(done), stop


def _write_outcome(calendar: Calendar, spec: EventSpec, *, exists: bool) -> EventRef | CalendarError:
    try:
        return _write_event(calendar, spec, exists=exists)
    except CalendarError as e:
        return e


def _transient(outcome: EventRef | CalendarError) -> bool:
    return isinstance(outcome, CalendarError) and outcome.transient


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
