"""What we keep of an email's text, for how long, and that nothing later needs it: real syncs of a local
mail folder on the real database (Claude through the fake Messages API where a failure is needed)."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from pytest_django import DjangoAssertNumQueries, Settings

from conftest import MailFolder, client_for, make_email, sync_in_foreground
from emailsync.jobs import purge_message_bodies
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import message_bodies_purge, receipt_retry
from scheduler_site.schedules import maintenance_schedules_ensure
from scheduler_site.testing.fake_anthropic import FakeAnthropic, Reply, answer_task
from tasks_app.models import Task

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]
ASK = "Could you send me the Q3 report by Friday EOD?"
GREETING = "Hope the move went well and the new office is treating you kindly."
BODY = f"Hi Alice,\n\n{GREETING}\n\n{ASK}\n\nThanks,\nBob"


def receipt_with_subject(subject: str) -> MessageReceipt:
    return MessageReceipt.objects.get(subject=subject)


def test_a_message_with_tasks_keeps_its_text_and_one_without_tasks_keeps_none(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(subject="Report", body=BODY)
    folder.add(subject="Thanks", body="Thanks for lunch yesterday, it was lovely to catch up.")
    sync_in_foreground(alice)
    report, thanks = receipt_with_subject("Report"), receipt_with_subject("Thanks")
    assert report.status == thanks.status == MessageReceipt.Status.DONE
    assert report.tasks.count() == 1 and GREETING in report.body_text
    assert thanks.tasks.count() == 0 and thanks.body_text == ""
    assert (thanks.sender, thanks.sent_at is not None) == ("bob@example.com", True)


def test_bulk_mail_and_skipped_senders_keep_no_text(alice: User, mailbox_factory: MailboxFactory) -> None:
    alice.profile.skip_senders = "@noisy.example"
    alice.profile.save()
    _, folder = mailbox_factory(alice)
    folder.add(subject="Newsletter", body=ASK, headers={"List-Unsubscribe": "<mailto:off@news.example>"})
    folder.add(subject="Bulk", body=ASK, headers={"Precedence": "bulk"})
    folder.add(subject="Skipped", body=ASK, sender="Noisy <team@noisy.example>")
    run = sync_in_foreground(alice)
    assert run.messages_skipped == 3
    for subject in ("Newsletter", "Bulk", "Skipped"):
        receipt = receipt_with_subject(subject)
        assert receipt.status == MessageReceipt.Status.SKIPPED and receipt.skip_reason
        assert receipt.body_text == "", subject


def test_with_zero_retention_no_text_is_stored_and_a_reply_still_cancels_the_meeting(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    """The cancellation is read from the new email's text while it is processed, never from storage."""
    settings.MESSAGE_BODY_RETENTION_DAYS = 0
    _, folder = mailbox_factory(alice)
    first = make_email(subject="Budget", body="Can we meet Thursday at 2pm to go over the budget?")
    root = email.message_from_bytes(first)["Message-ID"]
    folder.add(raw=first)
    sync_in_foreground(alice)
    [meeting] = Task.objects.filter(user=alice)
    folder.add(
        raw=make_email(
            subject="Re: Budget",
            body="Sorry, the budget meeting is cancelled.",
            date=dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC),
            headers={"In-Reply-To": root, "References": root},
        )
    )
    sync_in_foreground(alice)
    meeting.refresh_from_db()
    assert meeting.status == Task.Status.DISMISSED and "Cancelled by" in meeting.notes
    assert list(MessageReceipt.objects.values_list("body_text", flat=True)) == ["", ""]


def test_a_reply_after_the_first_emails_text_was_purged_still_moves_its_task(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    _, folder = mailbox_factory(alice)
    first = make_email(subject="Budget", body="Can we meet Thursday at 2pm to go over the budget?")
    root = email.message_from_bytes(first)["Message-ID"]
    folder.add(raw=first)
    sync_in_foreground(alice)
    assert message_bodies_purge(older_than=timezone.now() + dt.timedelta(seconds=1)) == 1
    folder.add(
        raw=make_email(
            subject="Re: Budget",
            body="Something came up. Can we move the budget meeting to Friday at 3pm instead?",
            date=dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC),
            headers={"In-Reply-To": root, "References": root},
        )
    )
    run = sync_in_foreground(alice)
    assert run.tasks_created == 0
    [meeting] = Task.objects.filter(user=alice)
    assert meeting.due_at is not None and meeting.due_at.astimezone(alice.profile.zone).weekday() == 4
    assert "Moved by" in meeting.notes


def test_the_purge_deletes_the_text_of_messages_read_before_the_cutoff_in_one_update(
    alice: User, mailbox_factory: MailboxFactory, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    mailbox, _ = mailbox_factory(alice)
    now = timezone.now()
    rows = {
        "old": now - dt.timedelta(days=31),
        "recent": now - dt.timedelta(days=29),
        "never finished": None,
    }
    for subject, processed_at in rows.items():
        MessageReceipt.objects.create(
            mailbox=mailbox, message_id=subject, subject=subject, body_text=BODY, processed_at=processed_at
        )
    # A message never read to the end is aged by when it was first seen.
    MessageReceipt.objects.filter(message_id="never finished").update(
        first_seen_at=now - dt.timedelta(days=40)
    )
    with django_assert_num_queries(1):
        purged = message_bodies_purge(older_than=now - dt.timedelta(days=30))
    assert purged == 2
    texts = dict(MessageReceipt.objects.values_list("message_id", "body_text"))
    assert texts == {"old": "", "recent": BODY, "never finished": ""}
    old = MessageReceipt.objects.get(message_id="old")
    assert (old.subject, old.processed_at) == ("old", rows["old"])


def test_the_daily_job_purges_by_message_body_retention_days(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.MESSAGE_BODY_RETENTION_DAYS = 7
    mailbox, _ = mailbox_factory(alice)
    now = timezone.now()
    for message_id, days in (("eight", 8), ("six", 6)):
        MessageReceipt.objects.create(
            mailbox=mailbox, message_id=message_id, body_text=BODY, processed_at=now - dt.timedelta(days=days)
        )
    assert purge_message_bodies() == "purged 1"
    assert dict(MessageReceipt.objects.values_list("message_id", "body_text")) == {"eight": "", "six": BODY}


@pytest.mark.django_db
def test_the_purge_runs_daily_as_a_django_q_schedule() -> None:
    Schedule.objects.filter(name="purge-message-bodies").delete()
    maintenance_schedules_ensure()
    schedule = Schedule.objects.get(name="purge-message-bodies")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "emailsync.jobs.purge_message_bodies",
        Schedule.MINUTES,
        1440,
        -1,
    )


def test_the_task_page_shows_the_evidence_and_says_the_text_is_gone_after_the_purge(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.MESSAGE_BODY_RETENTION_DAYS = 14
    _, folder = mailbox_factory(alice)
    folder.add(subject="Report", body=BODY)
    sync_in_foreground(alice)
    [task] = Task.objects.filter(user=alice)
    url = reverse("tasks:detail", args=[task.pk])
    client = client_for(alice)
    before = client.get(url).content.decode()
    assert GREETING in before and "no longer kept" not in before

    message_bodies_purge(older_than=timezone.now() + dt.timedelta(seconds=1))
    page = client.get(url).content.decode()
    assert GREETING not in page
    assert task.evidence and task.evidence in page
    assert "Report" in page and "bob@example.com" in page
    assert "The full email is no longer kept here: its text is deleted 14 days after it is read." in page


@pytest.fixture
def claude(claude_fake: FakeAnthropic) -> FakeAnthropic:
    return claude_fake


def test_a_failed_message_keeps_no_text_and_a_retry_reads_it_again_from_the_source(
    claude: FakeAnthropic, alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SYNC_MESSAGE_MAX_ATTEMPTS = 1
    _, folder = mailbox_factory(alice)
    folder.add(subject="Report", body=BODY)
    claude.script(Reply.invalid_json(), Reply.invalid_json())  # the extractor asks once more
    sync_in_foreground(alice)
    receipt = receipt_with_subject("Report")
    assert receipt.status == MessageReceipt.Status.QUARANTINED
    assert receipt.body_text == "" and receipt.last_error

    receipt_retry(receipt=receipt)
    claude.script(Reply.tasks(answer_task("Send the Q3 report", ASK, kind="deadline")))
    run = sync_in_foreground(alice)
    assert run.state == SyncRun.State.SUCCEEDED and run.tasks_created == 1
    receipt.refresh_from_db()
    assert receipt.status == MessageReceipt.Status.DONE and GREETING in receipt.body_text
    assert GREETING in claude.requests[-1].user_text
