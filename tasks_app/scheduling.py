"""Finding a place on the calendar for a task. Pure functions: no database, no clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

SLOT_STEP = dt.timedelta(minutes=15)

Interval = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class WorkingHours:
    zone: zoneinfo.ZoneInfo
    start: dt.time
    end: dt.time
    days: Sequence[int]  # ISO weekdays, Monday = 1


@dataclass(frozen=True)
class Placement:
    start: dt.datetime
    end: dt.datetime
    note: str = ""  # why the block is not where one would expect (e.g. after the deadline)


def _round_up(moment: dt.datetime) -> dt.datetime:
    step = int(SLOT_STEP.total_seconds())
    seconds = int(moment.timestamp())
    rounded = -(-seconds // step) * step
    return dt.datetime.fromtimestamp(rounded, tz=dt.UTC)


def _overlaps(start: dt.datetime, end: dt.datetime, busy: Sequence[Interval]) -> dt.datetime | None:
    """The end of the latest busy interval that overlaps [start, end), or None when the block is free."""
    latest: dt.datetime | None = None
    for busy_start, busy_end in busy:
        if busy_start < end and busy_end > start and (latest is None or busy_end > latest):
            latest = busy_end
    return latest


def free_block(
    *,
    duration: dt.timedelta,
    earliest: dt.datetime,
    latest_end: dt.datetime,
    hours: WorkingHours,
    busy: Sequence[Interval],
) -> Placement | None:
    """The earliest block of ``duration`` inside working hours, after ``earliest``, ending by ``latest_end``,
    that overlaps nothing in ``busy``."""
    candidate = _round_up(earliest)
    while candidate + duration <= latest_end:
        local = candidate.astimezone(hours.zone)
        day_start = dt.datetime.combine(local.date(), hours.start, tzinfo=hours.zone)
        day_end = dt.datetime.combine(local.date(), hours.end, tzinfo=hours.zone)
        if local.isoweekday() not in hours.days or local >= day_end:
            next_day = dt.datetime.combine(
                local.date() + dt.timedelta(days=1), hours.start, tzinfo=hours.zone
            )
            candidate = _round_up(next_day)
            continue
        if local < day_start:
            candidate = _round_up(day_start)
            continue
        end = candidate + duration
        if end > day_end:
            next_day = dt.datetime.combine(
                local.date() + dt.timedelta(days=1), hours.start, tzinfo=hours.zone
            )
            candidate = _round_up(next_day)
            continue
        blocker = _overlaps(candidate, end, busy)
        if blocker is None:
            return Placement(start=candidate.astimezone(dt.UTC), end=end.astimezone(dt.UTC))
        candidate = _round_up(max(blocker, candidate + SLOT_STEP))
    return None


def place_task(
    *,
    kind: str,
    due: dt.datetime | None,
    duration: dt.timedelta,
    now: dt.datetime,
    hours: WorkingHours,
    busy: Sequence[Interval],
    horizon: dt.timedelta,
) -> Placement | None:
    """Where a task goes: a meeting at its stated time; a deadline in a free working block before the
    deadline (or, when none is left, the first free block after now, with a note); anything else in the
    next free working block."""
    if kind == "meeting" and due is not None:
        return Placement(start=due.astimezone(dt.UTC), end=(due + duration).astimezone(dt.UTC))
    if kind == "deadline" and due is not None:
        before = free_block(duration=duration, earliest=now, latest_end=due, hours=hours, busy=busy)
        if before is not None:
            return before
        after = free_block(duration=duration, earliest=now, latest_end=now + horizon, hours=hours, busy=busy)
        if after is not None:
            return Placement(
                after.start, after.end, note="No free working time was left before the deadline."
            )
        return None
    return free_block(duration=duration, earliest=now, latest_end=now + horizon, hours=hours, busy=busy)
