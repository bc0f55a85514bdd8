"""The week view shows the user's other calendar events greyed out (Google Calendar, against the fake Google),
never our own blocks twice, and still shows our blocks with a note when the calendar cannot be read. Moving
a task onto another Google event asks first."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from conftest import client_for, sync_in_foreground
from scheduler_site.testing.fake_google import FakeGoogle, FakeUser
from scheduler_site.tests.google_support import (  # noqa: F401
    connect,
    fast_password_hashing_fixture,
    google_fixture,
    mail,
)
from tasks_app.models import Task
from tasks_app.selectors import Week
from tasks_app.services import TaskMoveNeedsConfirmation, calendar_sync, task_move_to

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # alice's zone; her Google calendar is in Madrid
WEEK = "2030-06-03"  # a Monday


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 6, day, hour, minute, tzinfo=NEW_YORK)


def busy_event(account: FakeUser, summary: str, start: dt.datetime, end: dt.datetime) -> None:
    account.add_event(
        {"summary": summary, "start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}}
    )


@pytest.fixture
def on_google(google: FakeGoogle, alice: User) -> tuple[FakeUser, Task]:
    """Alice on Google Calendar with one task whose event is on it, Wednesday 5 June 2030 10:00–10:30."""
    account = connect(google, alice, time_zone="Europe/Madrid")
    account.add_message(mail())
    sync_in_foreground(alice)
    task = Task.objects.get(user=alice)
    task_move_to(task=task, start=at(5, 10), confirmed=True)
    calendar_sync(user=alice)
    task.refresh_from_db()
    assert task.event_written and not task.calendar_pending
    return account, task


def week_of(user: User) -> Week:
    response = client_for(user).get(f"/week/?start={WEEK}")
    assert response.status_code == 200
    return response.context["week"]


def busy_times(week: Week) -> list[tuple[dt.date, str, str]]:
    return [(day.date, f"{b.start:%H:%M}", f"{b.end:%H:%M}") for day in week.days for b in day.busy]


def test_the_week_shows_other_google_events_greyed_out_as_busy(
    on_google: tuple[FakeUser, Task], alice: User
) -> None:
    account, task = on_google
    busy_event(account, "Checkout redesign review", at(5, 15), at(5, 15, 45))
    busy_event(account, "Dentist", at(7, 11), at(7, 12))

    response = client_for(alice).get(f"/week/?start={WEEK}")

    week = response.context["week"]
    # Our own event is on the Google calendar too, but it is drawn once, as our block.
    assert len(account.calendar_events()) == 3
    assert busy_times(week) == [
        (dt.date(2030, 6, 5), "15:00", "15:45"),
        (dt.date(2030, 6, 7), "11:00", "12:00"),
    ]
    assert [b.task.pk for b in week.days[2].blocks] == [task.pk]
    assert not week.busy_unreadable
    html = response.content.decode()
    assert html.count('class="wk-block wk-busy') == 2
    assert "another event in your calendar" in html
    # The seam gives bare intervals: no title of the user's events is fetched or shown.
    assert "Dentist" not in html


def test_an_event_at_the_very_time_of_our_block_still_shows(
    on_google: tuple[FakeUser, Task], alice: User
) -> None:
    account, _ = on_google
    busy_event(account, "Standup", at(5, 10), at(5, 10, 30))

    assert busy_times(week_of(alice)) == [(dt.date(2030, 6, 5), "10:00", "10:30")]


def test_other_events_are_cut_to_the_hours_the_week_shows(
    on_google: tuple[FakeUser, Task], alice: User
) -> None:
    account, _ = on_google
    busy_event(account, "Early gym", at(4, 6), at(4, 7))  # before the grid's first hour: not drawn
    busy_event(account, "Offsite", at(6, 8), at(6, 18))  # drawn within 9:00–17:00

    assert busy_times(week_of(alice)) == [(dt.date(2030, 6, 6), "09:00", "17:00")]


def test_a_calendar_error_leaves_the_week_with_our_blocks_and_a_note(
    on_google: tuple[FakeUser, Task], alice: User, google: FakeGoogle
) -> None:
    account, task = on_google
    busy_event(account, "Checkout redesign review", at(5, 15), at(5, 15, 45))
    google.fail("calendar.events.list", status=503, times=None)

    response = client_for(alice).get(f"/week/?start={WEEK}")

    assert response.status_code == 200
    week = response.context["week"]
    assert week.busy_unreadable
    assert busy_times(week) == []
    assert [b.task.pk for b in week.days[2].blocks] == [task.pk]
    assert "Your calendar could not be read just now" in response.content.decode()


def test_the_local_calendar_adds_no_other_events(alice: User, mailbox_factory: Callable) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(subject="Wiki", body="Please update the wiki page when you get a chance.")
    sync_in_foreground(alice)
    task = Task.objects.get(user=alice)
    task_move_to(task=task, start=at(5, 10), confirmed=True)
    calendar_sync(user=alice)

    response = client_for(alice).get(f"/week/?start={WEEK}")

    week = response.context["week"]
    assert [b.task.pk for b in week.days[2].blocks] == [task.pk]
    assert busy_times(week) == []
    assert not week.busy_unreadable
    assert "wk-busy-list" not in response.content.decode()


def test_moving_onto_another_google_event_asks_first(on_google: tuple[FakeUser, Task], alice: User) -> None:
    account, task = on_google
    busy_event(account, "Checkout redesign review", at(5, 15), at(5, 15, 45))

    response = client_for(alice).post(f"/tasks/{task.pk}/move/", {"start": "2030-06-05T15:15"})

    assert "It overlaps another event in your calendar (15:00–15:45)." in response.content.decode()
    task.refresh_from_db()
    assert task.event_start == at(5, 10)


def test_a_confirmed_move_onto_a_google_event_moves_our_event(
    on_google: tuple[FakeUser, Task], alice: User
) -> None:
    account, task = on_google
    busy_event(account, "Checkout redesign review", at(5, 15), at(5, 15, 45))

    client_for(alice).post(f"/tasks/{task.pk}/move/", {"start": "2030-06-05T15:15", "confirm": "1"})

    [ours] = [e for e in account.calendar_events() if e["id"] == task.event_id]
    assert dt.datetime.fromisoformat(ours["start"]["dateTime"]) == at(5, 15, 15)


def test_a_move_asks_first_when_the_calendar_cannot_be_checked(
    on_google: tuple[FakeUser, Task], google: FakeGoogle
) -> None:
    _, task = on_google
    google.fail("calendar.events.list", status=503, times=None)

    with pytest.raises(TaskMoveNeedsConfirmation) as asked:
        task_move_to(task=task, start=at(5, 11))

    assert asked.value.reasons == [
        "Your calendar could not be read, so other events at that time were not checked."
    ]
