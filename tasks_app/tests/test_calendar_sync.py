"""calendar_sync on a real database and the real local calendar: where tasks go and how writes recover."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string
from pytest_django import Settings

from accounts.models import Profile
from conftest import MailFolder
from emailsync.models import Mailbox, MessageReceipt
from tasks_app import scheduling
from tasks_app.calendars import CALENDARS, CalendarError, EventSpec, calendar_for, event_id_for
from tasks_app.calendars.local import LocalCalendar
from tasks_app.extractors import ExtractedTask
from tasks_app.intake import tasks_store_extracted
from tasks_app.models import LocalCalendarEvent, Task
from tasks_app.services import (
    TaskChangeError,
    calendar_sync,
    task_approve,
    task_dismiss,
    task_edit_fields,
    task_mark_done,
    task_move_to,
    task_reopen,
    task_retitle,
    task_stable_key,
)
from tasks_app.threads import thread_open_tasks

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
# Monday 30 November 2026, before Alice's working day starts.
MONDAY_8AM = dt.datetime(2026, 11, 30, 8, 0, tzinfo=NY)
BASE32HEX_ID = re.compile(r"^[a-v0-9]{5,1024}$")

_messages = itertools.count(1)


class WorkerDied(BaseException):
    """The worker process was killed: not even ``except Exception`` sees it."""


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def todo(title: str = "Send the slides", **fields: Any) -> ExtractedTask:
    return ExtractedTask(
        title=title, kind=fields.pop("kind", "todo"), evidence=f"Can you {title.lower()}?", **fields
    )


def store(user: User, mailbox_factory: MailboxFactory, *items: ExtractedTask) -> list[Task]:
    """Store tasks as the sync does after reading one email."""
    mailbox = Mailbox.objects.filter(user=user).first() or mailbox_factory(user)[0]
    receipt = MessageReceipt.objects.create(
        mailbox=mailbox,
        message_id=f"{next(_messages):04d}.eml",
        subject="Plans",
        sender="bob@example.com",
        status=MessageReceipt.Status.DONE,
    )
    profile = Profile.objects.get(user=user)
    tasks_store_extracted(
        receipt=receipt,
        extracted=list(items),
        profile=profile,
        extractor="offline",
        thread_tasks=thread_open_tasks(receipt=receipt),
    )
    return list(Task.objects.filter(source=receipt).order_by("position"))


def fresh(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


def event_of(task: Task) -> LocalCalendarEvent:
    return LocalCalendarEvent.objects.get(user=task.user, event_id=fresh(task).event_id)


def local(moment: dt.datetime | None) -> dt.datetime:
    assert moment is not None
    return moment.astimezone(NY)


def busy(user: User, start: dt.datetime, end: dt.datetime, name: str = "Dentist") -> None:
    """An event the user already had on the calendar."""
    LocalCalendarEvent.objects.create(
        user=user, event_id=f"own{name.lower()}", summary=name, start=start, end=end
    )


def test_it_places_a_scheduled_task_in_the_next_free_working_block(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    [task] = store(alice, mailbox_factory, todo("Send the slides"))
    assert task.status == Task.Status.SCHEDULED and task.calendar_pending

    assert calendar_sync(user=alice, now=MONDAY_8AM) == 1

    task = fresh(task)
    assert (local(task.event_start), local(task.event_end)) == (
        dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY),
        dt.datetime(2026, 11, 30, 9, 30, tzinfo=NY),
    )
    assert task.event_written and not task.calendar_pending
    assert task.event_link.endswith(f"#event-{task.event_id}")
    event = event_of(task)
    assert (event.start, event.end, event.summary) == (task.event_start, task.event_end, "Send the slides")
    assert "Can you send the slides?" in event.description
    assert "bob@example.com" in event.description


def test_it_leaves_tasks_proposed_and_off_the_calendar_in_approval_mode(
    user_factory: Callable[..., User], mailbox_factory: MailboxFactory
) -> None:
    dana = user_factory("dana", approval_required=True)
    [task] = store(dana, mailbox_factory, todo())

    assert calendar_sync(user=dana, now=MONDAY_8AM) == 0

    task = fresh(task)
    assert task.status == Task.Status.PROPOSED
    assert not task.calendar_pending and not task.event_written
    assert task.event_id == "" and task.event_start is None
    assert not LocalCalendarEvent.objects.filter(user=dana).exists()


def test_approving_a_proposed_task_places_it(
    user_factory: Callable[..., User], mailbox_factory: MailboxFactory
) -> None:
    dana = user_factory("dana", approval_required=True)
    [task] = store(dana, mailbox_factory, todo())
    calendar_sync(user=dana, now=MONDAY_8AM)

    task_approve(task=task)
    assert calendar_sync(user=dana, now=MONDAY_8AM) == 1

    task = fresh(task)
    assert task.status == Task.Status.SCHEDULED and task.event_written
    assert event_of(task).start == task.event_start


@pytest.mark.parametrize("finish", [task_mark_done, task_dismiss])
def test_a_finished_task_leaves_the_calendar(
    alice: User, mailbox_factory: MailboxFactory, finish: Callable[..., Task]
) -> None:
    [task, other] = store(alice, mailbox_factory, todo("Send the slides"), todo("Book the room"))
    calendar_sync(user=alice, now=MONDAY_8AM)

    finish(task=task)
    calendar_sync(user=alice, now=MONDAY_8AM)

    task = fresh(task)
    assert not task.event_written and not task.calendar_pending
    assert list(LocalCalendarEvent.objects.filter(user=alice).values_list("event_id", flat=True)) == [
        fresh(other).event_id
    ]


def test_a_reopened_task_goes_back_on_the_calendar_under_the_same_id(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    [task] = store(alice, mailbox_factory, todo())
    calendar_sync(user=alice, now=MONDAY_8AM)
    event_id = fresh(task).event_id
    task_mark_done(task=task)
    calendar_sync(user=alice, now=MONDAY_8AM)

    task_reopen(task=task)
    calendar_sync(user=alice, now=MONDAY_8AM)

    task = fresh(task)
    assert task.event_written and task.event_id == event_id
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 1


def test_a_meeting_goes_at_its_stated_time_even_outside_working_hours(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    # 3pm in Los Angeles is 6pm for Alice in New York, after her working day.
    starts = dt.datetime(2026, 12, 1, 15, 0, tzinfo=LA)
    [meeting] = store(
        alice, mailbox_factory, todo("Budget call", kind="meeting", due=starts, duration_minutes=45)
    )
    busy(alice, starts, starts + dt.timedelta(hours=1))

    calendar_sync(user=alice, now=MONDAY_8AM)

    meeting = fresh(meeting)
    assert meeting.event_start == starts
    assert meeting.event_end == starts + dt.timedelta(minutes=45)
    assert event_of(meeting).start == starts


def test_a_deadline_block_lands_in_working_hours_before_the_deadline_around_existing_events(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    due = dt.datetime(2026, 11, 30, 15, 0, tzinfo=NY)
    busy(alice, dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY), dt.datetime(2026, 11, 30, 12, 10, tzinfo=NY))
    [task] = store(
        alice, mailbox_factory, todo("Review the contract", kind="deadline", due=due, duration_minutes=60)
    )

    calendar_sync(user=alice, now=MONDAY_8AM)

    task = fresh(task)
    start, end = local(task.event_start), local(task.event_end)
    assert (start, end) == (
        dt.datetime(2026, 11, 30, 12, 15, tzinfo=NY),
        dt.datetime(2026, 11, 30, 13, 15, tzinfo=NY),
    )
    assert end <= due
    assert task.calendar_error == ""
    others = LocalCalendarEvent.objects.filter(user=alice).exclude(event_id=task.event_id)
    assert not others.filter(start__lt=task.event_end, end__gt=task.event_start).exists()


def test_a_deadline_with_no_time_left_before_it_is_placed_after_with_a_note(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    due = dt.datetime(2026, 11, 30, 11, 0, tzinfo=NY)
    busy(alice, dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY), dt.datetime(2026, 11, 30, 11, 0, tzinfo=NY))
    [task] = store(
        alice, mailbox_factory, todo("Sign the NDA", kind="deadline", due=due, duration_minutes=60)
    )

    calendar_sync(user=alice, now=MONDAY_8AM)

    task = fresh(task)
    assert local(task.event_start) == dt.datetime(2026, 11, 30, 11, 0, tzinfo=NY)
    assert task.event_written
    assert task.placement_note == "No free working time was left before the deadline."
    assert task.calendar_error == ""


def test_tasks_placed_in_one_pass_do_not_overlap(alice: User, mailbox_factory: MailboxFactory) -> None:
    store(alice, mailbox_factory, todo("Send the slides"), todo("Book the room"), todo("Update the budget"))

    assert calendar_sync(user=alice, now=MONDAY_8AM) == 3

    blocks = sorted(LocalCalendarEvent.objects.filter(user=alice).values_list("start", "end"))
    assert len(blocks) == 3
    for (_, earlier_end), (later_start, _) in itertools.pairwise(blocks):
        assert earlier_end <= later_start


def test_it_finds_no_block_when_the_working_hours_are_full(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SCHEDULING_HORIZON_DAYS = 1
    busy(alice, dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY), dt.datetime(2026, 11, 30, 17, 0, tzinfo=NY))
    [task] = store(alice, mailbox_factory, todo())

    assert calendar_sync(user=alice, now=MONDAY_8AM) == 0

    task = fresh(task)
    assert not task.calendar_pending and not task.event_written
    assert task.event_start is None
    assert "No free block in your working hours in the next 1 days" in task.calendar_error


def test_changing_work_hours_affects_newly_placed_tasks_only(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    [placed] = store(alice, mailbox_factory, todo("Send the slides"))
    calendar_sync(user=alice, now=MONDAY_8AM)
    Profile.objects.filter(user=alice).update(
        work_start=dt.time(13, 0), work_end=dt.time(18, 0), work_days=[2, 3]
    )
    [new] = store(alice, mailbox_factory, todo("Book the room"))

    calendar_sync(user=alice, now=MONDAY_8AM)

    assert local(fresh(placed).event_start) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    # Monday is no longer a working day: Tuesday afternoon is the first free block.
    assert local(fresh(new).event_start) == dt.datetime(2026, 12, 1, 13, 0, tzinfo=NY)


def test_a_calendar_that_is_down_leaves_tasks_pending_for_a_later_sync(
    alice: User, mailbox_factory: MailboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = store(alice, mailbox_factory, todo("Send the slides"), todo("Book the room"))
    attempts: list[int] = []

    def down(self: LocalCalendar, specs: list[EventSpec]) -> Any:
        attempts.append(len(specs))
        raise CalendarError("down", transient=True)

    monkeypatch.setattr(LocalCalendar, "insert_many", down)

    assert calendar_sync(user=alice, now=MONDAY_8AM) == 0

    # One batch for both, and a transient error stops the pass instead of hammering a calendar that is down.
    assert attempts == [2]
    assert fresh(first).calendar_pending and fresh(second).calendar_pending
    assert fresh(first).calendar_error == fresh(second).calendar_error == "down"
    assert not fresh(first).event_written
    assert not LocalCalendarEvent.objects.filter(user=alice).exists()

    monkeypatch.undo()
    assert calendar_sync(user=alice, now=MONDAY_8AM) == 2

    for task in (fresh(first), fresh(second)):
        assert task.event_written and not task.calendar_pending
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 2


def test_a_task_placed_while_another_waits_for_the_calendar_does_not_take_its_block(
    alice: User, mailbox_factory: MailboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    friday = dt.datetime(2026, 12, 4, 17, 0, tzinfo=NY)
    [waiting] = store(alice, mailbox_factory, todo("Send the slides", kind="deadline", due=friday))

    def down(self: LocalCalendar, specs: list[EventSpec]) -> Any:
        raise CalendarError("down", transient=True)

    monkeypatch.setattr(LocalCalendar, "insert_many", down)
    calendar_sync(user=alice, now=MONDAY_8AM)
    monkeypatch.undo()
    # Its block is chosen but not on the calendar yet; a task due sooner is placed before it is written.
    assert local(fresh(waiting).event_start) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    [sooner] = store(
        alice, mailbox_factory, todo("Book the room", kind="deadline", due=friday - dt.timedelta(days=2))
    )

    calendar_sync(user=alice, now=MONDAY_8AM)

    waiting, sooner = fresh(waiting), fresh(sooner)
    assert waiting.event_written and sooner.event_written
    assert local(waiting.event_start) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    assert local(sooner.event_start) == dt.datetime(2026, 11, 30, 9, 30, tzinfo=NY)


def test_a_calendar_error_is_cleared_once_the_write_succeeds(
    alice: User, mailbox_factory: MailboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    [task] = store(alice, mailbox_factory, todo())

    def down(self: LocalCalendar, specs: list[EventSpec]) -> Any:
        raise CalendarError("down", transient=True)

    monkeypatch.setattr(LocalCalendar, "insert_many", down)
    calendar_sync(user=alice, now=MONDAY_8AM)
    monkeypatch.undo()

    calendar_sync(user=alice, now=MONDAY_8AM)

    task = fresh(task)
    assert task.event_written
    assert task.calendar_error == ""


def test_event_ids_are_base32hex_and_stable_across_reruns(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    items = [todo("Send the slides"), todo("Book the room")]
    tasks = store(alice, mailbox_factory, *items)
    calendar_sync(user=alice, now=MONDAY_8AM)
    ids = [fresh(task).event_id for task in tasks]

    # The same email extracted again (a rerun of the sync) updates the same rows and the same events.
    receipt = tasks[0].source
    tasks_store_extracted(
        receipt=receipt,
        extracted=items,
        profile=Profile.objects.get(user=alice),
        extractor="offline",
        thread_tasks=thread_open_tasks(receipt=receipt),
    )
    assert calendar_sync(user=alice, now=MONDAY_8AM) == 2
    calendar_sync(user=alice, now=MONDAY_8AM)

    assert len(set(ids)) == 2
    for task, event_id in zip(tasks, ids, strict=True):
        assert BASE32HEX_ID.match(event_id), event_id
        assert event_id == event_id_for(task_stable_key(fresh(task)))
        assert fresh(task).event_id == event_id
    events = LocalCalendarEvent.objects.filter(user=alice)
    assert sorted(events.values_list("event_id", flat=True)) == sorted(ids)
    assert set(events.values_list("sequence", flat=True)) == {1}
    assert Task.objects.filter(user=alice).count() == 2


def test_a_worker_killed_between_calendar_write_and_save_leaves_one_event(
    alice: User, mailbox_factory: MailboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    [task] = store(alice, mailbox_factory, todo())
    real_insert_many = LocalCalendar.insert_many

    def insert_then_die(self: LocalCalendar, specs: list[EventSpec]) -> Any:
        real_insert_many(self, specs)
        raise WorkerDied()

    monkeypatch.setattr(LocalCalendar, "insert_many", insert_then_die)
    with pytest.raises(WorkerDied):
        calendar_sync(user=alice, now=MONDAY_8AM)
    monkeypatch.undo()
    crashed = fresh(task)
    # The id was saved before the calendar was called; that the event was written was not.
    assert crashed.event_id and not crashed.event_written and crashed.calendar_pending

    assert calendar_sync(user=alice, now=MONDAY_8AM) == 1

    task = fresh(task)
    assert task.event_written and not task.calendar_pending
    assert task.event_id == crashed.event_id
    [event] = LocalCalendarEvent.objects.filter(user=alice)
    assert (event.event_id, event.start, event.end) == (task.event_id, task.event_start, task.event_end)


def test_moving_or_renaming_a_task_updates_its_event_in_place(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    [task] = store(alice, mailbox_factory, todo())
    calendar_sync(user=alice, now=MONDAY_8AM)
    event_id = fresh(task).event_id
    new_start = dt.datetime(2026, 12, 2, 14, 0, tzinfo=NY)

    task_retitle(task=task, title="Send the final slides")
    task_move_to(task=task, start=new_start, now=MONDAY_8AM)
    calendar_sync(user=alice, now=MONDAY_8AM)

    [event] = LocalCalendarEvent.objects.filter(user=alice)
    assert event.event_id == event_id
    assert (event.summary, event.start, event.end) == (
        "Send the final slides",
        new_start,
        new_start + dt.timedelta(minutes=30),
    )
    assert event.sequence == 1


def test_an_event_deleted_from_the_calendar_is_written_again_on_the_next_change(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    [task] = store(alice, mailbox_factory, todo())
    calendar_sync(user=alice, now=MONDAY_8AM)
    LocalCalendarEvent.objects.filter(user=alice).delete()

    task_retitle(task=task, title="Send the final slides")
    calendar_sync(user=alice, now=MONDAY_8AM)

    task = fresh(task)
    assert task.event_written
    assert event_of(task).summary == "Send the final slides"


def test_one_users_calendar_never_holds_or_blocks_another_users_tasks(
    alice: User, charlie: User, mailbox_factory: MailboxFactory
) -> None:
    busy(alice, dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY), dt.datetime(2026, 11, 30, 12, 0, tzinfo=NY))
    [alice_task] = store(alice, mailbox_factory, todo("Send the slides"))
    [charlie_task] = store(charlie, mailbox_factory, todo("Send the slides"))

    calendar_sync(user=alice, now=MONDAY_8AM)

    assert fresh(charlie_task).calendar_pending, "Alice's sync touched Charlie's task"
    assert not LocalCalendarEvent.objects.filter(user=charlie).exists()

    calendar_sync(user=charlie, now=MONDAY_8AM)

    assert local(fresh(alice_task).event_start) == dt.datetime(2026, 11, 30, 12, 0, tzinfo=NY)
    assert local(fresh(charlie_task).event_start) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    assert fresh(alice_task).event_id != fresh(charlie_task).event_id
    assert set(LocalCalendarEvent.objects.filter(user=charlie).values_list("event_id", flat=True)) == {
        fresh(charlie_task).event_id
    }


def test_an_edit_changes_only_the_fields_it_names(alice: User, mailbox_factory: MailboxFactory) -> None:
    due = dt.datetime(2026, 12, 4, 17, 0, tzinfo=NY)
    [task] = store(alice, mailbox_factory, todo(due=due, kind="deadline", duration_minutes=45))
    calendar_sync(user=alice, now=MONDAY_8AM)
    placed = fresh(task)

    task_edit_fields(task=task, changes={"title": "Send the final slides"})

    task = fresh(task)
    assert task.title == "Send the final slides" and task.edited_by_user
    # No new due time or duration: the block stays where it was, only the event's title follows.
    assert (task.due_at, task.duration_minutes) == (due, 45)
    assert (task.event_start, task.event_end) == (placed.event_start, placed.event_end)


def test_a_new_due_time_and_length_put_a_meeting_at_its_new_time(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    [meeting] = store(
        alice, mailbox_factory, todo("Budget review", kind="meeting", due=MONDAY_8AM + dt.timedelta(hours=3))
    )
    calendar_sync(user=alice, now=MONDAY_8AM)
    new_time = dt.datetime(2026, 12, 1, 15, 0, tzinfo=NY)

    task_edit_fields(task=meeting, changes={"due_at": new_time, "duration_minutes": 90})
    calendar_sync(user=alice, now=MONDAY_8AM)

    event = event_of(meeting)
    assert (event.start, event.end) == (new_time, new_time + dt.timedelta(minutes=90))


def test_an_edit_with_a_bad_field_changes_nothing(alice: User, mailbox_factory: MailboxFactory) -> None:
    [task] = store(alice, mailbox_factory, todo())

    with pytest.raises(TaskChangeError, match="between 5 minutes and 24 hours"):
        task_edit_fields(task=task, changes={"title": "Send the final slides", "duration_minutes": 2})
    with pytest.raises(TaskChangeError, match="cannot be empty"):
        task_retitle(task=task, title="   ")

    task = fresh(task)
    assert task.title == "Send the slides" and not task.edited_by_user


def test_every_calendar_provider_names_a_calendar_class() -> None:
    assert set(CALENDARS) == set(Profile.CalendarProvider.values)
    for path in CALENDARS.values():
        assert isinstance(import_string(path), type)


def test_a_user_without_a_profile_gets_the_local_calendar(alice: User) -> None:
    Profile.objects.filter(user=alice).delete()

    assert isinstance(calendar_for(alice), LocalCalendar)


def test_a_meeting_due_later_is_busy_before_a_task_due_sooner_is_placed(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    # The deadline has passed, so its block goes in the first free time from now: 9:00 is the meeting's.
    [meeting] = store(
        alice,
        mailbox_factory,
        todo("Design review", kind="meeting", due=MONDAY_8AM + dt.timedelta(hours=1), duration_minutes=45),
    )
    [report] = store(
        alice, mailbox_factory, todo("Submit the expense report", kind="deadline", due=MONDAY_8AM)
    )

    calendar_sync(user=alice, now=MONDAY_8AM)

    meeting, report = fresh(meeting), fresh(report)
    assert local(meeting.event_start) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    assert (local(report.event_start), local(report.event_end)) == (
        dt.datetime(2026, 11, 30, 9, 45, tzinfo=NY),
        dt.datetime(2026, 11, 30, 10, 15, tzinfo=NY),
    )


def test_two_meetings_at_the_same_time_both_keep_it(alice: User, mailbox_factory: MailboxFactory) -> None:
    nine = dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    first, second = store(
        alice,
        mailbox_factory,
        todo("Budget call", kind="meeting", due=nine, duration_minutes=60),
        todo("Vendor call", kind="meeting", due=nine + dt.timedelta(minutes=30), duration_minutes=60),
    )
    [slides] = store(alice, mailbox_factory, todo("Send the slides"))

    calendar_sync(user=alice, now=MONDAY_8AM)

    assert fresh(first).event_start == nine
    assert fresh(second).event_start == nine + dt.timedelta(minutes=30)
    assert local(fresh(slides).event_start) == dt.datetime(2026, 11, 30, 10, 30, tzinfo=NY)


def test_tasks_go_by_due_time_undated_last_then_by_priority(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    friday = dt.datetime(2026, 12, 4, 17, 0, tzinfo=NY)
    undated, low, high, due_sooner = store(
        alice,
        mailbox_factory,
        todo("Tidy the wiki"),
        todo("Book the room", kind="deadline", due=friday, priority="low"),
        todo("Sign the contract", kind="deadline", due=friday, priority="high"),
        todo("Send the slides", kind="deadline", due=friday - dt.timedelta(days=1), priority="low"),
    )

    calendar_sync(user=alice, now=MONDAY_8AM)

    starts = {task.title: local(fresh(task).event_start).time() for task in (undated, low, high, due_sooner)}
    assert starts == {
        "Send the slides": dt.time(9, 0),
        "Sign the contract": dt.time(9, 30),
        "Book the room": dt.time(10, 0),
        "Tidy the wiki": dt.time(10, 30),
    }


def test_the_calendar_is_read_once_per_pass_however_many_tasks(
    alice: User, mailbox_factory: MailboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for email in range(4):
        store(alice, mailbox_factory, *(todo(f"Task {email}.{n}") for n in range(3)))
    reads: list[tuple[dt.datetime, dt.datetime]] = []
    real_busy = LocalCalendar.busy

    def counted(self: LocalCalendar, start: dt.datetime, end: dt.datetime) -> Any:
        reads.append((start, end))
        return real_busy(self, start, end)

    monkeypatch.setattr(LocalCalendar, "busy", counted)

    assert calendar_sync(user=alice, now=MONDAY_8AM) == 12

    assert reads == [(MONDAY_8AM, MONDAY_8AM + dt.timedelta(days=28))]


def test_a_local_pass_costs_the_same_statements_for_ten_tasks_as_for_fifty(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    """Nothing is read or written per task: one busy read (the events, plus our blocks not written yet), then
    per batch of 50 one statement for the ids, one for the ids taken, one INSERT, one save of the tasks."""
    statements = []
    for count in (10, 50):
        for n in range(count):
            store(alice, mailbox_factory, todo(f"Task {count}.{n}"))
        with CaptureQueriesContext(connection) as captured:
            assert calendar_sync(user=alice, now=MONDAY_8AM) == count
        statements.append(len(captured))

    assert statements[0] == statements[1]


def test_a_full_horizon_is_searched_once_and_every_task_is_told(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SCHEDULING_HORIZON_DAYS = 1
    busy(alice, dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY), dt.datetime(2026, 11, 30, 17, 0, tzinfo=NY))
    tasks = [
        task
        for email in range(3)
        for task in store(
            alice, mailbox_factory, *(todo(f"Task {email}.{n}", duration_minutes=30 + n) for n in range(3))
        )
    ]
    searches: list[dt.timedelta] = []
    real_free_block = scheduling.free_block

    def counted(**kwargs: Any) -> Any:
        searches.append(kwargs["duration"])
        return real_free_block(**kwargs)

    monkeypatch.setattr(scheduling, "free_block", counted)

    assert calendar_sync(user=alice, now=MONDAY_8AM) == 0

    assert searches == [dt.timedelta(minutes=30)]
    for task in tasks:
        task = fresh(task)
        assert task.event_start is None and not task.calendar_pending
        assert task.calendar_error == "No free block in your working hours in the next 1 days."


def test_a_meeting_that_arrives_later_moves_the_block_it_lands_on(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    [slides] = store(alice, mailbox_factory, todo("Send the slides"))
    calendar_sync(user=alice, now=MONDAY_8AM)
    event_id = fresh(slides).event_id
    assert local(fresh(slides).event_start) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    # A later email: a meeting at 9:15, over the block already on the calendar.
    quarter_past = dt.datetime(2026, 11, 30, 9, 15, tzinfo=NY)
    [meeting] = store(alice, mailbox_factory, todo("Design review", kind="meeting", due=quarter_past))

    calendar_sync(user=alice, now=MONDAY_8AM + dt.timedelta(minutes=5))

    slides = fresh(slides)
    assert fresh(meeting).event_start == quarter_past
    assert (local(slides.event_start), local(slides.event_end)) == (
        dt.datetime(2026, 11, 30, 9, 45, tzinfo=NY),
        dt.datetime(2026, 11, 30, 10, 15, tzinfo=NY),
    )
    assert slides.event_written and not slides.calendar_pending and slides.event_id == event_id
    # The same event, moved in place: not a second one.
    event = event_of(slides)
    assert (event.start, event.end, event.sequence) == (slides.event_start, slides.event_end, 1)
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 2


def test_a_block_a_later_meeting_lands_on_leaves_the_calendar_when_no_other_is_free(
    user_factory: Callable[..., User], mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    # The case hypothesis found (test_placement_properties): working hours 00:00–00:30 UTC on Saturdays
    # only, a flexible block in the one free half hour, then a meeting on Friday 23:31–Saturday 00:01.
    settings.SCHEDULING_HORIZON_DAYS = 3
    dana = user_factory(
        "dana", timezone="UTC", work_start=dt.time(0, 0), work_end=dt.time(0, 30), work_days=[6]
    )
    thursday = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
    [call] = store(dana, mailbox_factory, todo("Call the caterer", kind="meeting"))  # no time stated
    calendar_sync(user=dana, now=thursday)
    assert fresh(call).event_start == dt.datetime(2026, 1, 3, 0, 0, tzinfo=dt.UTC)
    friday_night = dt.datetime(2026, 1, 2, 23, 31, tzinfo=dt.UTC)
    [meeting] = store(dana, mailbox_factory, todo("Budget call", kind="meeting", due=friday_night))

    calendar_sync(user=dana, now=thursday + dt.timedelta(hours=5))

    call = fresh(call)
    assert [(e.start, e.end) for e in LocalCalendarEvent.objects.filter(user=dana)] == [
        (friday_night, friday_night + dt.timedelta(minutes=30))
    ]
    assert fresh(meeting).event_written
    assert call.status == Task.Status.SCHEDULED and not call.calendar_pending
    assert not call.event_written and call.event_start is None and call.event_end is None
    assert call.calendar_error == "No free block in your working hours in the next 3 days."


def test_a_block_a_meeting_lands_on_still_moves_after_the_calendar_failed_midway(
    alice: User, mailbox_factory: MailboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    [slides] = store(alice, mailbox_factory, todo("Send the slides"))
    calendar_sync(user=alice, now=MONDAY_8AM)
    quarter_past = dt.datetime(2026, 11, 30, 9, 15, tzinfo=NY)
    store(alice, mailbox_factory, todo("Design review", kind="meeting", due=quarter_past))

    def down(self: LocalCalendar, spec: EventSpec) -> Any:
        raise CalendarError("down", transient=True)

    # The meeting is written, then moving the block fails: the block still waits to move.
    monkeypatch.setattr(LocalCalendar, "update", down)
    calendar_sync(user=alice, now=MONDAY_8AM + dt.timedelta(minutes=5))
    assert fresh(slides).calendar_pending and fresh(slides).calendar_error == "down"
    assert event_of(slides).start == dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    monkeypatch.undo()

    calendar_sync(user=alice, now=MONDAY_8AM + dt.timedelta(minutes=10))

    slides = fresh(slides)
    assert local(slides.event_start) == dt.datetime(2026, 11, 30, 9, 45, tzinfo=NY)
    assert event_of(slides).start == slides.event_start
    assert slides.event_written and not slides.calendar_pending and slides.calendar_error == ""


def test_a_block_a_meeting_lands_on_is_saved_without_its_time_before_anything_is_written(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    """Its new place is saved only with its batch; should the pass stop after the meeting's batch and before
    the block's, the next pass must place it afresh, not write it back under the meeting."""
    from tasks_app.services import _blocks_under_meetings

    [slides] = store(alice, mailbox_factory, todo("Send the slides"))
    calendar_sync(user=alice, now=MONDAY_8AM)
    assert local(fresh(slides).event_start) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    quarter_past = dt.datetime(2026, 11, 30, 9, 15, tzinfo=NY)
    [meeting] = store(alice, mailbox_factory, todo("Design review", kind="meeting", due=quarter_past))

    [displaced] = _blocks_under_meetings(alice, [fresh(meeting)])

    assert displaced.pk == slides.pk
    saved = fresh(slides)
    assert saved.calendar_pending and saved.event_start is None and saved.event_end is None
