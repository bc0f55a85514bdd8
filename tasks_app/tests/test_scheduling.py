"""Finding calendar blocks: pure functions, so no database and no clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest

from tasks_app.scheduling import (
    BusyTimes,
    Placement,
    Planner,
    WorkingHours,
    free_block,
    place_task,
    working_day,
)

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
WEEKDAYS = (1, 2, 3, 4, 5)
HOURS = WorkingHours(zone=NEW_YORK, start=dt.time(9), end=dt.time(17), days=WEEKDAYS)
HALF_HOUR = dt.timedelta(minutes=30)
HORIZON = dt.timedelta(days=28)


def ny(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> dt.datetime:
    """A wall-clock time in New York. 2026-11-30 is a Monday."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def block(
    earliest: dt.datetime,
    *,
    duration: dt.timedelta = HALF_HOUR,
    busy: list[tuple[dt.datetime, dt.datetime]] | None = None,
    hours: WorkingHours = HOURS,
    latest_end: dt.datetime | None = None,
) -> Placement | None:
    return free_block(
        duration=duration,
        earliest=earliest,
        latest_end=latest_end or earliest + HORIZON,
        hours=hours,
        busy=BusyTimes(busy or []),
    )


def test_it_takes_the_next_quarter_hour_inside_working_hours() -> None:
    placement = block(ny(30, 10, 7))

    assert placement == Placement(ny(30, 10, 15), ny(30, 10, 45))


def test_it_keeps_a_start_already_on_a_quarter_hour() -> None:
    placement = block(ny(30, 10, 45))

    assert placement is not None
    assert placement.start == ny(30, 10, 45)


def test_it_answers_in_utc() -> None:
    placement = block(ny(30, 10))

    assert placement is not None
    assert placement.start.utcoffset() == dt.timedelta(0)
    assert placement.start == dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)


def test_it_waits_for_the_working_day_to_start() -> None:
    assert block(ny(30, 6, 40)) == Placement(ny(30, 9), ny(30, 9, 30))


def test_after_hours_it_moves_to_the_next_working_morning() -> None:
    assert block(ny(30, 17, 5)) == Placement(ny(1, 9, month=12), ny(1, 9, 30, month=12))


def test_a_block_never_runs_past_the_end_of_the_working_day() -> None:
    placement = block(ny(30, 16, 45))

    assert placement == Placement(ny(1, 9, month=12), ny(1, 9, 30, month=12))


def test_a_block_may_end_exactly_when_the_working_day_ends() -> None:
    assert block(ny(30, 16, 30)) == Placement(ny(30, 16, 30), ny(30, 17))


def test_it_skips_the_weekend() -> None:
    # Friday evening, then Saturday and Sunday are not working days.
    assert block(ny(27, 17, 30)) == Placement(ny(30, 9), ny(30, 9, 30))
    assert block(ny(28, 11)) == Placement(ny(30, 9), ny(30, 9, 30))


def test_it_uses_only_the_chosen_working_days() -> None:
    tuesdays_and_thursdays = WorkingHours(zone=NEW_YORK, start=dt.time(9), end=dt.time(17), days=(2, 4))

    placement = block(ny(1, 18, month=12), hours=tuesdays_and_thursdays)  # Tuesday evening

    assert placement is not None
    assert placement.start == ny(3, 9, month=12)  # Thursday morning


def test_working_hours_are_read_in_the_users_zone() -> None:
    tokyo_hours = WorkingHours(zone=TOKYO, start=dt.time(9), end=dt.time(17), days=WEEKDAYS)

    # 10:00 in New York on Monday is 00:00 on Tuesday in Tokyo: before Tokyo's working day.
    placement = block(ny(30, 10), hours=tokyo_hours)

    assert placement is not None
    assert placement.start == dt.datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO)
    assert placement.start == dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)


def test_it_skips_a_busy_interval() -> None:
    placement = block(ny(30, 9), busy=[(ny(30, 9), ny(30, 10))])

    assert placement == Placement(ny(30, 10), ny(30, 10, 30))


def test_it_skips_busy_intervals_that_follow_one_another() -> None:
    busy = [(ny(30, 10), ny(30, 11, 30)), (ny(30, 9), ny(30, 10))]

    assert block(ny(30, 9), busy=busy) == Placement(ny(30, 11, 30), ny(30, 12))


def test_it_does_not_squeeze_into_a_gap_too_short() -> None:
    busy = [(ny(30, 9), ny(30, 10)), (ny(30, 10, 15), ny(30, 11))]

    assert block(ny(30, 9), busy=busy) == Placement(ny(30, 11), ny(30, 11, 30))


def test_it_rounds_up_after_a_busy_interval_that_ends_off_the_quarter() -> None:
    placement = block(ny(30, 9), busy=[(ny(30, 8, 50), ny(30, 10, 5))])

    assert placement == Placement(ny(30, 10, 15), ny(30, 10, 45))


def test_a_busy_interval_ending_as_the_block_starts_does_not_overlap() -> None:
    busy = [(ny(30, 8), ny(30, 9)), (ny(30, 9, 30), ny(30, 10))]

    assert block(ny(30, 9), busy=busy) == Placement(ny(30, 9), ny(30, 9, 30))


def test_a_busy_afternoon_pushes_the_block_to_the_next_day() -> None:
    placement = block(ny(30, 13), busy=[(ny(30, 12), ny(30, 16, 50))])

    assert placement == Placement(ny(1, 9, month=12), ny(1, 9, 30, month=12))


def test_it_returns_none_when_nothing_fits_before_the_limit() -> None:
    assert block(ny(30, 17, 30), latest_end=ny(1, 9, 15, month=12)) is None
    assert block(ny(30, 9), duration=dt.timedelta(hours=9)) is None  # longer than a working day


def test_it_returns_none_when_the_whole_horizon_is_busy() -> None:
    busy = [(ny(30, 0), ny(30, 0) + HORIZON + dt.timedelta(days=1))]

    assert block(ny(30, 9), busy=busy) is None


def test_the_block_may_end_exactly_at_the_limit() -> None:
    assert block(ny(30, 9), latest_end=ny(30, 9, 30)) == Placement(ny(30, 9), ny(30, 9, 30))


@pytest.mark.parametrize(
    ("earliest", "expected_utc"),
    [
        # Saturday 7 March 2026 is in winter time (UTC-5), Monday 9 March in summer time (UTC-4).
        (dt.datetime(2026, 3, 6, 17, 30, tzinfo=NEW_YORK), dt.datetime(2026, 3, 9, 13, 0, tzinfo=dt.UTC)),
        (dt.datetime(2026, 3, 6, 8, 0, tzinfo=NEW_YORK), dt.datetime(2026, 3, 6, 14, 0, tzinfo=dt.UTC)),
        # Friday 30 October is in summer time, Monday 2 November in winter time.
        (dt.datetime(2026, 10, 30, 17, 30, tzinfo=NEW_YORK), dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)),
    ],
)
def test_working_hours_follow_daylight_saving_changes(
    earliest: dt.datetime, expected_utc: dt.datetime
) -> None:
    placement = block(earliest)

    assert placement is not None
    assert placement.start == expected_utc
    assert placement.start.astimezone(NEW_YORK).time() == dt.time(9)


@pytest.mark.parametrize(
    ("day", "utc_start", "utc_end"),
    [
        (
            dt.date(2026, 3, 8),
            dt.datetime(2026, 3, 8, 13, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 3, 8, 21, 0, tzinfo=dt.UTC),
        ),
        (
            dt.date(2026, 11, 1),
            dt.datetime(2026, 11, 1, 14, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 1, 22, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_on_the_day_the_clocks_change_the_working_day_is_eight_wall_clock_hours(
    day: dt.date, utc_start: dt.datetime, utc_end: dt.datetime
) -> None:
    every_day = WorkingHours(zone=NEW_YORK, start=dt.time(9), end=dt.time(17), days=(1, 2, 3, 4, 5, 6, 7))
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=NEW_YORK)
    whole_day = dt.timedelta(hours=8)

    first = block(midnight, hours=every_day, duration=whole_day)
    last_quarter = block(
        midnight,
        hours=every_day,
        busy=[(midnight, utc_end - dt.timedelta(minutes=15))],
        duration=dt.timedelta(minutes=15),
    )

    assert first == Placement(utc_start, utc_end)
    assert last_quarter == Placement(utc_end - dt.timedelta(minutes=15), utc_end)


def test_a_meeting_goes_at_its_stated_time_whatever_else_is_there() -> None:
    due = ny(28, 20)  # a Saturday evening, outside working hours, over a busy block
    placement = place_task(
        kind="meeting",
        due=due,
        duration=dt.timedelta(minutes=45),
        now=ny(30, 9),
        hours=HOURS,
        busy=BusyTimes([(ny(28, 19), ny(28, 22))]),
        horizon=HORIZON,
    )

    assert placement == Placement(due, due + dt.timedelta(minutes=45))
    assert placement.start.utcoffset() == dt.timedelta(0)
    assert placement.note == ""


def test_a_meeting_without_a_time_goes_in_the_next_free_block() -> None:
    placement = place_task(
        kind="meeting",
        due=None,
        duration=HALF_HOUR,
        now=ny(30, 9, 5),
        hours=HOURS,
        busy=BusyTimes(),
        horizon=HORIZON,
    )

    assert placement == Placement(ny(30, 9, 15), ny(30, 9, 45))


def test_a_deadline_goes_in_a_free_block_before_it() -> None:
    placement = place_task(
        kind="deadline",
        due=ny(1, 12, month=12),
        duration=dt.timedelta(hours=2),
        now=ny(30, 16),
        hours=HOURS,
        busy=BusyTimes([]),
        horizon=HORIZON,
    )

    assert placement == Placement(ny(1, 9, month=12), ny(1, 11, month=12))
    assert placement.note == ""


def test_a_deadline_without_room_before_it_goes_after_with_a_note() -> None:
    placement = place_task(
        kind="deadline",
        due=ny(30, 12),
        duration=HALF_HOUR,
        now=ny(30, 9),
        hours=HOURS,
        busy=BusyTimes([(ny(30, 9), ny(30, 12, 30))]),
        horizon=HORIZON,
    )

    assert placement is not None
    assert (placement.start, placement.end) == (ny(30, 12, 30), ny(30, 13))
    assert "deadline" in placement.note


def test_a_deadline_already_past_goes_in_the_next_free_block_with_a_note() -> None:
    placement = place_task(
        kind="deadline",
        due=ny(27, 17),
        duration=HALF_HOUR,
        now=ny(30, 10),
        hours=HOURS,
        busy=BusyTimes([]),
        horizon=HORIZON,
    )

    assert placement is not None
    assert (placement.start, placement.end) == (ny(30, 10), ny(30, 10, 30))
    assert placement.note


def test_a_deadline_with_no_room_at_all_is_not_placed() -> None:
    placement = place_task(
        kind="deadline",
        due=ny(1, 12, month=12),
        duration=HALF_HOUR,
        now=ny(30, 9),
        hours=HOURS,
        busy=BusyTimes([(ny(30, 0), ny(30, 0) + HORIZON * 2)]),
        horizon=HORIZON,
    )

    assert placement is None


def test_a_todo_goes_in_the_next_free_block() -> None:
    placement = place_task(
        kind="todo",
        due=ny(20, 12, month=12),
        duration=HALF_HOUR,
        now=ny(30, 9),
        hours=HOURS,
        busy=BusyTimes([(ny(30, 9), ny(30, 9, 30))]),
        horizon=HORIZON,
    )

    assert placement == Placement(ny(30, 9, 30), ny(30, 10))


def test_a_todo_is_not_placed_beyond_the_horizon() -> None:
    placement = place_task(
        kind="todo",
        due=None,
        duration=HALF_HOUR,
        now=ny(30, 9),
        hours=HOURS,
        busy=BusyTimes([(ny(30, 0), ny(30, 0) + dt.timedelta(days=3))]),
        horizon=dt.timedelta(days=2),
    )

    assert placement is None


def test_busy_times_merge_overlapping_and_touching_intervals_and_keep_them_sorted() -> None:
    busy = BusyTimes([(ny(30, 13), ny(30, 14)), (ny(30, 9), ny(30, 10))])
    busy.add(ny(30, 10), ny(30, 11))  # touches 9–10
    busy.add(ny(30, 15), ny(30, 16))
    busy.add(ny(30, 13, 30), ny(30, 15, 30))  # bridges 13–14 and 15–16
    busy.add(ny(30, 12), ny(30, 12))  # empty: ignored

    assert list(busy) == [(ny(30, 9), ny(30, 11)), (ny(30, 13), ny(30, 16))]


@pytest.mark.parametrize(
    ("start", "end", "until"),
    [
        (ny(30, 8), ny(30, 9), None),  # ends as the busy time starts
        (ny(30, 11), ny(30, 12), None),  # between two busy stretches
        (ny(30, 8, 30), ny(30, 9, 15), ny(30, 11)),
        (ny(30, 10), ny(30, 10, 15), ny(30, 11)),  # inside
        (ny(30, 12, 45), ny(30, 17), ny(30, 16)),  # covers one
        (ny(30, 16), ny(30, 17), None),  # starts as it ends
    ],
)
def test_busy_times_say_until_when_a_block_is_blocked(
    start: dt.datetime, end: dt.datetime, until: dt.datetime | None
) -> None:
    busy = BusyTimes([(ny(30, 9), ny(30, 11)), (ny(30, 13), ny(30, 16))])

    assert busy.blocked_until(start, end) == until


def test_the_planner_adds_each_block_it_places_to_the_busy_time() -> None:
    planner = Planner(now=ny(30, 9), hours=HOURS, horizon=HORIZON, busy=BusyTimes())

    first = planner.place(kind="todo", due=None, duration=HALF_HOUR)
    second = planner.place(kind="deadline", due=ny(4, 17, month=12), duration=HALF_HOUR)

    assert first == Placement(ny(30, 9), ny(30, 9, 30))
    assert second == Placement(ny(30, 9, 30), ny(30, 10))
    assert list(planner.busy) == [(ny(30, 9), ny(30, 10))]


def test_the_planner_keeps_a_meeting_at_its_time_over_another_meeting() -> None:
    planner = Planner(now=ny(30, 8), hours=HOURS, horizon=HORIZON, busy=BusyTimes())
    planner.place(kind="meeting", due=ny(30, 9), duration=dt.timedelta(hours=1))

    overlapping = planner.place(kind="meeting", due=ny(30, 9, 30), duration=dt.timedelta(hours=1))
    task = planner.place(kind="todo", due=None, duration=HALF_HOUR)

    assert overlapping == Placement(ny(30, 9, 30), ny(30, 10, 30))
    assert task == Placement(ny(30, 10, 30), ny(30, 11))


def test_once_nothing_of_a_length_fits_longer_tasks_are_refused_without_a_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tasks_app import scheduling

    searches: list[dt.timedelta] = []
    real_free_block = scheduling.free_block

    def counted(**kwargs: Any) -> Any:
        searches.append(kwargs["duration"])
        return real_free_block(**kwargs)

    monkeypatch.setattr(scheduling, "free_block", counted)
    # Only one 30-minute gap is left in the horizon, at 12:00 on the first day.
    busy = BusyTimes([(ny(30, 0), ny(30, 12)), (ny(30, 12, 30), ny(30, 0) + HORIZON * 2)])
    planner = Planner(now=ny(30, 9), hours=HOURS, horizon=HORIZON, busy=busy)

    assert planner.place(kind="todo", due=None, duration=dt.timedelta(hours=1)) is None
    assert planner.place(kind="todo", due=None, duration=dt.timedelta(hours=2)) is None
    assert planner.place(kind="deadline", due=ny(1, 9, month=12), duration=dt.timedelta(hours=1)) is None
    assert planner.place(kind="todo", due=None, duration=HALF_HOUR) == Placement(ny(30, 12), ny(30, 12, 30))

    assert searches == [dt.timedelta(hours=1), HALF_HOUR]


@pytest.mark.parametrize(
    ("day", "start", "end", "opens_local", "closes_local"),
    [
        # 8 March 2026: New York's clocks jump from 2:00 to 3:00. A day from 2:30 opens at 3:30 summer time
        # (2:30 winter time); a day until 2:30 closes at 1:30 winter time (2:30 summer time).
        (dt.date(2026, 3, 8), dt.time(2, 30), dt.time(9), dt.time(3, 30), dt.time(9)),
        (dt.date(2026, 3, 8), dt.time(0, 30), dt.time(2, 30), dt.time(0, 30), dt.time(1, 30)),
        # 1 November 2026: 1:00–2:00 happens twice. The day opens at the second 1:30 and closes at the first.
        (dt.date(2026, 11, 1), dt.time(1, 30), dt.time(9), dt.time(1, 30), dt.time(9)),
        (dt.date(2026, 11, 1), dt.time(0), dt.time(1, 30), dt.time(0), dt.time(1, 30)),
    ],
)
def test_a_working_day_lies_within_its_wall_clock_hours_when_the_clocks_change(
    day: dt.date, start: dt.time, end: dt.time, opens_local: dt.time, closes_local: dt.time
) -> None:
    every_day = WorkingHours(zone=NEW_YORK, start=start, end=end, days=(1, 2, 3, 4, 5, 6, 7))

    window = working_day(every_day, day)

    assert window is not None
    opens, closes = (moment.astimezone(NEW_YORK) for moment in window)
    assert (opens.date(), opens.time(), closes.date(), closes.time()) == (day, opens_local, day, closes_local)
    assert start <= opens.time() and closes.time() <= end


def test_a_working_day_opening_in_the_repeated_hour_opens_at_its_second_reading() -> None:
    every_day = WorkingHours(zone=NEW_YORK, start=dt.time(1, 30), end=dt.time(9), days=(7,))

    window = working_day(every_day, dt.date(2026, 11, 1))

    assert window is not None
    assert window[0] == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)  # 1:30 winter time, UTC-5
