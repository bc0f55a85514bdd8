"""Later emails of a thread move, repeat or cancel an open task instead of adding another, with both
extractors, through real syncs of a local mail folder onto the local calendar."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from pytest_django import Settings

from conftest import MailFolder, make_email, sync_in_foreground
from emailsync.models import Mailbox
from scheduler_site.testing.fake_anthropic import FakeAnthropic, Reply, answer_task
from tasks_app.models import LocalCalendarEvent, Task
from tasks_app.services import task_retitle

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
MEET = "Can we meet Thursday at 2pm to go over the budget?"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Thread:
    """Emails of one conversation: each later one answers the first (In-Reply-To and References)."""

    def __init__(self, folder: MailFolder) -> None:
        self.folder = folder
        self.root: str | None = None

    def send(self, body: str, *, days_later: int = 0, subject: str = "Budget") -> None:
        headers = {"In-Reply-To": self.root, "References": self.root} if self.root else {}
        raw = make_email(
            subject=subject if not self.root else f"Re: {subject}",
            body=body,
            date=MONDAY + dt.timedelta(days=days_later),
            headers=headers,
        )
        self.root = self.root or email.message_from_bytes(raw)["Message-ID"]
        self.folder.add(raw=raw)


@pytest.fixture
def thread(alice: User, mailbox_factory: MailboxFactory) -> Thread:
    _, folder = mailbox_factory(alice)
    return Thread(folder)


def open_tasks(user: User) -> list[Task]:
    return list(Task.objects.filter(user=user, status__in=Task.OPEN_STATUSES))


def event_of(task: Task) -> LocalCalendarEvent:
    return LocalCalendarEvent.objects.get(user=task.user, event_id=task.event_id)


def local(moment: dt.datetime | None) -> tuple[int, int, int]:
    assert moment is not None
    at = moment.astimezone(NEW_YORK)
    return at.day, at.hour, at.minute


def test_a_reply_that_moves_a_meeting_moves_the_task_and_its_event(alice: User, thread: Thread) -> None:
    thread.send(MEET)
    sync_in_foreground(alice)
    [meeting] = open_tasks(alice)
    assert local(event_of(meeting).start) == (26, 14, 0)

    thread.send("Something came up. Can we move the budget meeting to Friday at 3pm instead?", days_later=1)
    run = sync_in_foreground(alice)
    assert run.tasks_created == 0
    [moved] = open_tasks(alice)
    assert moved.pk == meeting.pk and local(moved.due_at) == (27, 15, 0)
    assert local(event_of(moved).start) == (27, 15, 0)
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 1
    assert "Moved by" in moved.notes


def test_a_reply_that_pushes_a_deadline_updates_the_same_task(alice: User, thread: Thread) -> None:
    thread.send("Please send me the Q3 report by Friday EOD.", subject="Q3 report")
    sync_in_foreground(alice)
    thread.send("Could you push the Q3 report deadline to Monday?", days_later=1, subject="Q3 report")
    sync_in_foreground(alice)
    [task] = open_tasks(alice)
    assert task.title == "Send the Q3 report" and local(task.due_at) == (30, 17, 0)


def test_a_reminder_about_the_same_deadline_does_not_add_a_task(alice: User, thread: Thread) -> None:
    thread.send("Please send me the Q3 report by Friday EOD.", subject="Q3 report")
    sync_in_foreground(alice)
    for day in (1, 2):
        thread.send(
            "Just a reminder: please send me the Q3 report by Friday EOD.",
            days_later=day,
            subject="Q3 report",
        )
        sync_in_foreground(alice)
    [task] = open_tasks(alice)
    assert local(task.due_at) == (27, 17, 0)
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 1


def test_a_reply_that_cancels_the_meeting_dismisses_the_task_and_removes_its_event(
    alice: User, thread: Thread
) -> None:
    thread.send(MEET)
    sync_in_foreground(alice)
    [meeting] = open_tasks(alice)
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 1
    thread.send("Sorry, the budget meeting is cancelled.", days_later=1)
    sync_in_foreground(alice)
    meeting.refresh_from_db()
    assert meeting.status == Task.Status.DISMISSED and "Cancelled by" in meeting.notes
    assert not LocalCalendarEvent.objects.filter(user=alice).exists()


def test_a_new_request_in_the_same_thread_is_a_task_of_its_own(alice: User, thread: Thread) -> None:
    thread.send(MEET)
    sync_in_foreground(alice)
    thread.send("Also, could you send me the hiring plan slides?", days_later=1)
    sync_in_foreground(alice)
    assert sorted(t.kind for t in open_tasks(alice)) == ["meeting", "todo"]


def test_the_same_words_in_another_thread_are_another_task(
    alice: User, mailbox_factory: MailboxFactory, thread: Thread
) -> None:
    thread.send("Please send me the Q3 report by Friday EOD.", subject="Q3 report")
    sync_in_foreground(alice)
    other = Thread(thread.folder)
    other.send("Please send me the Q3 report by Friday EOD.", subject="Q3 report for the board")
    sync_in_foreground(alice)
    assert len(open_tasks(alice)) == 2


def test_a_request_to_cancel_something_else_does_not_dismiss_the_open_task(
    alice: User, thread: Thread
) -> None:
    thread.send("Please send me the Q3 report by Friday EOD.", subject="Q3 report")
    sync_in_foreground(alice)
    thread.send("Please cancel my hotel booking for the offsite.", days_later=1, subject="Q3 report")
    sync_in_foreground(alice)
    titles = sorted(t.title for t in open_tasks(alice))
    assert titles == ["Cancel my hotel booking for the offsite", "Send the Q3 report"]


def test_a_task_the_user_edited_is_flagged_instead_of_moved(alice: User, thread: Thread) -> None:
    thread.send(MEET)
    sync_in_foreground(alice)
    [meeting] = open_tasks(alice)
    task_retitle(task=meeting, title="Budget review with Bob")
    thread.send("Can we move the budget meeting to Friday at 3pm instead?", days_later=1)
    sync_in_foreground(alice)
    meeting.refresh_from_db()
    assert local(meeting.due_at) == (26, 14, 0)
    assert meeting.needs_review and "Your edits were kept" in meeting.review_reason
    assert len(open_tasks(alice)) == 1


@pytest.fixture
def fake(claude_fake: FakeAnthropic) -> FakeAnthropic:
    return claude_fake


CLAUDE_MEETING = answer_task(
    "Go over the budget with Bob", MEET, kind="meeting", date_phrase="Thursday at 2pm",
    due_iso="2026-11-26T14:00-05:00", duration_minutes=None,
)  # fmt: skip


def test_claude_naming_the_open_task_it_moves_updates_that_task(
    fake: FakeAnthropic, alice: User, thread: Thread
) -> None:
    thread.send(MEET)
    fake.script(Reply.tasks(CLAUDE_MEETING))
    sync_in_foreground(alice)
    [meeting] = open_tasks(alice)
    move = "Could we do Friday at 3pm instead? Thursday no longer works for me."
    thread.send(move, days_later=1)
    fake.script(
        Reply.tasks(
            answer_task(
                "Go over the budget with Bob",
                "Could we do Friday at 3pm instead?",
                kind="meeting",
                date_phrase="Friday at 3pm",
                due_iso="2026-11-27T15:00-05:00",
                thread_action="update",
                thread_ref="T1",
            )
        )
    )
    run = sync_in_foreground(alice)
    assert "<open_tasks>\nT1: [meeting] Go over the budget with Bob (due: 2026-11-26T14:00:00-05:00)" in (
        fake.requests[1].user_text
    )
    assert run.tasks_created == 0
    [moved] = open_tasks(alice)
    assert moved.pk == meeting.pk and local(event_of(moved).start) == (27, 15, 0)


def test_claude_naming_the_open_task_it_cancels_dismisses_it(
    fake: FakeAnthropic, alice: User, thread: Thread
) -> None:
    thread.send(MEET)
    fake.script(Reply.tasks(CLAUDE_MEETING))
    sync_in_foreground(alice)
    thread.send("We got the numbers already, so let's call it off. Thanks!", days_later=1)
    fake.script(
        Reply.tasks(
            answer_task(
                "Cancel the budget meeting",
                "We got the numbers already, so let's call it off.",
                thread_action="cancel",
                thread_ref="T1",
            )
        )
    )
    run = sync_in_foreground(alice)
    assert run.tasks_created == 0 and open_tasks(alice) == []
    assert not LocalCalendarEvent.objects.filter(user=alice).exists()


def test_claude_repeating_a_reminder_as_a_new_task_still_does_not_duplicate_it(
    fake: FakeAnthropic, alice: User, thread: Thread
) -> None:
    ask = "Please send me the Q3 report by Friday EOD."
    item = answer_task(
        "Send the Q3 report", ask, kind="deadline", date_phrase="Friday EOD", due_iso="2026-11-27T17:00-05:00"
    )
    thread.send(ask, subject="Q3 report")
    fake.script(Reply.tasks(item))
    sync_in_foreground(alice)
    reminder = "Just a reminder: please send me the Q3 report by Friday EOD."
    thread.send(reminder, days_later=1, subject="Q3 report")
    fake.script(Reply.tasks(dict(item, title="Send Bob the Q3 report", evidence=reminder)))
    sync_in_foreground(alice)
    assert len(open_tasks(alice)) == 1
