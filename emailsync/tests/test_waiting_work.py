"""Work a sync leaves for later is shown, on the dashboard's sync card and in the status API: messages Claude
could not read (down, or the month's budget spent) and tasks Google Calendar would not take. Real SDKs
against the project's fake Anthropic and fake Google, the real database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Profile
from conftest import MailFolder, client_for, sqlite_query_plan, sync_in_foreground
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.serializers import SyncRunSerializer
from scheduler_site.testing.fake_anthropic import FakeAnthropic, Reply
from scheduler_site.testing.fake_google import FakeGoogle
from scheduler_site.tests.google_support import (  # noqa: F401
    REQUESTS,
    connect,
    fast_password_hashing_fixture,
    google_fixture,
    mail,
)
from tasks_app.models import Task

pytestmark = pytest.mark.django_db

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]


@pytest.fixture
def fake(claude_fake: FakeAnthropic, settings: Settings) -> FakeAnthropic:
    settings.ANTHROPIC_MAX_RETRIES = 1
    settings.SYNC_ON_LOGIN = False
    return claude_fake


def status(user: User, run: SyncRun) -> dict[str, Any]:
    response = client_for(user).get(reverse("api:sync-status", args=[run.public_id]))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def dashboard(user: User) -> str:
    return client_for(user).get(reverse("tasks:dashboard")).content.decode()


def test_messages_left_by_an_unavailable_claude_are_counted_and_explained(
    fake: FakeAnthropic, alice: User, mailbox_factory: MailboxFactory
) -> None:
    _, folder = mailbox_factory(alice)
    for body in REQUESTS[:3]:
        folder.add(body=body)
    fake.default = Reply.overloaded(retry_after=0.01)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    sentence = "3 messages are waiting: Claude was unavailable; they will be read on the next sync."
    waiting = status(alice, run)["waiting"]
    assert waiting["messages"] == 3 and waiting["messages_reason"] == "extractor_unavailable"
    assert waiting["tasks"] == 0 and waiting["sentences"] == [sentence]
    assert sentence in dashboard(alice)

    fake.default = Reply.tasks()
    run = sync_in_foreground(alice)

    assert status(alice, run)["waiting"]["messages"] == 0
    assert "waiting" not in SyncRunSerializer(run).data["summary"]
    assert 'id="sync-waiting" class="waiting" aria-live="polite" hidden' in dashboard(alice)


def test_messages_left_by_a_spent_budget_say_so_and_when_they_will_be_read(
    fake: FakeAnthropic, alice: User, mailbox_factory: MailboxFactory
) -> None:
    Profile.objects.filter(user=alice).update(monthly_token_budget=100)
    _, folder = mailbox_factory(alice)
    for body in REQUESTS[:3]:
        folder.add(body=body)
    fake.default = Reply.tasks()  # each call costs far more than 100 tokens

    run = sync_in_foreground(alice)

    waiting = status(alice, run)["waiting"]
    assert waiting["messages"] == 2 and waiting["messages_reason"] == "budget_spent"
    [sentence] = waiting["sentences"]
    assert sentence.startswith("2 messages are waiting: this month's model token budget is spent;")
    assert "Claude was unavailable" not in sentence
    assert "this month&#x27;s model token budget is spent" in dashboard(alice)


def test_messages_left_by_a_failed_sync_are_counted_as_waiting(
    fake: FakeAnthropic, alice: User, mailbox_factory: MailboxFactory
) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    folder.add(body=REQUESTS[1])
    fake.default = Reply.auth_error()

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.FAILED
    waiting = status(alice, run)["waiting"]
    assert (waiting["messages"], waiting["messages_reason"]) == (2, "sync_failed")
    assert waiting["sentences"] == [
        "2 messages are waiting: the sync stopped before reading them; they will be read on the next sync."
    ]


def test_tasks_google_calendar_would_not_take_are_counted_with_the_reason(
    google: FakeGoogle, alice: User
) -> None:
    account = connect(google, alice)
    account.add_message(mail(body=REQUESTS[0]))
    account.add_message(mail(body=REQUESTS[1]))
    google.fail("calendar.*", status=503, times=None)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED and run.events_scheduled == 0
    waiting = status(alice, run)["waiting"]
    assert waiting["tasks"] == 2 and waiting["messages"] == 0
    assert waiting["tasks_reason"].startswith("Google Calendar") and "503" in waiting["tasks_reason"]
    [sentence] = waiting["sentences"]
    assert sentence.startswith("2 tasks are waiting to be placed on your calendar: Google Calendar")
    assert sentence.endswith("; we will try again on the next sync.")
    assert "2 tasks are waiting to be placed on your calendar" in dashboard(alice)

    google.reset_faults()
    run = sync_in_foreground(alice)

    assert run.events_scheduled == 2
    assert status(alice, run)["waiting"] == {
        "messages": 0,
        "messages_reason": "",
        "tasks": 0,
        "tasks_reason": "",
        "sentences": [],
    }


def test_tasks_with_no_free_time_are_not_counted_as_waiting_for_the_calendar(alice: User) -> None:
    # They are not retried by the next sync; the dashboard asks the user to pick a time for them instead.
    mailbox = Mailbox.objects.create(user=alice)
    receipt = MessageReceipt.objects.create(mailbox=mailbox, message_id="1.eml", status="done")
    Task.objects.create(
        user=alice, source=receipt, position=0, title="Plan the offsite", calendar_pending=False,
        calendar_error="No free block in your working hours in the next 14 days.",
    )  # fmt: skip
    run = SyncRun.objects.create(
        user=alice, trigger=SyncRun.Trigger.BUTTON, state=SyncRun.State.SUCCEEDED, finished_at=timezone.now()
    )
    assert SyncRunSerializer(run).data["waiting"]["tasks"] == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_counting_tasks_waiting_for_the_calendar_reads_only_those_tasks(alice: User) -> None:
    # A run that ended before it recorded its waiting work counts it on every status poll.
    mailbox = Mailbox.objects.create(user=alice)
    receipt = MessageReceipt.objects.create(mailbox=mailbox, message_id="1.eml", status="done")
    Task.objects.create(
        user=alice, source=receipt, position=0, title="Send the slides", calendar_pending=True
    )
    run = SyncRun.objects.create(
        user=alice, trigger=SyncRun.Trigger.BUTTON, state=SyncRun.State.SUCCEEDED, finished_at=timezone.now()
    )

    with CaptureQueriesContext(connection) as captured:
        assert SyncRunSerializer(run).data["waiting"]["tasks"] == 1

    reads = [q["sql"] for q in captured.captured_queries if 'FROM "tasks_app_task"' in q["sql"]]
    assert len(reads) == 2  # how many, and the calendar's last error for them
    for sql in reads:
        # Through the index of pending tasks, not every scheduled task of the user.
        assert "INDEX task_user_calendar_pending (user_id=? AND calendar_pending=?)" in sqlite_query_plan(sql)


def test_nothing_is_said_to_wait_while_a_run_is_still_going(alice: User) -> None:
    mailbox = Mailbox.objects.create(user=alice)
    MessageReceipt.objects.create(mailbox=mailbox, message_id="1.eml")  # the message being read right now
    run = SyncRun.objects.create(
        user=alice, trigger=SyncRun.Trigger.BUTTON, state=SyncRun.State.RUNNING, started_at=timezone.now()
    )
    assert SyncRunSerializer(run).data["waiting"] is None
