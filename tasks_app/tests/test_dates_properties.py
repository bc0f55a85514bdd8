"""The date resolver on generated phrases (hypothesis): any text in, phrases or None out, never an exception.

Phrases are random runs of the tokens the resolver knows (weekdays, months, numbers, clock times, zones,
ranges, relative words) mixed with noise and any unicode, resolved against references anywhere in the
calendar's range and in any zone. Hand-written cases with their expected answers stay in test_dates.py.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import example, given
from hypothesis import strategies as st

from tasks_app.dates import ZONE_ABBREVIATIONS, find_due_phrases, resolve_due

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kathmandu", "Pacific/Chatham", "Pacific/Kiritimati",
         "Etc/GMT+12", "Australia/Lord_Howe"]  # fmt: skip

TOKENS = [
    # days and months
    "Monday", "monday", "Mon", "MON", "Wed.", "Thurs", "Sun", "Friday", "this", "next", "coming", "this coming",
    "Jan", "January", "Feb", "feb.", "Sept", "December", "the", "of", "st", "nd", "th",
    "today", "tomorrow", "tmrw", "tonight", "day after tomorrow", "EOW", "EOM", "EOD", "COB", "C.O.B.",
    "end of the week", "end of next month", "end of the year", "next week", "this month", "the following week",
    # numbers, including ones no calendar has
    "0", "1", "3", "12", "13", "29", "30", "31", "32", "99", "2026", "0000", "9999", "10000", "99999999999",
    "a", "an", "one", "couple of", "few", "٣", "１２",
    # units
    "in", "days", "day", "weeks", "hours", "hrs", "minutes", "business days", "working days",
    # times
    "3pm", "3 pm", "12am", "12pm", "0am", "13pm", "10:30", "25:99", "23:59", "9.15am", "noon", "midnight",
    "morning", "afternoon", "evening", "lunch", "at", "@", "o'clock", "by", "before", "around", "on",
    # zones
    *sorted(ZONE_ABBREVIATIONS), "(CET)", "PST/PDT", "UTC+5", "GMT-12", "pacific time", "eastern",
    # ranges and punctuation
    "-", "–", "—", "to", "until", "and", "from", "between", "/", ",", ".", "?", "(", ")",
    "2026-02-29", "2024-02-29", "9999-12-31", "0001-01-01", "12/31", "2/30", "24/7", "13/1/99",
    # past days, spoken times, day-first and dotted dates, named zones of the reader or sender
    "last", "yesterday", "ago", "this past", "mid-", "end of", "Q3", "weekend", "fortnight", "first thing",
    "UTC+14", "GMT-12", "UTC-13", "GMT+15", "@", "week", "after next", "tonight at",
    "half past", "quarter to", "three", "twenty-first", "your time", "my time", "20/11", "18.11.", "noon",
]  # fmt: skip

tokens = st.sampled_from(TOKENS) | st.text(max_size=6)
phrases = st.lists(tokens, max_size=12).flatmap(
    lambda words: st.lists(
        st.sampled_from([" ", "", "  ", "\n", ", "]), min_size=len(words), max_size=len(words)
    ).map(lambda gaps: "".join(gap + word for gap, word in zip(gaps, words, strict=True)))
)
references = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zoneinfo.ZoneInfo(zone)),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
    st.sampled_from(ZONES),
)
everyday_references = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zoneinfo.ZoneInfo(zone)),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.sampled_from(ZONES),
)


def check_resolution(phrase: str, reference: dt.datetime, zone: str) -> None:
    resolved = resolve_due(phrase, reference=reference, timezone=zone)
    if resolved is None:
        return
    assert resolved.due.utcoffset() is not None
    assert resolved.phrase and resolved.phrase in phrase
    assert resolved.zone
    zoneinfo.ZoneInfo(resolved.zone)  # a real zone name
    if resolved.end is not None:
        assert resolved.end > resolved.due
        assert resolved.duration_minutes is not None and resolved.duration_minutes > 0


@given(phrases)
def test_found_phrases_are_slices_of_the_text(text: str) -> None:
    for phrase, start, end in find_due_phrases(text):
        assert text[start:end] == phrase
        assert phrase.strip()


@given(phrases, everyday_references, st.sampled_from(ZONES))
@example("in 99999999999 days", dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC), "UTC")
@example("in 100000000 business days", dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC), "UTC")
def test_every_generated_phrase_resolves_or_is_none(text: str, reference: dt.datetime, zone: str) -> None:
    check_resolution(text, reference, zone)
    for phrase, _, _ in find_due_phrases(text):
        check_resolution(phrase, reference, zone)


@given(phrases, references, st.sampled_from(ZONES))
@example("tomorrow 3pm", dt.datetime(9999, 12, 30, 23, 0, tzinfo=dt.UTC), "Pacific/Kiritimati")
@example("end of next year", dt.datetime(9999, 6, 1, tzinfo=dt.UTC), "UTC")
@example("noon", dt.datetime(1, 1, 2, tzinfo=zoneinfo.ZoneInfo("Etc/GMT+12")), "Pacific/Kiritimati")
def test_references_at_the_ends_of_the_calendar_resolve_or_are_none(
    text: str, reference: dt.datetime, zone: str
) -> None:
    """A Date header can say year 1 or 9999; a phrase past the calendar's end is an impossible date (None)."""
    check_resolution(text, reference, zone)


@given(st.text(max_size=300), everyday_references)
def test_any_unicode_text_resolves_or_is_none(text: str, reference: dt.datetime) -> None:
    check_resolution(text, reference, "Europe/Berlin")


def business_days_stepped(day: dt.date, count: int) -> dt.date:
    """The plain definition: step a day at a time, counting Monday to Friday."""
    while count > 0:
        day += dt.timedelta(days=1)
        count -= day.weekday() < 5
    return day


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)), st.integers(0, 400))
def test_business_days_jump_whole_weeks_to_the_same_day_as_stepping(start: dt.date, count: int) -> None:
    """``in N business days`` jumps whole weeks (a huge N must not loop N times) and still lands where
    stepping one day at a time would."""
    reference = dt.datetime.combine(start, dt.time(9, 30), tzinfo=dt.UTC)

    resolved = resolve_due(f"in {count} business days", reference=reference, timezone="UTC")

    assert resolved is not None
    assert resolved.due.date() == business_days_stepped(start, count)


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2098, 12, 31)),
    st.integers(min_value=1, max_value=31),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(["bis zum", "bis", "am", "Bitte bis spätestens", "Frist:", "vom"]),
)
def test_a_dotted_day_and_month_in_german_is_a_date_never_a_clock(
    sent: dt.date, day: int, month: int, lead: str
) -> None:
    # "bis zum 18.11." was 18:11 on the 18th.
    try:
        expected_day = dt.date(sent.year, month, day)
    except ValueError:
        return  # 31.04. is no date; nothing to check
    if expected_day < sent:
        if (month, day) == (2, 29):
            return  # the next 29 February is years away; other tests cover leap days
        expected_day = expected_day.replace(year=sent.year + 1)
    reference = dt.datetime.combine(sent, dt.time(9, 0), tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    resolved = resolve_due(f"{lead} {day:02d}.{month:02d}.", reference=reference, timezone="Europe/Berlin")
    assert resolved is not None
    assert not resolved.has_time
    assert resolved.due.date() == expected_day
    assert resolved.due.time() == dt.time(17, 0)


@given(
    st.integers(min_value=13, max_value=28),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(["by", "before", "due", "no later than", "antes del", "avant le"]),
    st.sampled_from(["America/New_York", "Europe/Madrid", "Europe/Paris", "Europe/London"]),
)
def test_a_slashed_date_whose_first_number_is_no_month_is_day_month(
    day: int, month: int, lead: str, zone: str
) -> None:
    reference = dt.datetime(2026, 1, 5, 9, 0, tzinfo=zoneinfo.ZoneInfo(zone))
    resolved = resolve_due(f"{lead} {day}/{month}", reference=reference, timezone=zone)
    assert resolved is not None
    assert (resolved.due.month, resolved.due.day) == (month, day)
    assert not resolved.has_time


@given(
    st.sampled_from(["last", "this past"]),
    st.sampled_from(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
    st.sampled_from(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "tomorrow", "next week"]),
    everyday_references,
)
def test_a_past_weekday_never_is_the_due_date(
    past: str, said: str, deadline: str, reference: dt.datetime
) -> None:
    text = f"{past} {said} we talked about it; please send it by {deadline}"
    resolved = resolve_due(text, reference=reference, timezone="UTC")
    expected = resolve_due(f"by {deadline}", reference=reference, timezone="UTC")
    assert resolved is not None and expected is not None
    assert resolved.due == expected.due
