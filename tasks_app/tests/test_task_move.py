"""Moving a task's block by hand: into the past is refused; outside working hours or over a meeting, another
block or another calendar event asks for confirmation first (a second submit, no JavaScript needed)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from accounts.models import Profile
from conftest import client_for, sync_in_foreground
from tasks_app.models import LocalCalendarEvent, Task
from tasks_app.services import (
    TaskMoveNeedsConfirmation,
    TaskMoveRefused,
    calendar_sync,
    task_move_to,
)

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # alice's zone; she works Monday to Friday, 9:00–17:00


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in June 2030 in New York (3 June 2030 is a Monday)."""
    return dt.datetime(2030, 6, day, hour, minute, tzinfo=NEW_YORK)


def local_input(moment: dt.datetime) -> str:
    return moment.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def wiki(alice: User, mailbox_factory: Callable) -> Task:
    _, folder = mailbox_factory(alice)
    folder.add(subject="Wiki", body="Please update the wiki page when you get a chance.")
    sync_in_foreground(alice)
    task = Task.objects.get(user=alice)
    assert task.event_written and task.duration_minutes in (None, 30)
    return task


def add_meeting(task: Task, title: str, start: dt.datetime, end: dt.datetime) -> Task:
    """Another task on the calendar of the same user (as a meeting read from the same email)."""
    return Task.objects.create(
        user=task.user,
        source=task.source,
        position=task.position + 1,
        title=title,
        kind=Task.Kind.MEETING,
        status=Task.Status.SCHEDULED,
        due_at=start,
        duration_minutes=int((end - start).total_seconds() // 60),
        event_start=start,
        event_end=end,
    )


def block(task: Task) -> tuple[dt.datetime | None, dt.datetime | None]:
    task.refresh_from_db()
    return task.event_start, task.event_end


def event_times(user: User) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(e.start, e.end) for e in LocalCalendarEvent.objects.filter(user=user)]


def confirmation_fields(html: str) -> dict[str, str]:
    """The hidden fields of the "Move anyway" form, as a browser without JavaScript would send them."""
    match = re.search(r'<div class="notice move-confirm".*?<form (.*?)</form>', html, re.S)
    assert match, "no confirmation form on the page"
    return dict(re.findall(r'<input type="hidden" name="(start|confirm)" value="([^"]*)">', match.group(1)))


def test_it_refuses_a_move_into_the_past_with_the_reason_on_the_page(wiki: Task, alice: User) -> None:
    before = block(wiki)

    response = client_for(alice).post(
        f"/tasks/{wiki.pk}/move/", {"start": "2020-01-06T10:00", "confirm": "1"}
    )

    assert response.status_code == 400
    assert "Pick a time in the future" in response.content.decode()
    assert block(wiki) == before
    assert event_times(alice) == [before]


def test_the_service_refuses_the_past_even_when_confirmed(wiki: Task) -> None:
    with pytest.raises(TaskMoveRefused):
        task_move_to(task=wiki, start=at(5, 10), confirmed=True, now=at(5, 11))


@pytest.mark.parametrize(
    ("start", "why"),
    [
        (at(8, 10), "Saturday"),
        (at(5, 18), "after the working day"),
        (at(5, 8, 30), "before the working day"),
        (at(5, 16, 45), "running past the end of the working day"),
    ],
)
def test_it_asks_before_moving_outside_working_hours(
    wiki: Task, alice: User, start: dt.datetime, why: str
) -> None:
    before = block(wiki)

    response = client_for(alice).post(f"/tasks/{wiki.pk}/move/", {"start": local_input(start)})

    assert response.status_code == 200, why
    html = response.content.decode()
    assert "is outside your working hours (Mon, Tue, Wed, Thu, Fri, 09:00–17:00, America/New_York)." in html
    assert confirmation_fields(html) == {"start": local_input(start), "confirm": "1"}
    assert block(wiki) == before
    assert event_times(alice) == [before]


def test_working_hours_are_read_in_the_users_zone_and_days(wiki: Task, alice: User) -> None:
    Profile.objects.filter(user=alice).update(timezone="Europe/Madrid", work_days=[6])
    saturday_in_madrid = dt.datetime(2030, 6, 8, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Madrid"))

    task_move_to(task=wiki, start=saturday_in_madrid, now=at(3, 9))

    assert block(wiki)[0] == saturday_in_madrid
    # The same moment is Saturday 4:00 in New York: outside hours there, but Madrid's hours are what count.
    with pytest.raises(TaskMoveNeedsConfirmation, match="outside your working hours"):
        task_move_to(task=wiki, start=at(5, 10), now=at(3, 9))


def test_it_asks_before_moving_onto_a_meeting(wiki: Task, alice: User) -> None:
    add_meeting(wiki, "Checkout redesign review", at(5, 15), at(5, 15, 45))
    before = block(wiki)

    response = client_for(alice).post(f"/tasks/{wiki.pk}/move/", {"start": local_input(at(5, 15))})

    html = response.content.decode()
    assert "It overlaps the meeting “Checkout redesign review” (15:00–15:45)." in html
    assert "outside your working hours" not in html
    assert block(wiki) == before


def test_it_asks_before_moving_onto_another_block(wiki: Task, alice: User) -> None:
    other = add_meeting(wiki, "Draft the budget", at(5, 10), at(5, 11))
    Task.objects.filter(pk=other.pk).update(kind=Task.Kind.TODO)

    with pytest.raises(TaskMoveNeedsConfirmation) as asked:
        task_move_to(task=wiki, start=at(5, 10, 45), now=at(3, 9))

    assert asked.value.reasons == ["It overlaps the block for “Draft the budget” (10:00–11:00)."]


def test_a_block_right_after_another_is_not_a_conflict(wiki: Task) -> None:
    add_meeting(wiki, "Checkout redesign review", at(5, 15), at(5, 15, 45))

    task_move_to(task=wiki, start=at(5, 15, 45), now=at(3, 9))

    assert block(wiki) == (at(5, 15, 45), at(5, 16, 15))


def test_a_move_into_free_working_time_needs_no_confirmation(wiki: Task, alice: User) -> None:
    response = client_for(alice).post(f"/tasks/{wiki.pk}/move/", {"start": local_input(at(5, 10))})

    assert response.status_code == 302
    assert block(wiki) == (at(5, 10), at(5, 10, 30))
    assert event_times(alice) == [(at(5, 10), at(5, 10, 30))]


def test_a_confirmed_move_goes_through_and_the_calendar_follows(wiki: Task, alice: User) -> None:
    add_meeting(wiki, "Checkout redesign review", at(8, 10), at(8, 11))
    client = client_for(alice)
    asked = client.post(f"/tasks/{wiki.pk}/move/", {"start": local_input(at(8, 10))})
    assert "outside your working hours" in asked.content.decode()
    assert "Checkout redesign review" in asked.content.decode()

    # The page's own "Move anyway" form, sent as a browser without JavaScript sends it.
    response = client.post(
        f"/tasks/{wiki.pk}/move/", confirmation_fields(asked.content.decode()), follow=True
    )

    assert "Moved to Sat 08 Jun, 10:00." in [str(m) for m in response.context["messages"]]
    assert block(wiki) == (at(8, 10), at(8, 10, 30))
    [event] = LocalCalendarEvent.objects.filter(user=alice)
    assert (event.event_id, event.start, event.end) == (wiki.event_id, at(8, 10), at(8, 10, 30))


def test_a_task_moved_within_its_own_block_does_not_conflict_with_itself(wiki: Task, alice: User) -> None:
    task_move_to(task=wiki, start=at(5, 10), now=at(3, 9))
    calendar_sync(user=alice)
    assert event_times(alice) == [(at(5, 10), at(5, 10, 30))]  # its old block is on the calendar

    task_move_to(task=wiki, start=at(5, 10, 15), now=at(3, 9))

    calendar_sync(user=alice)
    assert event_times(alice) == [(at(5, 10, 15), at(5, 10, 45))]
