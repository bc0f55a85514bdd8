"""Moving the sample mailbox to the present by whole weeks."""

from __future__ import annotations

import datetime as dt
import email
import re
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from accounts.services import demo_account_create
from conftest import sync_in_foreground
from emailsync.demo import (
    DEMO_MAILBOX_FOLDER,
    SAMPLE_DIR,
    days_to_shift,
    demo_mailbox_install,
    shift_message,
    shift_text,
)
from emailsync.models import SyncRun
from emailsync.services import mailbox_connect_local
from emailsync.sources.local import local_mail_area
from tasks_app.models import Task

ONE_WEEK = dt.timedelta(weeks=1)
TWO_WEEKS = dt.timedelta(weeks=2)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Can we do Dec 3?", "Can we do Dec 10?"),
        ("by December 4th please", "by December 11th please"),
        ("on Nov 27 at noon", "on Dec 4 at noon"),
        ("Nov 30th", "Dec 7th"),
        ("December 15th", "December 22nd"),
        ("december 31st", "january 7th"),
        ("Dec. 1, 2026", "Dec. 8, 2026"),
        ("el 3 de diciembre", "el 10 de diciembre"),
        ("el 27 de noviembre", "el 4 de diciembre"),
        ("DTSTART;TZID=America/New_York:20261201T150000", "DTSTART;TZID=America/New_York:20261208T150000"),
        ("DTSTAMP:20261124T143000Z", "DTSTAMP:20261201T143000Z"),
        ("due 2026-12-01.", "due 2026-12-08."),
        ("2026-11-27T17:00", "2026-12-04T17:00"),
    ],
)
def test_shift_text_moves_written_dates_by_the_delta(before: str, after: str) -> None:
    assert shift_text(before, ONE_WEEK) == after


@pytest.mark.parametrize(
    "text",
    [
        "Room 42, version 2.0, call 555-1234",
        "Invoice #20261201 is attached",  # eight digits but not after a colon and before a time
        "DTSTART:19700308T020000",  # the VTIMEZONE rule start, not a date of the sample week
        "UID:checkout-review-20261201T150000@calendar.example.com",
    ],
)
def test_shift_text_leaves_other_numbers_alone(text: str) -> None:
    assert shift_text(text, ONE_WEEK) == text


def test_shift_text_with_no_delta_changes_nothing() -> None:
    assert (
        shift_text("Dec 3, 3 de diciembre, 2026-12-01", dt.timedelta(0))
        == "Dec 3, 3 de diciembre, 2026-12-01"
    )


def test_shift_text_keeps_weekday_words_true() -> None:
    shifted = shift_text("Tuesday, December 1, 2026", TWO_WEEKS)

    assert shifted == "Tuesday, December 15, 2026"
    assert dt.date(2026, 12, 15).strftime("%A") == "Tuesday"


def sample_raw(name: str = "01-q3-numbers-request.eml") -> bytes:
    return (SAMPLE_DIR / name).read_bytes()


def test_shift_message_moves_the_date_header_by_whole_weeks() -> None:
    raw = sample_raw()
    before = parsedate_to_datetime(email.message_from_bytes(raw)["Date"])

    shifted = shift_message(raw, TWO_WEEKS)

    after = parsedate_to_datetime(email.message_from_bytes(shifted)["Date"])
    assert after - before == TWO_WEEKS
    assert after.utcoffset() == before.utcoffset()
    assert after.strftime("%a") == before.strftime("%a")
    assert b"Date: Mon, 07 Dec 2026 09:12:41 -0500" in shifted


def test_shift_message_moves_dates_in_the_body_and_calendar_part() -> None:
    raw = sample_raw("11-calendar-invite-design-review.eml")

    shifted = shift_message(raw, ONE_WEEK)

    assert b"When: Tuesday, December 8, 2026" in shifted
    assert b"DTSTART;TZID=America/New_York:20261208T150000" in shifted
    assert b"DTEND;TZID=America/New_York:20261208T154500" in shifted
    assert b"DTSTART:19700308T020000" in shifted


def test_shift_message_keeps_everything_but_dates() -> None:
    raw = sample_raw("11-calendar-invite-design-review.eml")

    shifted = shift_message(raw, ONE_WEEK)

    before, after = email.message_from_bytes(raw), email.message_from_bytes(shifted)
    assert after["Message-ID"] == before["Message-ID"]
    assert after["From"] == before["From"]
    assert len(shifted.splitlines()) == len(raw.splitlines())


def test_shift_message_moves_dates_in_the_subject_too() -> None:
    raw = sample_raw("11-calendar-invite-design-review.eml")

    shifted = shift_message(raw, ONE_WEEK)

    assert email.message_from_bytes(shifted)["Subject"].startswith(
        "Invitation: Checkout redesign review @ Tue Dec 8, 2026"
    )


def test_shift_message_with_no_delta_returns_the_bytes_unchanged() -> None:
    raw = sample_raw()

    assert shift_message(raw, dt.timedelta(0)) is raw


def test_shift_message_keeps_a_latin1_body_intact() -> None:
    raw = (
        b"From: a@example.com\nDate: Tue, 24 Nov 2026 08:05:17 -0500\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n\nNos vemos el 3 de diciembre, se\xf1or.\n"
    )

    shifted = shift_message(raw, ONE_WEEK)

    assert shifted.endswith(b"Nos vemos el 10 de diciembre, se\xf1or.\n")
    assert b"Date: Tue, 01 Dec 2026 08:05:17 -0500" in shifted


def test_every_sample_message_keeps_its_weekday_when_shifted() -> None:
    for path in sorted(SAMPLE_DIR.glob("*.eml")):
        raw = path.read_bytes()
        before = parsedate_to_datetime(email.message_from_bytes(raw)["Date"])
        after = parsedate_to_datetime(email.message_from_bytes(shift_message(raw, TWO_WEEKS))["Date"])
        assert after - before == TWO_WEEKS, path.name
        assert after.isoweekday() == before.isoweekday(), path.name


def test_demo_mailbox_install_copies_the_sample_shifted_to_today(tmp_path: Path) -> None:
    target = tmp_path / "demo-mailbox"

    count = demo_mailbox_install(target=target, now=dt.datetime(2026, 12, 12, 12, 0, tzinfo=dt.UTC))

    assert count == len(list(SAMPLE_DIR.glob("*.eml"))) >= 20
    assert sorted(p.name for p in target.glob("*.eml")) == sorted(p.name for p in SAMPLE_DIR.glob("*.eml"))
    copied = email.message_from_bytes((target / "01-q3-numbers-request.eml").read_bytes())
    assert parsedate_to_datetime(copied["Date"]).date() == dt.date(2026, 12, 7)  # 14 days: Mon to Mon
    assert not (tmp_path / "demo-mailbox.tmp").exists()


def test_demo_mailbox_install_keeps_an_existing_copy(tmp_path: Path) -> None:
    target = tmp_path / "demo-mailbox"
    demo_mailbox_install(target=target, now=dt.datetime(2026, 11, 29, tzinfo=dt.UTC))
    first = (target / "01-q3-numbers-request.eml").read_bytes()

    count = demo_mailbox_install(target=target, now=dt.datetime(2027, 1, 29, tzinfo=dt.UTC))

    assert count >= 20
    assert (target / "01-q3-numbers-request.eml").read_bytes() == first


# A fresh demo on any day of the week: few overdue tasks, most deadlines in the coming days.

SEVEN_CLOCKS = [
    # One per weekday, at different hours, in the demo's Eastern time (UTC-5 in winter).
    dt.datetime(2027, 1, 4, 7, 0, tzinfo=dt.UTC) + dt.timedelta(days=day, hours=3 * day + 5)
    for day in range(7)
]


@pytest.mark.django_db
@pytest.mark.parametrize("now", SEVEN_CLOCKS, ids=lambda now: now.strftime("%a-%H%M"))
def test_a_fresh_demo_shows_at_most_two_overdue_tasks_on_any_day(now: dt.datetime) -> None:
    user = demo_account_create()
    folder = local_mail_area(user.pk) / DEMO_MAILBOX_FOLDER
    demo_mailbox_install(target=folder, now=now)
    mailbox_connect_local(user=user, folder=str(folder))

    sent = [
        parsedate_to_datetime(email.message_from_bytes(p.read_bytes())["Date"]) for p in folder.glob("*.eml")
    ]
    assert max(sent) <= now
    assert now - max(sent) < dt.timedelta(days=1)
    run = sync_in_foreground(user)
    assert run.state == SyncRun.State.SUCCEEDED, run.error

    tasks = list(Task.objects.filter(user=user))
    # Meetings that have ended go to "Past", not "Overdue": only deadlines and to-dos count.
    dues = {t.title: t.due_at for t in tasks if t.due_at is not None and t.kind != Task.Kind.MEETING}
    overdue = [title for title, due in dues.items() if due < now]
    coming = [title for title, due in dues.items() if now <= due <= now + dt.timedelta(days=7)]
    assert len(tasks) >= 18
    assert len(overdue) <= 2, overdue
    assert len(coming) > len(dues) / 2, dues


@pytest.mark.parametrize("days", range(1, 8))
def test_weekday_words_still_name_the_same_day_relative_to_each_email(days: int) -> None:
    delta = dt.timedelta(days=days)
    for path in sorted(SAMPLE_DIR.glob("*.eml")):
        raw = path.read_bytes()
        before, after = email.message_from_bytes(raw), email.message_from_bytes(shift_message(raw, delta))
        sent_before, sent_after = parsedate_to_datetime(before["Date"]), parsedate_to_datetime(after["Date"])
        assert sent_after - sent_before == delta, path.name
        words_before = _weekday_offsets(raw.decode("latin-1"), sent_before.date())
        words_after = _weekday_offsets(shift_message(raw, delta).decode("latin-1"), sent_after.date())
        assert words_after == words_before, path.name


def _weekday_offsets(text: str, sent: dt.date) -> list[int]:
    """Days from the email's date to the next day of each weekday word it names (1 to 7)."""
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    found = re.findall(r"\b(" + "|".join(names) + r")\b", text.split("\n\n", 1)[1], re.IGNORECASE)
    return [(names.index(word.lower()) - sent.weekday() - 1) % 7 + 1 for word in found]


@pytest.mark.parametrize(
    ("now", "days"),
    [
        (dt.datetime(2026, 11, 20, tzinfo=dt.UTC), 0),  # before the sample: never shifted backwards
        (dt.datetime(2026, 11, 27, 18, 15, 44, tzinfo=dt.UTC), 0),  # the newest email's own moment
        (dt.datetime(2026, 11, 28, 18, 15, 43, tzinfo=dt.UTC), 0),  # a second short of a day later
        (dt.datetime(2026, 11, 28, 18, 15, 44, tzinfo=dt.UTC), 1),
        (dt.datetime(2026, 12, 1, 10, 45, tzinfo=dt.UTC), 3),
    ],
)
def test_days_to_shift_puts_the_newest_email_in_the_last_day(now: dt.datetime, days: int) -> None:
    assert days_to_shift(now) == days
