"""Reads of tasks for pages and the API."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from tasks_app.calendars import CalendarError, calendar_for
from tasks_app.models import Task
from tasks_app.scheduling import Interval

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

logger = logging.getLogger(__name__)


def tasks_for_user(*, user: User, include_closed: bool = False) -> QuerySet[Task]:
    qs = Task.objects.filter(user=user).select_related("source")
    if not include_closed:
        qs = qs.filter(status__in=Task.OPEN_STATUSES)
    return qs.order_by(*Task.LIST_ORDER)


def task_for_user(*, user: User, task_id: int) -> Task | None:
    return Task.objects.filter(user=user, pk=task_id).select_related("source").first()


def review_queue(*, user: User) -> QuerySet[Task]:
    """Tasks waiting for the user's approval, soonest due first (the review page shows it a page at a
    time)."""
    return (
        Task.objects.filter(user=user, status=Task.Status.PROPOSED)
        .select_related("source")
        .order_by(*Task.LIST_ORDER)
    )


# The dashboard's groups, in the order it shows them, and the lists the week view puts beside the grid. Each
# is a filter on open tasks, so a page reads only what it shows and counts the rest in SQL.
DASHBOARD_GROUPS = ("overdue", "today", "upcoming", "undated", "past")
TASK_GROUPS = (*DASHBOARD_GROUPS, "unscheduled")
GROUP_TITLES = {
    "overdue": "Overdue",
    "today": "Today",
    "upcoming": "Upcoming",
    "undated": "No date",
    "past": "Past",
    "unscheduled": "Not on the calendar",
}


@dataclass
class TaskGroups:
    """The first ``DASHBOARD_GROUP_SIZE`` tasks of each group, and each group's full count."""

    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)
    undated: list[Task] = field(default_factory=list)
    # Meetings that have ended: nothing is left to do, so they are not overdue. Latest first.
    past: list[Task] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    proposed_count: int = 0
    calendar_problem_count: int = 0
    # Whether the user has any task at all, open or closed (asked only when none is open).
    has_any_task: bool = True

    @property
    def total(self) -> int:
        return sum(self.counts.get(name, 0) for name in DASHBOARD_GROUPS)


def meeting_end(task: Task) -> dt.datetime | None:
    """When a meeting is over: its calendar block's end, else its start plus its length."""
    if task.event_end is not None:
        return task.event_end
    if task.due_at is None:
        return None
    return task.due_at + dt.timedelta(minutes=task.duration_minutes or settings.DEFAULT_TASK_MINUTES)


class _Minutes(Func):
    """A whole number of minutes as a duration. SQLite keeps durations as microseconds and Django has no
    portable integer-times-interval, so each database gets its own spelling."""

    arity = 1
    output_field = DurationField()
    template = "(%(expressions)s * 60000000)"

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        return self.as_sql(
            compiler, connection, template="make_interval(mins => %(expressions)s)", **extra_context
        )


def _meeting_end_expression() -> Coalesce:
    """``meeting_end`` in SQL: the block's end, else the due time plus the length (0 or none: the default)."""
    minutes = Coalesce(NullIf(F("duration_minutes"), Value(0)), Value(settings.DEFAULT_TASK_MINUTES))
    return Coalesce(
        F("event_end"), ExpressionWrapper(F("due_at") + _Minutes(minutes), output_field=DateTimeField())
    )


def _open_tasks(*, user: User) -> QuerySet[Task]:
    return tasks_for_user(user=user).alias(meeting_end=_meeting_end_expression())


def _group_filters(*, zone: dt.tzinfo, now: dt.datetime) -> dict[str, Q]:
    """Each group as a filter, by due time (in the user's zone for "today"). A meeting that has ended is
    past, one under way is today; only non-meetings are overdue. The first five split the open tasks."""
    today = timezone.localtime(now, zone).date()
    tomorrow_begins = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), zone)
    meeting = Q(kind=Task.Kind.MEETING)
    not_meeting = ~Q(kind=Task.Kind.MEETING)
    not_ended = not_meeting | Q(meeting_end__gt=now)
    return {
        "overdue": not_meeting & Q(due_at__lt=now),
        "today": Q(due_at__lt=tomorrow_begins)
        & ((not_meeting & Q(due_at__gte=now)) | (meeting & Q(meeting_end__gt=now))),
        "upcoming": Q(due_at__gte=tomorrow_begins) & not_ended,
        "undated": Q(due_at__isnull=True),
        "past": meeting & Q(due_at__isnull=False, meeting_end__lte=now),
        # Dated tasks without a calendar block (waiting for approval, or no free time was found).
        "unscheduled": Q(due_at__isnull=False) & ~_placed(),
    }


def _placed() -> Q:
    return Q(status=Task.Status.SCHEDULED, event_start__isnull=False, event_end__isnull=False)


def _in_group_order(tasks: QuerySet[Task], group: str) -> QuerySet[Task]:
    """The order the dashboard lists a group in: soonest due first, past meetings latest first."""
    tasks = tasks.order_by(*Task.LIST_ORDER)
    return tasks.reverse() if group == "past" else tasks


def group_tasks(*, user: User, group: str, zone: dt.tzinfo, now: dt.datetime | None = None) -> QuerySet[Task]:
    """Every open task of one group in the order the dashboard lists it (past meetings latest first).
    Raises ``KeyError`` for a group that does not exist."""
    condition = _group_filters(zone=zone, now=now or timezone.now())[group]
    return _in_group_order(_open_tasks(user=user).filter(condition), group)


def group_page(
    *,
    user: User,
    group: str,
    zone: dt.tzinfo,
    number: int | str,
    per_page: int,
    now: dt.datetime | None = None,
) -> Page[Task]:
    """One page of a group's "Show all" list. Its ids are picked from the index and only their rows read,
    as on the dashboard. Raises ``KeyError`` for a group that does not exist and ``InvalidPage`` for a page
    that does not."""
    ids = group_tasks(user=user, group=group, zone=zone, now=now).values_list("pk", flat=True)
    id_page = Paginator(ids, per_page).page(number)
    ids_shown = list(id_page.object_list)
    shown = tasks_listed(ids_shown)
    # The paginator counts ids; each stands for its task.
    paginator = cast("Paginator[Task]", id_page.paginator)
    return Page([shown[pk] for pk in ids_shown if pk in shown], id_page.number, paginator)


# What a list of tasks never shows and may be long: the email's whole text above all (a task's page reads it).
_LONG_TEXTS_NOT_LISTED = ("notes", "evidence", "review_reason", "source__body_text", "source__last_error")


def dashboard_groups(*, user: User, zone: dt.tzinfo, now: dt.datetime | None = None) -> TaskGroups:
    """Open tasks grouped as the dashboard shows them: the first ``DASHBOARD_GROUP_SIZE`` of each group and
    every group's count. One query for all the counts, one per group and one for the tasks shown, whatever
    the number of tasks."""
    now = now or timezone.now()
    filters = _group_filters(zone=zone, now=now)
    counts = _open_tasks(user=user).aggregate(
        **{name: Count("pk", filter=filters[name]) for name in DASHBOARD_GROUPS},
        proposed=Count("pk", filter=Q(status=Task.Status.PROPOSED)),
        # event_start first: it is in the index, so only the rows without a block are read for their error.
        calendar_problems=Count("pk", filter=Q(event_start__isnull=True) & ~Q(calendar_error="")),
    )
    groups = TaskGroups(
        counts={name: counts[name] for name in DASHBOARD_GROUPS},
        proposed_count=counts["proposed"],
        calendar_problem_count=counts["calendar_problems"],
    )
    if not groups.total:
        groups.has_any_task = Task.objects.filter(user=user).exists()
        return groups
    # Each group's first ids come from the index alone (task_user_status_due_list), in one narrow query a
    # group; then those rows are read with their emails in one query. Sorting whole rows joined to their
    # emails would read every task of a group, thousands on a large account. Every group is read, even an
    # empty one, so that the page's query count does not depend on the mix.
    size = settings.DASHBOARD_GROUP_SIZE
    open_tasks = _open_tasks(user=user)
    first_ids = {
        name: list(
            _in_group_order(open_tasks.filter(filters[name]), name).values_list("pk", flat=True)[:size]
        )
        for name in DASHBOARD_GROUPS
    }
    shown = tasks_listed([pk for ids in first_ids.values() for pk in ids])
    for name, ids in first_ids.items():
        setattr(groups, name, [shown[pk] for pk in ids if pk in shown])
    return groups


def tasks_listed(ids: Sequence[int]) -> dict[int, Task]:
    """The tasks with these ids, by id, with their emails, as a list of tasks shows them: without the long
    texts a list never shows. A task deleted since its id was read is left out."""
    # Unsorted: the ids give the order.
    listed = Task.objects.select_related("source").defer(*_LONG_TEXTS_NOT_LISTED).order_by()
    return listed.in_bulk(list(ids))


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
    unscheduled: list[Task]  # dated tasks without a block, the first DASHBOARD_GROUP_SIZE
    undated: list[Task]  # tasks without a due date, with or without a block, the first DASHBOARD_GROUP_SIZE
    proposed_count: int
    now_top: float | None
    now_day: dt.date | None
    # When this week has no blocks: the Monday of the nearest week that has some, to point the user there.
    nearest_week_with_blocks: dt.date | None = None
    # The calendar could not be read for other events: the week shows our blocks only, and says so.
    busy_unreadable: bool = False
    # The side lists hold at most DASHBOARD_GROUP_SIZE tasks; these are their full counts.
    unscheduled_count: int = 0
    undated_count: int = 0

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
    week_begins = dt.datetime.combine(days[0].date, dt.time(0), zone)
    week_ends = dt.datetime.combine(days[-1].date + dt.timedelta(days=1), dt.time(0), zone)
    open_tasks = _open_tasks(user=user)
    filters = _group_filters(zone=zone, now=now)
    counts = open_tasks.aggregate(
        proposed=Count("pk", filter=Q(status=Task.Status.PROPOSED)),
        unscheduled=Count("pk", filter=filters["unscheduled"]),
        undated=Count("pk", filter=filters["undated"]),
    )
    # Only this week's blocks and due times are read; the side lists are capped like the dashboard's groups.
    in_week = (_placed() & Q(event_start__gte=week_begins, event_start__lt=week_ends)) | (
        ~_placed() & Q(due_at__gte=week_begins, due_at__lt=week_ends)
    )
    for task in open_tasks.filter(in_week):
        if task.status == Task.Status.SCHEDULED and task.event_start and task.event_end:
            start = timezone.localtime(task.event_start, zone)
            end = timezone.localtime(task.event_end, zone)
            day = by_date[start.date()]
            # A block that runs past midnight is drawn to the end of its first day.
            day_end = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(0), start.tzinfo)
            day.blocks.append(WeekBlock(task=task, start=start, end=min(end, day_end)))
        elif task.due_at is not None:
            by_date[timezone.localtime(task.due_at, zone).date()].due_unplaced.append(task)
    size = settings.DASHBOARD_GROUP_SIZE
    unscheduled = list(open_tasks.filter(filters["unscheduled"])[:size])
    undated = list(open_tasks.filter(filters["undated"])[:size])

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
    if not any(day.blocks for day in days):
        around = open_tasks.filter(_placed()).aggregate(
            before=Max("event_start", filter=Q(event_start__lt=week_begins)),
            after=Min("event_start", filter=Q(event_start__gte=week_ends)),
        )
        block_weeks = {week_start_for(timezone.localtime(m, zone).date()) for m in around.values() if m}
        if block_weeks:
            nearest = min(block_weeks, key=lambda w: (abs((w - week_start).days), w))
    return Week(
        start=week_start,
        days=days,
        first_hour=first_hour,
        last_hour=last_hour,
        unscheduled=unscheduled,
        undated=undated,
        proposed_count=counts["proposed"],
        unscheduled_count=counts["unscheduled"],
        undated_count=counts["undated"],
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
