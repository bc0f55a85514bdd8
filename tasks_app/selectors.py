"""Reads of tasks for pages and the API."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from tasks_app.calendars import CalendarError, calendar_for
from tasks_app.models import Task
from tasks_app.scheduling import Interval

logger = logging.getLogger(__name__)


def tasks_for_user(*, user: User, include_closed: bool = False) -> QuerySet[Task]:
    qs = Task.objects.filter(user=user).select_related("source")
    if not include_closed:
        qs = qs.filter(status__in=Task.OPEN_STATUSES)
    return qs.order_by(*Task.LIST_ORDER)


def task_for_user(*, user: User, task_id: int) -> Task | None:
    return Task.objects.filter(user=user, pk=task_id).select_related("source").first()


def review_queue(*, user: User) -> list[Task]:
    """Tasks waiting for the user's approval, soonest due first. One query."""
    return list(
        Task.objects.filter(user=user, status=Task.Status.PROPOSED)
        .select_related("source")
        .order_by(*Task.LIST_ORDER)
    )


@dataclass
class TaskGroups:
    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)
    undated: list[Task] = field(default_factory=list)
    # Meetings that have ended: nothing is left to do, so they are not overdue. Latest first.
    past: list[Task] = field(default_factory=list)
    proposed: list[Task] = field(default_factory=list)
    calendar_problems: list[Task] = field(default_factory=list)
    # Whether the user has any task at all, open or closed (asked only when none is open).
    has_any_task: bool = True

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.upcoming) + len(self.undated) + len(self.past)


def meeting_end(task: Task) -> dt.datetime | None:
    """When a meeting is over: its calendar block's end, else its start plus its length."""
    if task.event_end is not None:
        return task.event_end
    if task.due_at is None:
        return None
    return task.due_at + dt.timedelta(minutes=task.duration_minutes or settings.DEFAULT_TASK_MINUTES)


def dashboard_groups(*, user: User, zone: dt.tzinfo, now: dt.datetime | None = None) -> TaskGroups:
    """Open tasks grouped as the dashboard shows them, by their due time (or, for undated tasks, their
    calendar block) in the user's zone. A meeting that has ended goes to ``past``, one under way to today.
    At most two queries whatever the number of tasks."""
    now = now or timezone.now()
    today = timezone.localtime(now, zone).date()
    groups = TaskGroups()
    for task in tasks_for_user(user=user):
        if task.status == Task.Status.PROPOSED:
            groups.proposed.append(task)
        elif task.calendar_error and not task.event_start:
            groups.calendar_problems.append(task)
        when = task.due_at
        if when is None:
            groups.undated.append(task)
        elif task.kind == Task.Kind.MEETING and (end := meeting_end(task)) is not None and end <= now:
            groups.past.append(task)
        elif when < now and task.kind != Task.Kind.MEETING:
            groups.overdue.append(task)
        elif timezone.localtime(when, zone).date() == today or when < now:
            groups.today.append(task)
        else:
            groups.upcoming.append(task)
    groups.past.reverse()
    if not groups.total:
        groups.has_any_task = Task.objects.filter(user=user).exists()
    return groups


def week_start_for(day: dt.date) -> dt.date:
    """The Monday of the week holding ``day``."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(kw_only=True)
class _Drawn:
    """Something drawn in one day column: position and height in percent of the day's visible hours, and a
    lane so that overlapping items sit side by side."""

    start: dt.datetime
    end: dt.datetime
    top: float = 0.0
    height: float = 0.0
    lane: int = 0
    lanes: int = 1

    @property
    def is_short(self) -> bool:
        """Too short for two lines: the time and the title share the first line."""
        return (self.end - self.start) <= dt.timedelta(minutes=30)

    @property
    def left(self) -> float:
        return 100.0 * self.lane / self.lanes

    @property
    def width(self) -> float:
        return 100.0 / self.lanes


@dataclass(kw_only=True)
class WeekBlock(_Drawn):
    """A task's calendar block."""

    task: Task


@dataclass(kw_only=True)
class BusyBlock(_Drawn):
    """Time taken by another event in the user's calendar (not one of ours). The calendar seam gives bare
    intervals, so it is shown as "Busy"."""

    title: str = "Busy"


@dataclass
class WeekDay:
    date: dt.date
    is_today: bool
    is_workday: bool
    blocks: list[WeekBlock] = field(default_factory=list)
    # The user's other events (Google Calendar), greyed out: why a block landed where it did.
    busy: list[BusyBlock] = field(default_factory=list)
    # Open tasks due this day that have no block (waiting for approval, or no free time was found).
    due_unplaced: list[Task] = field(default_factory=list)


@dataclass
class Week:
    start: dt.date
    days: list[WeekDay]
    first_hour: int
    last_hour: int
    unscheduled: list[Task]  # dated tasks without a block
    undated: list[Task]  # tasks without a due date, with or without a block
    proposed_count: int
    now_top: float | None
    now_day: dt.date | None
    # When this week has no blocks: the Monday of the nearest week that has some, to point the user there.
    nearest_week_with_blocks: dt.date | None = None
    # The calendar could not be read for other events: the week shows our blocks only, and says so.
    busy_unreadable: bool = False

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def previous(self) -> dt.date:
        return self.start - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.start + dt.timedelta(days=7)

    @property
    def hours(self) -> list[int]:
        return list(range(self.first_hour, self.last_hour))

    @property
    def block_count(self) -> int:
        return sum(len(day.blocks) for day in self.days)


def _assign_lanes(blocks: Sequence[_Drawn]) -> None:
    """Greedy lanes inside each cluster of overlapping blocks (like a calendar app's day view)."""
    blocks = sorted(blocks, key=lambda b: (b.start, b.end))
    cluster: list[_Drawn] = []
    cluster_end: dt.datetime | None = None
    lane_ends: list[dt.datetime] = []

    def close() -> None:
        for b in cluster:
            b.lanes = len(lane_ends)

    for block in blocks:
        if cluster_end is not None and block.start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], None
        for index, lane_end in enumerate(lane_ends):
            if lane_end <= block.start:
                block.lane = index
                lane_ends[index] = block.end
                break
        else:
            block.lane = len(lane_ends)
            lane_ends.append(block.end)
        cluster.append(block)
        cluster_end = block.end if cluster_end is None else max(cluster_end, block.end)
    close()


def week_view(
    *,
    user: User,
    zone: dt.tzinfo,
    week_start: dt.date,
    work_start: dt.time,
    work_end: dt.time,
    work_days: list[int],
    now: dt.datetime | None = None,
) -> Week:
    """The open tasks of one Monday-to-Sunday week in the user's zone, laid out for the week grid with the
    user's other calendar events, and the tasks that have no block beside it. One query for the tasks
    whatever their number, and one read of the calendar (a failed read leaves the other events out and
    sets ``busy_unreadable``)."""
    now = now or timezone.now()
    local_now = timezone.localtime(now, zone)
    today = local_now.date()
    days = [
        WeekDay(date=d, is_today=d == today, is_workday=d.isoweekday() in work_days)
        for d in (week_start + dt.timedelta(days=i) for i in range(7))
    ]
    by_date = {day.date: day for day in days}
    unscheduled: list[Task] = []
    undated: list[Task] = []
    proposed_count = 0
    block_weeks: set[dt.date] = set()
    for task in tasks_for_user(user=user):
        if task.status == Task.Status.PROPOSED:
            proposed_count += 1
        placed = task.status == Task.Status.SCHEDULED and task.event_start and task.event_end
        if placed:
            start = timezone.localtime(task.event_start, zone)
            end = timezone.localtime(task.event_end, zone)
            block_weeks.add(week_start_for(start.date()))
            day = by_date.get(start.date())
            if day is not None:
                # A block that runs past midnight is drawn to the end of its first day.
                day_end = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(0), start.tzinfo)
                day.blocks.append(WeekBlock(task=task, start=start, end=min(end, day_end)))
        elif task.due_at is not None:
            due_day = by_date.get(timezone.localtime(task.due_at, zone).date())
            if due_day is not None:
                due_day.due_unplaced.append(task)
        if task.due_at is None:
            undated.append(task)
        elif not placed:
            unscheduled.append(task)

    first_hour, last_hour = work_start.hour, work_end.hour + (1 if work_end.minute else 0)
    for day in days:
        for block in day.blocks:
            first_hour = min(first_hour, block.start.hour)
            end_hour = 24 if block.end.date() > day.date else block.end.hour + (1 if block.end.minute else 0)
            last_hour = max(last_hour, end_hour)
    first_hour, last_hour = max(0, first_hour), min(24, max(last_hour, first_hour + 1))
    busy_unreadable = False
    try:
        _add_busy_blocks(user=user, zone=zone, days=days, first_hour=first_hour, last_hour=last_hour)
    except CalendarError as e:
        logger.warning("Could not read busy time for the week view of user %s: %s", user.pk, e)
        busy_unreadable = True
    span = (last_hour - first_hour) * 60
    for day in days:
        day.blocks.sort(key=lambda b: (b.start, b.end))
        origin = dt.datetime.combine(day.date, dt.time(first_hour), zone)
        drawn: list[_Drawn] = [*day.blocks, *day.busy]
        for item in drawn:
            offset = (item.start - origin).total_seconds() / 60
            length = max(15.0, (item.end - item.start).total_seconds() / 60)
            item.top = round(100.0 * offset / span, 3)
            item.height = round(min(100.0 - item.top, 100.0 * length / span), 3)
        # Other events share the lanes, so a block that overlaps one stays visible beside it.
        _assign_lanes(drawn)

    now_top = None
    if today in by_date and first_hour <= local_now.hour < last_hour:
        minutes = (local_now.hour - first_hour) * 60 + local_now.minute
        now_top = round(100.0 * minutes / span, 3)
    nearest = None
    if not any(day.blocks for day in days) and block_weeks:
        nearest = min(block_weeks, key=lambda w: (abs((w - week_start).days), w))
    return Week(
        start=week_start,
        days=days,
        first_hour=first_hour,
        last_hour=last_hour,
        unscheduled=unscheduled,
        undated=undated,
        proposed_count=proposed_count,
        now_top=now_top,
        now_day=today if today in by_date else None,
        nearest_week_with_blocks=nearest,
        busy_unreadable=busy_unreadable,
    )


def _to_the_second(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0)


def calendar_busy_not_ours(*, user: User, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """Busy time in the user's calendar between ``start`` and ``end`` from events that are not our task
    blocks, soonest first. Raises ``CalendarError`` when the calendar cannot be read.

    The seam answers bare intervals, so our own events are told apart by their times: each written task
    block takes away one interval with exactly its start and end (one, so that another event at the very
    same time still shows)."""
    busy = calendar_for(user).busy(start, end)
    ours = Counter(
        (_to_the_second(s), _to_the_second(e))
        for s, e in Task.objects.filter(
            user=user, event_written=True, event_start__lt=end, event_end__gt=start
        ).values_list("event_start", "event_end")
        if s is not None and e is not None
    )
    others: list[Interval] = []
    for s, e in busy:
        key = (_to_the_second(s), _to_the_second(e))
        if ours[key] > 0:
            ours[key] -= 1
        else:
            others.append((s, e))
    return sorted(others)


def _add_busy_blocks(
    *, user: User, zone: dt.tzinfo, days: list[WeekDay], first_hour: int, last_hour: int
) -> None:
    """Put the user's other events into the day columns, cut to the hours the grid shows."""
    week_begins = dt.datetime.combine(days[0].date, dt.time(0), zone)
    week_ends = dt.datetime.combine(days[-1].date + dt.timedelta(days=1), dt.time(0), zone)
    others = calendar_busy_not_ours(user=user, start=week_begins, end=week_ends)
    for day in days:
        shown_from = dt.datetime.combine(day.date, dt.time(first_hour), zone)
        shown_until = (
            dt.datetime.combine(day.date + dt.timedelta(days=1), dt.time(0), zone)
            if last_hour >= 24
            else dt.datetime.combine(day.date, dt.time(last_hour), zone)
        )
        for busy_start, busy_end in others:
            start, end = max(busy_start, shown_from), min(busy_end, shown_until)
            if start < end:
                day.busy.append(
                    BusyBlock(start=timezone.localtime(start, zone), end=timezone.localtime(end, zone))
                )


@dataclass
class EvidenceSpan:
    before: str
    match: str
    after: str


_WORD = re.compile(r"\w+", re.UNICODE)


def evidence_in_text(text: str, evidence: str) -> EvidenceSpan | None:
    """Find the sentence a task came from inside the email's text, tolerating the differences extraction
    introduces (line breaks, repeated spaces, quote marks, case). None when it cannot be found."""
    evidence = evidence.strip()
    if not text or not evidence:
        return None
    index = text.find(evidence)
    if index >= 0:
        return EvidenceSpan(text[:index], text[index : index + len(evidence)], text[index + len(evidence) :])
    words = _WORD.findall(evidence)
    if not words:
        return None
    # Words in order, anything that is not a word character (spaces, newlines, "> " quote marks) between.
    pattern = re.compile(r"\W+".join(re.escape(w) for w in words), re.IGNORECASE | re.UNICODE)
    found = pattern.search(text)
    if found is None:
        return None
    return EvidenceSpan(text[: found.start()], found.group(0), text[found.end() :])
