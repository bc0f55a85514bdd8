"""Finding a place on the calendar for a task. Pure code: no database, no clock.

A placement pass reads the calendar's busy time once into a ``BusyTimes`` and hands it to a ``Planner``,
which places fixed-time items first (a meeting keeps its stated time), then each other task in the first
free working block, adding every block it hands out to the busy time so the next task goes around it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
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


class BusyTimes:
    """Busy time as sorted, disjoint half-open intervals: adding one merges it with those it overlaps or
    touches, and asking whether a block is free is a binary search.

    Our own rather than a library such as ``portion``: placement needs only "add" and "what blocks this
    block, and until when", and ``portion`` builds a new immutable interval on every union (so adding n
    blocks costs O(n²)) and brings closed/open bound handling we would have to keep right at every call.
    """

    def __init__(self, intervals: Iterable[Interval] = ()) -> None:
        self._starts: list[dt.datetime] = []
        self._ends: list[dt.datetime] = []
        for start, end in intervals:
            self.add(start, end)

    def add(self, start: dt.datetime, end: dt.datetime) -> None:
        if end <= start:
            return
        # The stored intervals that overlap or touch [start, end) are those from ``first`` to ``last - 1``.
        first = bisect_left(self._ends, start)
        last = bisect_right(self._starts, end)
        if first < last:
            start = min(start, self._starts[first])
            end = max(end, self._ends[last - 1])
        self._starts[first:last] = [start]
        self._ends[first:last] = [end]

    def blocked_until(self, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
        """The end of the busy stretch that overlaps [start, end), or None when that time is free."""
        index = bisect_right(self._ends, start)
        if index < len(self._starts) and self._starts[index] < end:
            return self._ends[index]
        return None

    def __iter__(self) -> Iterator[Interval]:
        return iter(zip(self._starts, self._ends, strict=True))

    def __len__(self) -> int:
        return len(self._starts)


def _round_up(moment: dt.datetime) -> dt.datetime:
    step = int(SLOT_STEP.total_seconds())
    seconds = int(moment.timestamp())
    rounded = -(-seconds // step) * step
    return dt.datetime.fromtimestamp(rounded, tz=dt.UTC)


def _instants(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Both readings of a wall-clock time (they differ only when the clocks change at that time)."""
    return (
        dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC),
        dt.datetime.combine(day, time.replace(fold=1), tzinfo=zone).astimezone(dt.UTC),
    )


def working_day(hours: WorkingHours, day: dt.date) -> Interval | None:
    """The working hours of one local date, in UTC, or None on a day off.

    On the night the clocks change a start or end time may be skipped or repeated; the day then opens at
    the later reading of its start and closes at the earlier reading of its end, so that every block in it
    reads between the two on the wall clock.
    """
    if day.isoweekday() not in hours.days:
        return None
    opens = max(_instants(day, hours.start, hours.zone))
    closes = min(_instants(day, hours.end, hours.zone))
    return (opens, closes) if opens < closes else None


def _working_windows(hours: WorkingHours, start: dt.datetime, end: dt.datetime) -> Iterator[Interval]:
    """The working stretches that meet [start, end), in order."""
    day = start.astimezone(hours.zone).date()
    last = end.astimezone(hours.zone).date()
    while day <= last:
        window = working_day(hours, day)
        if window is not None and window[1] > start and window[0] < end:
            yield max(window[0], start), min(window[1], end)
        day += dt.timedelta(days=1)


def free_block(
    *,
    duration: dt.timedelta,
    earliest: dt.datetime,
    latest_end: dt.datetime,
    hours: WorkingHours,
    busy: BusyTimes,
) -> Placement | None:
    """The earliest block of ``duration`` inside working hours, after ``earliest``, ending by ``latest_end``,
    that overlaps nothing in ``busy``."""
    for opens, closes in _working_windows(hours, earliest, latest_end):
        candidate = _round_up(opens)
        while candidate + duration <= closes:
            blocked_until = busy.blocked_until(candidate, candidate + duration)
            if blocked_until is None:
                return Placement(start=candidate, end=candidate + duration)
            # Jump past the whole busy stretch, not one slot at a time.
            candidate = _round_up(blocked_until)
    return None


def fixed_block(*, start: dt.datetime, duration: dt.timedelta) -> Placement:
    """A meeting's block: at its stated time, whatever else is there and whether or not it is working time."""
    return Placement(start=start.astimezone(dt.UTC), end=(start + duration).astimezone(dt.UTC))


def place_task(
    *,
    kind: str,
    due: dt.datetime | None,
    duration: dt.timedelta,
    now: dt.datetime,
    hours: WorkingHours,
    busy: BusyTimes,
    horizon: dt.timedelta,
) -> Placement | None:
    """Where a task goes: a meeting at its stated time; a deadline in a free working block before the
    deadline (or, when none is left, the first free block after now, with a note); anything else in the
    next free working block. No block is looked for beyond ``now + horizon``."""
    if kind == "meeting" and due is not None:
        return fixed_block(start=due, duration=duration)
    limit = now + horizon
    if kind == "deadline" and due is not None:
        before = free_block(
            duration=duration, earliest=now, latest_end=min(due, limit), hours=hours, busy=busy
        )
        if before is not None:
            return before
        after = free_block(duration=duration, earliest=now, latest_end=limit, hours=hours, busy=busy)
        if after is not None:
            return Placement(
                after.start, after.end, note="No free working time was left before the deadline."
            )
        return None
    return free_block(duration=duration, earliest=now, latest_end=limit, hours=hours, busy=busy)


class Planner:
    """One placement pass over a calendar whose busy time was read once.

    Every block handed out is added to the busy time, so the next task goes around it. Meetings with a
    stated time keep it even where something else already is: the time is the sender's fact, not our
    booking, so two meetings may overlap (the person decides which to attend) but a task block never
    overlaps anything. Callers place every such meeting before any other task.

    Once no free block of some length is left in the horizon, none appears later in the pass (busy time
    only grows), so a task at least that long is answered at once instead of searching the horizon again.
    """

    def __init__(
        self, *, now: dt.datetime, hours: WorkingHours, horizon: dt.timedelta, busy: BusyTimes
    ) -> None:
        self.now = now
        self.hours = hours
        self.horizon = horizon
        self.busy = busy
        self._nothing_free_for: dt.timedelta | None = None

    def place(self, *, kind: str, due: dt.datetime | None, duration: dt.timedelta) -> Placement | None:
        fixed = kind == "meeting" and due is not None
        if not fixed and self._nothing_free_for is not None and duration >= self._nothing_free_for:
            return None
        placement = place_task(
            kind=kind,
            due=due,
            duration=duration,
            now=self.now,
            hours=self.hours,
            busy=self.busy,
            horizon=self.horizon,
        )
        if placement is None:
            self._nothing_free_for = min(duration, self._nothing_free_for or duration)
            return None
        self.busy.add(placement.start, placement.end)
        return placement
