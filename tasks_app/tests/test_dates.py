"""Date phrase finding and resolution: every convention in tasks_app/dates.py is pinned here."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tasks_app.dates import find_due_phrases, resolve_due

NY = "America/New_York"
LA = "America/Los_Angeles"
# Wednesday 4 March 2026, 10:00 in New York. US DST starts Sunday 8 March 2026.
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo(NY))


def local(phrase: str, reference: dt.datetime = WEDNESDAY, zone: str = NY) -> dt.datetime:
    resolved = resolve_due(phrase, reference=reference, timezone=zone)
    assert resolved is not None, phrase
    return resolved.due.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def test_it_resolves_friday_eod_against_the_date_header() -> None:
    assert local("Friday EOD") == dt.datetime(2026, 3, 6, 17, 0)


def test_it_reads_eod_and_cob_as_17_00_today_when_sent_in_the_morning() -> None:
    assert local("by EOD") == dt.datetime(2026, 3, 4, 17, 0)
    assert local("COB") == dt.datetime(2026, 3, 4, 17, 0)


def test_it_moves_a_bare_eod_to_tomorrow_when_sent_after_17_00() -> None:
    evening = WEDNESDAY.replace(hour=18)
    assert local("by EOD", evening) == dt.datetime(2026, 3, 5, 17, 0)


def test_it_resolves_end_of_day_tomorrow() -> None:
    assert local("end of day tomorrow") == dt.datetime(2026, 3, 5, 17, 0)


def test_it_resolves_parts_of_the_day_to_the_documented_hours() -> None:
    assert local("tomorrow morning") == dt.datetime(2026, 3, 5, 9, 0)
    assert local("tomorrow afternoon") == dt.datetime(2026, 3, 5, 14, 0)
    assert local("tomorrow evening") == dt.datetime(2026, 3, 5, 19, 0)
    assert local("tonight") == dt.datetime(2026, 3, 4, 19, 0)
    assert local("Friday at noon") == dt.datetime(2026, 3, 6, 12, 0)


def test_it_resolves_a_bare_time_to_its_next_occurrence() -> None:
    assert local("noon") == dt.datetime(2026, 3, 4, 12, 0)
    assert local("14:00") == dt.datetime(2026, 3, 4, 14, 0)
    assert local("9am") == dt.datetime(2026, 3, 5, 9, 0)  # 9am already passed at 10:00


def test_it_resolves_a_time_stated_in_pacific_time_in_that_zone() -> None:
    resolved = resolve_due("tomorrow at 3pm PT", reference=WEDNESDAY, timezone=NY)
    assert resolved is not None
    assert resolved.zone_stated
    assert resolved.due == dt.datetime(2026, 3, 5, 15, 0, tzinfo=ZoneInfo(LA))
    assert resolved.due.astimezone(ZoneInfo(NY)).hour == 18


@pytest.mark.parametrize(
    ("phrase", "zone", "hour"),
    [
        ("10:00 CET", "Europe/Berlin", 10),
        ("9am EST/EDT", NY, 9),
        ("15:00 UTC", "UTC", 15),
        ("4pm (PST)", LA, 16),
    ],
)
def test_it_uses_the_zone_the_sender_wrote(phrase: str, zone: str, hour: int) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone="Asia/Tokyo")
    assert resolved is not None
    assert resolved.zone == zone
    assert resolved.due.astimezone(ZoneInfo(zone)).hour == hour


def test_it_reads_est_in_summer_as_new_york_wall_time() -> None:
    july = dt.datetime(2026, 7, 1, 8, 0, tzinfo=ZoneInfo(NY))
    resolved = resolve_due("tomorrow 9am EST", reference=july, timezone=LA)
    assert resolved is not None
    assert resolved.due.utcoffset() == dt.timedelta(hours=-4)
    assert resolved.due.hour == 9


def test_it_counts_the_day_from_the_senders_date_even_in_a_stated_zone() -> None:
    # 23:30 Tuesday in New York is already Wednesday in Berlin; the New York sender's "tomorrow" is
    # Wednesday, at 10:00 Berlin time.
    late = dt.datetime(2026, 3, 3, 23, 30, tzinfo=ZoneInfo(NY))
    resolved = resolve_due("tomorrow at 10:00 CET", reference=late, timezone=NY)
    assert resolved is not None
    assert resolved.due == dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    # The same instant written by a sender in Berlin (05:30 Wednesday there): tomorrow is Thursday.
    berlin = late.astimezone(ZoneInfo("Europe/Berlin"))
    resolved = resolve_due("tomorrow at 10:00 CET", reference=berlin, timezone=NY)
    assert resolved is not None
    assert resolved.due == dt.datetime(2026, 3, 5, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def test_it_keeps_the_wall_time_across_the_spring_dst_change() -> None:
    # Reference is on EST (-5); Monday 9 March is on EDT (-4). 9am must stay 9am local.
    resolved = resolve_due("Monday at 9am", reference=WEDNESDAY, timezone=NY)
    assert resolved is not None
    assert resolved.due.replace(tzinfo=None) == dt.datetime(2026, 3, 9, 9, 0)
    assert resolved.due.utcoffset() == dt.timedelta(hours=-4)
    assert WEDNESDAY.utcoffset() == dt.timedelta(hours=-5)


def test_it_keeps_the_wall_time_across_the_autumn_dst_change() -> None:
    friday = dt.datetime(2026, 10, 30, 12, 0, tzinfo=ZoneInfo(NY))  # EDT; DST ends Sunday 1 Nov
    resolved = resolve_due("Monday EOD", reference=friday, timezone=NY)
    assert resolved is not None
    assert resolved.due.replace(tzinfo=None) == dt.datetime(2026, 11, 2, 17, 0)
    assert resolved.due.utcoffset() == dt.timedelta(hours=-5)


def test_it_turns_a_time_in_the_spring_forward_gap_into_a_real_instant() -> None:
    saturday = dt.datetime(2026, 3, 7, 12, 0, tzinfo=ZoneInfo(NY))
    resolved = resolve_due("tomorrow at 2:30am", reference=saturday, timezone=NY)
    assert resolved is not None
    # 02:30 doesn't exist on 8 March; the instant is 07:30 UTC, shown as 03:30 EDT.
    assert resolved.due.astimezone(dt.UTC) == dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)
    assert resolved.due.hour == 3


def test_it_treats_a_date_without_a_time_as_a_17_00_deadline() -> None:
    resolved = resolve_due("December 3rd", reference=WEDNESDAY, timezone=NY)
    assert resolved is not None
    assert not resolved.has_time
    assert resolved.due.replace(tzinfo=None) == dt.datetime(2026, 12, 3, 17, 0)


def test_it_resolves_month_day_with_a_time() -> None:
    assert local("Dec 3 at noon") == dt.datetime(2026, 12, 3, 12, 0)


def test_it_rolls_a_month_day_that_has_passed_to_next_year() -> None:
    assert local("Feb 10") == dt.datetime(2027, 2, 10, 17, 0)
    assert local("3/4") == dt.datetime(2026, 3, 4, 17, 0)  # the same day has not passed


def test_it_reads_slashed_dates_as_us_month_day() -> None:
    assert local("3/12") == dt.datetime(2026, 3, 12, 17, 0)
    assert local("12/3/2027") == dt.datetime(2027, 12, 3, 17, 0)


def test_it_reads_iso_dates_without_rolling_the_year() -> None:
    assert local("2026-12-03") == dt.datetime(2026, 12, 3, 17, 0)
    assert local("2025-12-03") == dt.datetime(2025, 12, 3, 17, 0)


def test_a_bare_weekday_is_strictly_after_the_reference_day() -> None:
    assert local("Thursday") == dt.datetime(2026, 3, 5, 17, 0)
    assert local("Wednesday") == dt.datetime(2026, 3, 11, 17, 0)  # said on a Wednesday: next week's
    assert local("today") == dt.datetime(2026, 3, 4, 17, 0)


def test_this_weekday_may_be_today() -> None:
    assert local("this Wednesday") == dt.datetime(2026, 3, 4, 17, 0)
    assert local("this Thursday") == dt.datetime(2026, 3, 5, 17, 0)


def test_next_weekday_is_that_day_in_the_following_calendar_week() -> None:
    assert local("next Tuesday") == dt.datetime(2026, 3, 10, 17, 0)
    assert local("next Friday") == dt.datetime(2026, 3, 13, 17, 0)  # not this Friday the 6th
    sunday = dt.datetime(2026, 3, 8, 10, 0, tzinfo=ZoneInfo(NY))
    assert local("next Monday", sunday) == dt.datetime(2026, 3, 9, 17, 0)


def test_it_resolves_on_monday_at_10_30() -> None:
    assert local("on Monday at 10:30") == dt.datetime(2026, 3, 9, 10, 30)


def test_it_resolves_relative_spans() -> None:
    assert local("in 2 days") == dt.datetime(2026, 3, 6, 17, 0)
    assert local("in two weeks") == dt.datetime(2026, 3, 18, 17, 0)
    assert local("in 3 business days") == dt.datetime(2026, 3, 9, 17, 0)
    assert local("in 2 hours") == dt.datetime(2026, 3, 4, 12, 0)


def test_it_resolves_week_and_month_periods() -> None:
    assert local("next week") == dt.datetime(2026, 3, 9, 17, 0)
    assert local("end of the week") == dt.datetime(2026, 3, 6, 17, 0)
    assert local("by the end of the month") == dt.datetime(2026, 3, 31, 17, 0)
    saturday = dt.datetime(2026, 3, 7, 10, 0, tzinfo=ZoneInfo(NY))
    assert local("EOW", saturday) == dt.datetime(2026, 3, 13, 17, 0)


def test_it_gives_a_time_range_an_end() -> None:
    resolved = resolve_due("Tuesday 2pm-3pm", reference=WEDNESDAY, timezone=NY)
    assert resolved is not None
    assert resolved.due.replace(tzinfo=None) == dt.datetime(2026, 3, 10, 14, 0)
    assert resolved.end is not None
    assert resolved.duration_minutes == 60


def test_a_range_start_borrows_the_end_meridiem_unless_that_inverts_it() -> None:
    resolved = resolve_due("tomorrow 2-3:30pm", reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and resolved.due.hour == 14 and resolved.duration_minutes == 90
    resolved = resolve_due("tomorrow from 11 to 1pm", reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and resolved.due.hour == 11 and resolved.duration_minutes == 120


def test_a_bare_hour_after_at_uses_business_hours() -> None:
    assert local("tomorrow at 3") == dt.datetime(2026, 3, 5, 15, 0)
    assert local("tomorrow at 9") == dt.datetime(2026, 3, 5, 9, 0)


def test_it_never_reads_the_clock() -> None:
    old = dt.datetime(2001, 5, 2, 9, 0, tzinfo=ZoneInfo(NY))
    assert local("tomorrow", old) == dt.datetime(2001, 5, 3, 17, 0)


def test_it_returns_aware_datetimes() -> None:
    for phrase in ("Friday", "noon", "in 2 hours", "3/12", "tomorrow 9am PT"):
        resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
        assert resolved is not None and resolved.due.utcoffset() is not None, phrase


def test_it_refuses_a_naive_reference() -> None:
    with pytest.raises(ValueError, match="aware"):
        resolve_due("Friday", reference=dt.datetime(2026, 3, 4, 10, 0), timezone=NY)


def test_it_returns_none_without_a_phrase_or_for_an_impossible_date() -> None:
    assert resolve_due("no dates in here", reference=WEDNESDAY, timezone=NY) is None
    assert resolve_due("Feb 30", reference=WEDNESDAY, timezone=NY) is None


def test_it_finds_phrases_with_their_offsets() -> None:
    text = "Could you send me the Q3 report by Friday EOD? And call me tomorrow at 3pm PT."
    found = find_due_phrases(text)
    assert [phrase for phrase, _, _ in found] == ["Friday EOD", "tomorrow at 3pm PT"]
    for phrase, start, end in found:
        assert text[start:end] == phrase


@pytest.mark.parametrize(
    "text",
    ["May I ask a question?", "We are open 24/7.", "The sun is out, we wed in spring.", "I have 3 kids."],
)
def test_it_does_not_mistake_ordinary_words_and_numbers_for_dates(text: str) -> None:
    assert find_due_phrases(text) == []


def test_it_reads_a_weekday_followed_by_an_hour_range_as_that_day_not_a_day_of_month() -> None:
    reference = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    [(phrase, _, _)] = find_due_phrases("Can we talk Friday 1-2pm?")
    resolved = resolve_due(phrase, reference=reference, timezone="America/New_York")

    assert phrase == "Friday 1-2pm"
    assert resolved is not None
    assert resolved.due == dt.datetime(2026, 11, 27, 13, 0, tzinfo=ZoneInfo("America/New_York"))
    assert resolved.duration_minutes == 60


BERLIN = "Europe/Berlin"
# Monday 9 March 2026, 23:30 at -07:00 (Los Angeles): already Tuesday 07:30 in Berlin.
MONDAY_NIGHT_IN_LA = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-7)))


def test_tomorrow_is_counted_from_the_senders_local_date() -> None:
    resolved = resolve_due("tomorrow", reference=MONDAY_NIGHT_IN_LA, timezone=BERLIN)
    assert resolved is not None
    # Tuesday for the sender, although the reader in Berlin is on Tuesday already.
    assert resolved.due == dt.datetime(2026, 3, 10, 17, 0, tzinfo=ZoneInfo(BERLIN))


def test_weekdays_and_day_counts_start_from_the_senders_local_date() -> None:
    assert local("Tuesday", MONDAY_NIGHT_IN_LA, BERLIN) == dt.datetime(2026, 3, 10, 17, 0)
    assert local("in 2 days", MONDAY_NIGHT_IN_LA, BERLIN) == dt.datetime(2026, 3, 11, 17, 0)
    assert local("tomorrow at 10", MONDAY_NIGHT_IN_LA, BERLIN) == dt.datetime(2026, 3, 10, 10, 0)


def test_a_utc_date_header_says_nothing_of_the_sender_so_the_readers_date_counts() -> None:
    # 07:30 UTC Tuesday is 23:30 Monday in Los Angeles, the reader's zone: "tomorrow" is Tuesday there.
    utc = MONDAY_NIGHT_IN_LA.astimezone(dt.UTC)
    assert local("tomorrow", utc, LA) == dt.datetime(2026, 3, 10, 17, 0)
    assert local("tomorrow", utc, BERLIN) == dt.datetime(2026, 3, 11, 17, 0)


@pytest.mark.parametrize(
    ("phrase", "zone", "wall"),
    [
        ("Friday EOD London time", "Europe/London", dt.datetime(2026, 3, 6, 17, 0)),
        ("3pm New York time", NY, dt.datetime(2026, 3, 4, 15, 0)),
        ("Thursday 10:00 Berlin time", BERLIN, dt.datetime(2026, 3, 5, 10, 0)),
        ("Monday 9am Paris", "Europe/Paris", dt.datetime(2026, 3, 9, 9, 0)),
        ("at 3 Sydney time", "Australia/Sydney", dt.datetime(2026, 3, 5, 15, 0)),
        ("10:00 Berlin time on Monday", BERLIN, dt.datetime(2026, 3, 9, 10, 0)),
        ("tomorrow 4pm San Francisco time", LA, dt.datetime(2026, 3, 5, 16, 0)),
        ("Monday 9am Germany time", BERLIN, dt.datetime(2026, 3, 9, 9, 0)),
    ],
)
def test_it_resolves_a_zone_named_by_place_in_that_place(phrase: str, zone: str, wall: dt.datetime) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone="Asia/Tokyo")
    assert resolved is not None, phrase
    assert resolved.zone_stated
    assert resolved.due == wall.replace(tzinfo=ZoneInfo(zone))


def test_friday_eod_london_time_is_not_the_readers_eod() -> None:
    resolved = resolve_due("Friday EOD London time", reference=WEDNESDAY, timezone=NY)
    assert resolved is not None
    # 17:00 in London is 12:00 in New York that Friday (before the US DST change).
    assert resolved.due.astimezone(ZoneInfo(NY)).replace(tzinfo=None) == dt.datetime(2026, 3, 6, 12, 0)


@pytest.mark.parametrize(
    "phrase", ["Friday 3pm Sarah", "at 9am Any time is fine", "3pm Monday time", "Call me at 3pm Jordan."]
)
def test_a_capitalised_word_that_is_no_place_leaves_the_readers_zone(phrase: str) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None
    assert resolved.zone == NY
    assert not resolved.zone_stated


@pytest.mark.parametrize(
    "phrase",
    ["Thursday 10\u201311:30", "Thursday 10\u201411:30", "Thursday 10-11:30", "Thursday from 10 to 11:30",
     "Thursday 10 until 11:30", "10\u201311:30 on Thursday"],
)  # fmt: skip
def test_an_hour_range_without_am_pm_reads_as_business_hours(phrase: str) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None, phrase
    assert resolved.due.replace(tzinfo=None) == dt.datetime(2026, 3, 5, 10, 0)
    assert resolved.duration_minutes == 90


def test_an_afternoon_hour_range_without_am_pm_is_pm() -> None:
    resolved = resolve_due("Friday from 2 to 3:30", reference=WEDNESDAY, timezone=NY)
    assert resolved is not None
    assert resolved.due.replace(tzinfo=None) == dt.datetime(2026, 3, 6, 14, 0)
    assert resolved.duration_minutes == 90


@pytest.mark.parametrize(
    ("phrase", "wall"),
    [
        ("before 10 tomorrow", dt.datetime(2026, 3, 5, 10, 0)),
        ("by 10 on Friday", dt.datetime(2026, 3, 6, 10, 0)),
        ("no later than 3pm Friday", dt.datetime(2026, 3, 6, 15, 0)),
        ("no later than 3 on Friday", dt.datetime(2026, 3, 6, 15, 0)),
        ("by 5.", dt.datetime(2026, 3, 4, 17, 0)),
        ("before 10.", dt.datetime(2026, 3, 5, 10, 0)),  # 10:00 has passed at 10:00 Wednesday
        ("until 4 Friday", dt.datetime(2026, 3, 6, 16, 0)),
    ],
)
def test_a_bare_hour_after_by_before_or_no_later_than_is_a_business_hours_deadline(
    phrase: str, wall: dt.datetime
) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None, phrase
    assert resolved.has_time
    assert resolved.due.replace(tzinfo=None) == wall


@pytest.mark.parametrize(
    "text", ["Sales grew by 10 percent.", "Page 10 to 12 of the report", "We went from 3 to 5"]
)
def test_numbers_after_by_or_in_a_plain_range_are_not_times(text: str) -> None:
    assert find_due_phrases(text) == []


def test_it_reads_within_n_days_the_nth_and_n_weeks_from_today() -> None:
    assert local("within 3 days") == dt.datetime(2026, 3, 7, 17, 0)
    assert local("by the 15th") == dt.datetime(2026, 3, 15, 17, 0)
    assert local("by the 2nd") == dt.datetime(2026, 4, 2, 17, 0)  # the 2nd of March has passed
    assert local("a week from today") == dt.datetime(2026, 3, 11, 17, 0)


@pytest.mark.parametrize(
    ("phrase", "zone"),
    [("4pm Pacific time", LA), ("9am Eastern time", NY), ("3pm Central Time", "America/Chicago"),
     ("3pm Mountain time", "America/Denver"), ("noon UK time", "Europe/London")],
)  # fmt: skip
def test_region_words_before_time_still_name_their_zone(phrase: str, zone: str) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone="Asia/Tokyo")
    assert resolved is not None and resolved.zone_stated
    assert resolved.zone == zone


def test_a_clock_time_without_am_pm_uses_business_hours_unless_written_with_a_zero() -> None:
    assert local("tomorrow at 3:30") == dt.datetime(2026, 3, 5, 15, 30)
    assert local("tomorrow at 9:30") == dt.datetime(2026, 3, 5, 9, 30)
    assert local("tomorrow at 03:30") == dt.datetime(2026, 3, 5, 3, 30)
    assert local("tomorrow at 15:30") == dt.datetime(2026, 3, 5, 15, 30)


def test_a_bare_hour_followed_by_what_the_meeting_is_for_is_still_a_time() -> None:
    assert local("Wednesday at 11 to go over the options") == dt.datetime(2026, 3, 11, 11, 0)
    assert local("Friday at 2 for half an hour") == dt.datetime(2026, 3, 6, 14, 0)
    assert find_due_phrases("We are at 11 to 12 people") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Last Tuesday we agreed on the scope; please send it by Friday", dt.datetime(2026, 3, 6, 17, 0)),
        ("Yesterday you said you'd have it by Monday", dt.datetime(2026, 3, 9, 17, 0)),
        ("As discussed this past Monday, the deck is due Thursday", dt.datetime(2026, 3, 5, 17, 0)),
        ("Two days ago I asked for the numbers; can you send them tomorrow?", dt.datetime(2026, 3, 5, 17, 0)),
    ],
)
def test_a_day_already_past_is_not_the_deadline(text: str, expected: dt.datetime) -> None:
    # "last Tuesday" was read as next Tuesday, and won over the deadline after it.
    assert local(text) == expected


@pytest.mark.parametrize("text", ["last Tuesday", "yesterday", "3 weeks ago", "last week"])
def test_a_day_already_past_alone_gives_no_date(text: str) -> None:
    assert resolve_due(text, reference=WEDNESDAY, timezone=NY) is None


def test_a_bracketed_date_gives_way_to_the_deadline_after_it() -> None:
    text = "Send your availability for the launch shoot (week of Mar 23) by Friday"
    assert local(text) == dt.datetime(2026, 3, 6, 17, 0)
    # The extractor reads phrases in order: the aside is not among the deadline phrases.
    from tasks_app.dates import find_deadline_phrases

    assert [p for p, _s, _e in find_deadline_phrases(text)] == ["Friday"]
    # Without a later deadline the bracketed date is the one there is.
    assert local("The launch shoot (week of Mar 23) needs a photographer") == dt.datetime(2026, 3, 23, 17, 0)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("today at 3 your time", dt.datetime(2026, 3, 4, 15, 0)),
        ("call me at 4 your time", dt.datetime(2026, 3, 4, 16, 0)),
        ("tomorrow at 10am local time", dt.datetime(2026, 3, 5, 10, 0)),
    ],
)
def test_your_time_is_the_readers_zone_and_keeps_the_clock(phrase: str, expected: dt.datetime) -> None:
    # "today at 3 your time" gave 17:00: the hour was lost before "your time".
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and resolved.has_time
    assert resolved.due == expected.replace(tzinfo=ZoneInfo(NY))


def test_my_time_is_the_senders_offset() -> None:
    # Sent from UTC-8 (the Date header's offset) to a reader in New York.
    sent = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    resolved = resolve_due("tomorrow at 3pm my time", reference=sent, timezone=NY)
    assert resolved is not None
    assert resolved.due == dt.datetime(2026, 3, 5, 23, 0, tzinfo=dt.UTC)
    # A zone in brackets after "my time" wins.
    stated = resolve_due("tomorrow at 3pm my time (CET)", reference=sent, timezone=NY)
    assert stated is not None and stated.due == dt.datetime(
        2026, 3, 5, 15, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )


@pytest.mark.parametrize(
    ("phrase", "zone"),
    [("EOD Friday PST", LA), ("Friday EOD London time", "Europe/London"), ("by Friday CET", "Europe/Berlin")],
)
def test_a_zone_after_the_day_is_the_zone_of_the_phrase(phrase: str, zone: str) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and resolved.zone_stated
    assert resolved.due == dt.datetime(2026, 3, 6, 17, 0, tzinfo=ZoneInfo(zone))
    [(found, _start, _end)] = find_due_phrases(f"Please send it {phrase}.")
    assert found == phrase.removeprefix("by ")


@pytest.mark.parametrize(
    ("phrase", "zone", "expected"),
    [
        ("by 20/3", NY, dt.datetime(2026, 3, 20, 17, 0)),  # no 20th month: day/month
        ("due 25/12/2026", NY, dt.datetime(2026, 12, 25, 17, 0)),
        ("by 3/12", NY, dt.datetime(2026, 3, 12, 17, 0)),  # US month/day stays the default
        ("by 3/12", "Europe/London", dt.datetime(2026, 12, 3, 17, 0)),  # a UK reader writes day/month
        ("by 3/12", "Australia/Sydney", dt.datetime(2026, 12, 3, 17, 0)),
        ("by 20.3.", NY, dt.datetime(2026, 3, 20, 17, 0)),
        ("on Friday, 6.3.", NY, dt.datetime(2026, 3, 6, 17, 0)),
    ],
)
def test_numeric_dates_read_day_first_where_month_first_cannot_be(
    phrase: str, zone: str, expected: dt.datetime
) -> None:
    assert local(phrase, zone=zone) == expected


@pytest.mark.parametrize("text", ["We offer 24/7 support", "version 3.4. is out", "see section 2.1. below"])
def test_numbers_with_slashes_and_dots_that_are_not_dates(text: str) -> None:
    assert resolve_due(text, reference=WEDNESDAY, timezone=NY) is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("by mid-April", dt.datetime(2026, 4, 15, 17, 0)),
        ("the middle of May", dt.datetime(2026, 5, 15, 17, 0)),
        ("by the end of April", dt.datetime(2026, 4, 30, 17, 0)),
        ("end of February", dt.datetime(2027, 2, 28, 17, 0)),  # February has passed this year
        ("by the end of Q2", dt.datetime(2026, 6, 30, 17, 0)),
        ("in a fortnight", dt.datetime(2026, 3, 18, 17, 0)),
        ("within two fortnights", dt.datetime(2026, 4, 1, 17, 0)),
        ("2 weeks from Friday", dt.datetime(2026, 3, 20, 17, 0)),
        ("a week from tomorrow", dt.datetime(2026, 3, 12, 17, 0)),
        ("three days after next Monday", dt.datetime(2026, 3, 12, 17, 0)),
        ("the week after next", dt.datetime(2026, 3, 16, 17, 0)),
        ("on Thursday the 12th", dt.datetime(2026, 3, 12, 17, 0)),
    ],
)
def test_more_ways_to_name_a_day(phrase: str, expected: dt.datetime) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and not resolved.has_time
    assert resolved.due.astimezone(ZoneInfo(NY)).replace(tzinfo=None) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("first thing Monday", dt.datetime(2026, 3, 9, 9, 0)),
        ("first thing in the morning tomorrow", dt.datetime(2026, 3, 5, 9, 0)),
        ("tmrw eod", dt.datetime(2026, 3, 5, 17, 0)),
        ("Friday cob", dt.datetime(2026, 3, 6, 17, 0)),
        ("by close of play Thursday", dt.datetime(2026, 3, 5, 17, 0)),
    ],
)
def test_first_thing_and_end_of_day_in_any_case(phrase: str, expected: dt.datetime) -> None:
    assert local(phrase) == expected


def test_night_inside_a_word_is_not_the_evening() -> None:
    assert resolve_due("The job runs overnight", reference=WEDNESDAY, timezone=NY) is None
    assert local("send it in a fortnight") == dt.datetime(2026, 3, 18, 17, 0)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("10am-noon Thursday", dt.datetime(2026, 3, 5, 10, 0), dt.datetime(2026, 3, 5, 12, 0)),
        ("Thursday 11 to noon", dt.datetime(2026, 3, 5, 11, 0), dt.datetime(2026, 3, 5, 12, 0)),
        ("between 2 and 4 on Friday", dt.datetime(2026, 3, 6, 14, 0), dt.datetime(2026, 3, 6, 16, 0)),
        ("Friday between 9 and 11", dt.datetime(2026, 3, 6, 9, 0), dt.datetime(2026, 3, 6, 11, 0)),
    ],
)
def test_ranges_to_noon_and_between_two_hours(phrase: str, start: dt.datetime, end: dt.datetime) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and resolved.end is not None
    assert resolved.due.replace(tzinfo=None) == start
    assert resolved.end.replace(tzinfo=None) == end


@pytest.mark.parametrize("text", ["between 2 and 4 people will come", "between 10 and 20 percent"])
def test_between_two_counts_is_not_a_time(text: str) -> None:
    assert resolve_due(text, reference=WEDNESDAY, timezone=NY) is None


def test_a_time_in_brackets_after_its_day_is_one_phrase() -> None:
    text = "the brand workshop on Thursday (2pm London time)"
    [(phrase, _start, _end)] = find_due_phrases(text)
    assert phrase == "Thursday (2pm London time)"
    resolved = resolve_due(text, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None
    assert resolved.due == dt.datetime(2026, 3, 5, 14, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Thursday at half past two", dt.datetime(2026, 3, 5, 14, 30)),
        ("at quarter to 4 tomorrow", dt.datetime(2026, 3, 5, 15, 45)),
        ("Friday at a quarter past 9", dt.datetime(2026, 3, 6, 9, 15)),
        ("tomorrow at three", dt.datetime(2026, 3, 5, 15, 0)),
        ("at three thirty on Friday", dt.datetime(2026, 3, 6, 15, 30)),
        ("at eleven o'clock tomorrow", dt.datetime(2026, 3, 5, 11, 0)),
        ("by the end of today", dt.datetime(2026, 3, 4, 17, 0)),
        ("end of play tomorrow", dt.datetime(2026, 3, 5, 17, 0)),
    ],
)
def test_spoken_times_follow_business_hours(phrase: str, expected: dt.datetime) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and resolved.has_time
    assert resolved.due.replace(tzinfo=None) == expected


@pytest.mark.parametrize("text", ["At one point we had three options", "We are at two of five"])
def test_a_number_word_after_at_is_not_always_a_time(text: str) -> None:
    assert resolve_due(text, reference=WEDNESDAY, timezone=NY) is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("by the first of April", dt.datetime(2026, 4, 1, 17, 0)),
        ("April twenty-first", dt.datetime(2026, 4, 21, 17, 0)),
        ("on the fifteenth of March", dt.datetime(2026, 3, 15, 17, 0)),
        ("by the weekend", dt.datetime(2026, 3, 6, 17, 0)),  # before it starts: Friday
        ("over the weekend", dt.datetime(2026, 3, 7, 17, 0)),
        ("this weekend", dt.datetime(2026, 3, 7, 17, 0)),
        ("next weekend", dt.datetime(2026, 3, 14, 17, 0)),
        ("by the end of the weekend", dt.datetime(2026, 3, 8, 17, 0)),
        ("in the next couple of days", dt.datetime(2026, 3, 6, 17, 0)),
        ("within the next week", dt.datetime(2026, 3, 11, 17, 0)),  # seven days, not next Monday
    ],
)
def test_ordinal_words_weekends_and_the_next_few_days(phrase: str, expected: dt.datetime) -> None:
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and not resolved.has_time
    assert resolved.due.replace(tzinfo=None) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("at 7:30 tonight", dt.datetime(2026, 3, 4, 19, 30)),  # was 07:30 the next day
        ("tonight at 8", dt.datetime(2026, 3, 4, 20, 0)),  # was 19:00, the part alone
        ("this evening at 8", dt.datetime(2026, 3, 4, 20, 0)),
        ("at 7 tomorrow evening", dt.datetime(2026, 3, 5, 19, 0)),
        ("at 3 in the morning", dt.datetime(2026, 3, 5, 3, 0)),
        ("Friday afternoon at 3", dt.datetime(2026, 3, 6, 15, 0)),
        ("tomorrow morning at 9:30", dt.datetime(2026, 3, 5, 9, 30)),
        ("by 11:59 PM tonight", dt.datetime(2026, 3, 4, 23, 59)),
    ],
)
def test_a_clock_with_a_part_of_the_day_takes_that_half_of_the_day(
    phrase: str, expected: dt.datetime
) -> None:
    assert local(phrase) == expected
    assert len(find_due_phrases(phrase)) == 1  # one phrase, so the extractor keeps both


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("next Tues @ 2", dt.datetime(2026, 3, 10, 14, 0)),
        ("Fri @3", dt.datetime(2026, 3, 6, 15, 0)),
        ("a week today", dt.datetime(2026, 3, 11, 17, 0)),
        ("a week on Friday", dt.datetime(2026, 3, 13, 17, 0)),
        ("two weeks tomorrow", dt.datetime(2026, 3, 19, 17, 0)),
        ("by year-end", dt.datetime(2026, 12, 31, 17, 0)),
        ("EOY", dt.datetime(2026, 12, 31, 17, 0)),
    ],
)
def test_at_signs_british_week_counts_and_year_end(phrase: str, expected: dt.datetime) -> None:
    assert local(phrase) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The first thing we need is a budget",
        "We shipped version 2.1. last month",
        "Between 3 and 5 people replied",
        "At one point the build broke",
        "The job runs overnight",
        "Our SLA is 24/7",
        "That was a quarter of the budget",
    ],
)
def test_sentences_that_only_look_like_the_new_families_give_no_date(text: str) -> None:
    assert resolve_due(text, reference=WEDNESDAY, timezone=NY) is None


# Monday 2 March 2026, 10:00 in New York: "Friday" alone is this week's, the 6th.
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo(NY))


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("by Friday next week", dt.datetime(2026, 3, 13, 17, 0)),  # was this week's Friday
        ("Tuesday of next week", dt.datetime(2026, 3, 10, 17, 0)),
        ("next week on Thursday", dt.datetime(2026, 3, 12, 17, 0)),
        ("Wednesday next", dt.datetime(2026, 3, 11, 17, 0)),
        ("the Tuesday after next", dt.datetime(2026, 3, 17, 17, 0)),
        ("Friday week", dt.datetime(2026, 3, 13, 17, 0)),
        ("mid next week", dt.datetime(2026, 3, 11, 17, 0)),
        ("by the middle of the week", dt.datetime(2026, 3, 4, 17, 0)),
    ],
)
def test_a_weekday_placed_in_a_week(phrase: str, expected: dt.datetime) -> None:
    assert local(phrase, MONDAY) == expected


@pytest.mark.parametrize(
    ("phrase", "offset"),
    [("tomorrow at 3pm GMT+1", 1), ("tomorrow at 10:00 UTC-5", -5), ("tomorrow at 9am UTC+14", 14)],
)
def test_an_offset_after_utc_or_gmt_is_that_fixed_offset(phrase: str, offset: int) -> None:
    # "GMT+1" was read as GMT, an hour off.
    resolved = resolve_due(phrase, reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and resolved.zone_stated
    assert resolved.due.utcoffset() == dt.timedelta(hours=offset)


def test_an_offset_beyond_the_calendar_is_ignored_not_an_error() -> None:
    # No zone is 13 hours behind UTC: the offset is dropped and the time read in UTC, without a crash.
    resolved = resolve_due("tomorrow at 3pm UTC-13", reference=WEDNESDAY, timezone=NY)
    assert resolved is not None and resolved.zone == "UTC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm out until Monday, can you send the report by Wednesday?", dt.datetime(2026, 3, 11, 17, 0)),
        ("I'm away from Tuesday, so please send it by Monday", dt.datetime(2026, 3, 9, 17, 0)),
        ("I'll be back on Thursday; please review it by Friday", dt.datetime(2026, 3, 6, 17, 0)),
        ("Off on Friday, so please send it tomorrow", dt.datetime(2026, 3, 5, 17, 0)),
        # Alone, the day someone is back is the only date there is.
        ("I'm out of the office until Mar 20", dt.datetime(2026, 3, 20, 17, 0)),
    ],
)
def test_when_someone_is_away_is_not_the_deadline(text: str, expected: dt.datetime) -> None:
    assert local(text) == expected
