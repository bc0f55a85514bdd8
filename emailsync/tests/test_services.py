"""The sync service on a real database, a real local mail folder and the real local calendar."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from pytest_django import Settings

from accounts.models import Profile
from accounts.services import periodic_sync_apply, schedule_name
from conftest import MailFolder, sync_in_foreground
from emailsync import services
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.selectors import token_usage_this_month
from emailsync.serializers import run_summary
from emailsync.services import (
    SyncUnavailable,
    mailbox_connect_local,
    mailbox_mark_needs_reconnect,
    mailbox_sync,
    receipt_retry,
    sync_trigger,
)
from tasks_app.calendars.local import LocalCalendar
from tasks_app.extractors import (
    EmailForExtraction,
    ExtractedTask,
    ExtractionResult,
    ExtractionUsage,
    Extractor,
    get_extractor,
)
from tasks_app.models import LocalCalendarEvent, Task

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]

# Bodies the offline extractor turns into exactly one undated to-do each, placed in the next free block.
REQUESTS = [
    "Can you send the slides to Maria?",
    "Could you forward the invoice to accounting?",
    "Please review the contract with legal.",
    "Can you book the room for the offsite?",
    "Could you update the budget sheet?",
]
NOT_EMAIL = b"this is not an email, only a line of text\n"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # The personas are created with a password; the default hasher would take most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class WorkerDied(BaseException):
    """The worker process was killed: not even ``except Exception`` sees it."""


def receipt(mailbox: Mailbox, message_id: str) -> MessageReceipt:
    return MessageReceipt.objects.get(mailbox=mailbox, message_id=message_id)


def age_run(run: SyncRun, seconds: float) -> None:
    """Make a run look as if its last sign of life was ``seconds`` ago."""
    past = timezone.now() - dt.timedelta(seconds=seconds)
    SyncRun.objects.filter(pk=run.pk).update(created_at=past, started_at=past, heartbeat_at=past)


def leave_lease_of_dead_worker(mailbox: Mailbox) -> None:
    """What a killed worker leaves behind once its lease has run out (its `finally` never ran)."""
    Mailbox.objects.filter(pk=mailbox.pk).update(
        lease_token=uuid.uuid4(), lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )


@contextmanager
def competing_trigger_after_check(user: User) -> Iterator[list[SyncRun]]:
    """Let another request insert its run right after sync_trigger looked for an active one."""
    competitor: list[SyncRun] = []

    def sneak_in(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if not competitor and sql.lstrip().upper().startswith("SELECT") and "emailsync_syncrun" in sql:
            competitor.append(SyncRun.objects.create(user=user, trigger=SyncRun.Trigger.LOGIN))
        return result

    with connection.execute_wrapper(sneak_in):
        yield competitor


# sync_trigger


def test_it_creates_a_run_and_enqueues_the_job_only_on_commit(
    alice: User, mailbox_factory: MailboxFactory, django_capture_on_commit_callbacks: Any
) -> None:
    mailbox_factory(alice)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run, created = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON)
        assert not OrmQ.objects.exists(), "enqueued before the run row was committed"

    assert created
    assert run.state == SyncRun.State.QUEUED
    assert run.trigger == SyncRun.Trigger.BUTTON
    assert len(callbacks) == 1
    [queued] = OrmQ.objects.all()
    assert queued.task["func"] == "emailsync.jobs.run_sync"
    assert tuple(queued.task["args"]) == (run.pk,)


def test_it_does_not_enqueue_when_asked_not_to(
    alice: User, mailbox_factory: MailboxFactory, django_capture_on_commit_callbacks: Any
) -> None:
    mailbox_factory(alice)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _, created = sync_trigger(user=alice, trigger=SyncRun.Trigger.SCHEDULE, enqueue=False)

    assert created
    assert callbacks == []
    assert not OrmQ.objects.exists()


@pytest.mark.parametrize("state", [SyncRun.State.QUEUED, SyncRun.State.RUNNING])
def test_a_second_trigger_returns_the_active_run(
    alice: User,
    mailbox_factory: MailboxFactory,
    django_capture_on_commit_callbacks: Any,
    state: str,
) -> None:
    mailbox_factory(alice)
    first, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    SyncRun.objects.filter(pk=first.pk).update(state=state, started_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second, created = sync_trigger(user=alice, trigger=SyncRun.Trigger.LOGIN)

    assert created is False
    assert second.pk == first.pk
    assert callbacks == []
    assert SyncRun.objects.filter(user=alice).count() == 1


def test_the_database_allows_one_active_run_per_user(alice: User, charlie: User) -> None:
    SyncRun.objects.create(user=alice, trigger=SyncRun.Trigger.BUTTON)
    SyncRun.objects.create(user=charlie, trigger=SyncRun.Trigger.BUTTON)

    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(user=alice, trigger=SyncRun.Trigger.LOGIN)

    # Finished runs do not count.
    SyncRun.objects.filter(user=alice).update(state=SyncRun.State.SUCCEEDED, finished_at=timezone.now())
    SyncRun.objects.create(user=alice, trigger=SyncRun.Trigger.LOGIN)


def test_two_triggers_at_once_end_with_one_run(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox_factory(alice)

    with competing_trigger_after_check(alice) as competitor:
        run, created = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    assert competitor, "the competing insert did not happen"
    assert created is False
    assert run.pk == competitor[0].pk
    assert SyncRun.objects.filter(user=alice).count() == 1


@pytest.mark.parametrize("state", [SyncRun.State.QUEUED, SyncRun.State.RUNNING])
def test_a_stale_active_run_is_replaced(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings, state: str
) -> None:
    mailbox_factory(alice)
    old, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    SyncRun.objects.filter(pk=old.pk).update(state=state)
    age_run(old, max(settings.SYNC_STALE_QUEUED_SECONDS, settings.SYNC_LEASE_SECONDS * 2) + 60)

    new, created = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    assert created
    assert new.pk != old.pk
    old.refresh_from_db()
    assert old.state == SyncRun.State.FAILED
    assert old.finished_at is not None
    assert "replaced" in old.error


def test_a_running_run_with_a_recent_heartbeat_is_not_replaced(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    mailbox_factory(alice)
    old, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    # Started long ago, but still reporting progress.
    age_run(old, settings.SYNC_LEASE_SECONDS * 10)
    SyncRun.objects.filter(pk=old.pk).update(state=SyncRun.State.RUNNING, heartbeat_at=timezone.now())

    run, created = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    assert created is False
    assert run.pk == old.pk


def test_it_refuses_to_sync_without_a_mailbox(alice: User) -> None:
    with pytest.raises(SyncUnavailable, match="No mailbox is connected"):
        sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON)

    assert not SyncRun.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"state": Mailbox.State.DISABLED, "last_error": "the folder vanished"},
            r"disabled.*the folder vanished",
        ),
        ({"state": Mailbox.State.NEEDS_RECONNECT}, "reconnected"),
        ({"next_attempt_at": timezone.now() + dt.timedelta(hours=1)}, "slow down"),
    ],
)
def test_it_refuses_to_sync_a_mailbox_that_cannot_be_synced_now(
    alice: User,
    mailbox_factory: MailboxFactory,
    django_capture_on_commit_callbacks: Any,
    changes: dict[str, object],
    message: str,
) -> None:
    mailbox, _ = mailbox_factory(alice)
    Mailbox.objects.filter(pk=mailbox.pk).update(**changes)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SyncUnavailable, match=message):
        sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON)

    assert not SyncRun.objects.exists()
    assert not OrmQ.objects.exists()


def test_it_syncs_again_once_the_backoff_has_passed(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    Mailbox.objects.filter(pk=mailbox.pk).update(
        state=Mailbox.State.BACKING_OFF, next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    mailbox.refresh_from_db()
    assert mailbox.state == Mailbox.State.ACTIVE
    assert mailbox.next_attempt_at is None


# mailbox_sync: the happy path


def test_it_turns_new_messages_into_receipts_tasks_and_events(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, folder = mailbox_factory(alice)
    first = folder.add(subject="Slides", body=REQUESTS[0])
    second = folder.add(subject="Invoice", body=REQUESTS[1], sender="Dana Doe <dana@example.com>")

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    assert run.phase == SyncRun.Phase.DONE
    assert run.error == ""
    assert (run.messages_found, run.messages_seen, run.messages_processed) == (2, 2, 2)
    assert (run.messages_skipped, run.messages_failed) == (0, 0)
    assert run.tasks_created == 2
    assert run.events_scheduled == 2
    assert run.started_at is not None and run.finished_at is not None
    run.refresh_from_db()
    assert run.state == SyncRun.State.SUCCEEDED and run.events_scheduled == 2

    slides = receipt(mailbox, first)
    assert slides.status == MessageReceipt.Status.DONE
    assert (slides.subject, slides.sender, slides.attempts) == ("Slides", "bob@example.com", 1)
    assert slides.processed_at is not None
    assert receipt(mailbox, second).sender_name == "Dana Doe"

    tasks = Task.objects.filter(user=alice).order_by("source__message_id")
    assert [t.title for t in tasks] == ["Send the slides to Maria", "Forward the invoice to accounting"]
    events = {event.event_id: event for event in LocalCalendarEvent.objects.filter(user=alice)}
    assert len(events) == 2
    for task in tasks:
        assert task.status == Task.Status.SCHEDULED
        assert task.event_written and not task.calendar_pending
        event = events[task.event_id]
        assert (event.start, event.end, event.summary) == (task.event_start, task.event_end, task.title)

    mailbox.refresh_from_db()
    assert mailbox.last_success_at is not None
    assert mailbox.lease_token is None and mailbox.lease_expires_at is None


def test_it_reads_only_new_messages_on_the_next_run(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    folder.add(body=REQUESTS[1])
    sync_in_foreground(alice)
    newest = folder.add(body=REQUESTS[2])

    run = sync_in_foreground(alice)

    assert (run.messages_found, run.messages_seen, run.messages_processed, run.tasks_created) == (1, 1, 1, 1)
    assert receipt(mailbox, newest).status == MessageReceipt.Status.DONE
    assert MessageReceipt.objects.filter(mailbox=mailbox, attempts=1).count() == 3
    assert Task.objects.filter(user=alice).count() == 3
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 3


def test_it_skips_messages_already_processed(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    sync_in_foreground(alice)
    # Even when the checkpoint is lost, the receipts keep a message from being processed twice.
    Mailbox.objects.filter(pk=mailbox.pk).update(checkpoint="")

    run = sync_in_foreground(alice)

    assert (run.messages_found, run.messages_seen, run.tasks_created) == (0, 0, 0)
    assert Task.objects.filter(user=alice).count() == 1
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 1


def test_a_maildir_message_is_not_processed_again_after_it_is_read(
    alice: User, mail_folder_factory: Callable[[str], MailFolder]
) -> None:
    folder = mail_folder_factory("Maildir")
    for sub in ("new", "cur", "tmp"):
        (folder.path / sub).mkdir()
    folder.add("new/1700000000.M1P2.host", body=REQUESTS[0])
    mailbox = mailbox_connect_local(user=alice, folder=str(folder.path))
    sync_in_foreground(alice)
    os.rename(folder.path / "new" / "1700000000.M1P2.host", folder.path / "cur" / "1700000000.M1P2.host:2,S")

    run = sync_in_foreground(alice)

    assert run.messages_seen == 0
    assert list(MessageReceipt.objects.filter(mailbox=mailbox).values_list("message_id", flat=True)) == [
        "1700000000.M1P2.host"
    ]
    assert Task.objects.filter(user=alice).count() == 1


def test_it_reports_progress_after_each_message(alice: User, mailbox_factory: MailboxFactory) -> None:
    _, folder = mailbox_factory(alice)
    for body in REQUESTS[:3]:
        folder.add(body=body)
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    seen: list[tuple[str, int]] = []

    mailbox_sync(run=run, progress=lambda r: seen.append((r.phase, r.messages_seen)))

    reading = [count for phase, count in seen if phase == SyncRun.Phase.READING]
    assert reading[-3:] == [1, 2, 3]
    assert seen[-1] == (SyncRun.Phase.DONE, 3)
    stored = SyncRun.objects.get(pk=run.pk)
    assert stored.heartbeat_at is not None


def test_a_backlog_past_the_per_run_cap_goes_on_in_follow_up_runs_with_its_progress(
    alice: User,
    mailbox_factory: MailboxFactory,
    settings: Settings,
    django_capture_on_commit_callbacks: Any,
    auth_client: Callable[[User], Any],
) -> None:
    settings.SYNC_MAX_MESSAGES_PER_RUN = 2
    mailbox, folder = mailbox_factory(alice)
    for body in REQUESTS:
        folder.add(body=body)

    with django_capture_on_commit_callbacks(execute=True):
        first = sync_in_foreground(alice)

    follow_up = SyncRun.objects.get(user=alice, state=SyncRun.State.QUEUED)
    assert follow_up.trigger == SyncRun.Trigger.FOLLOW_UP
    assert OrmQ.objects.count() == 1  # enqueued for a worker: no user action needed
    first.refresh_from_db()
    assert first.continued_by == follow_up
    assert (first.backlog_read, first.backlog_total) == (2, 5)
    status = auth_client(alice).get(f"/api/email/sync/status/{first.public_id}").json()
    assert status["backlog"] == {"read": 2, "total": 5}
    assert status["follow_up"]["task_id"] == str(follow_up.public_id)
    assert "2 of 5 messages read so far" in status["summary"]

    seen: list[str] = []
    second = mailbox_sync(run=follow_up, progress=lambda run: seen.append(run_summary(run)))
    assert (second.messages_found, second.backlog_read, second.backlog_total) == (2, 4, 5)
    assert "Reading messages: 4 of 5 messages read." in seen
    third = SyncRun.objects.get(user=alice, state=SyncRun.State.QUEUED)
    third = mailbox_sync(run=third)

    assert (third.messages_found, third.backlog_read, third.backlog_total) == (1, 5, 5)
    assert third.continued_by is None  # the backlog is read: no more runs
    assert not SyncRun.objects.filter(user=alice, state=SyncRun.State.QUEUED).exists()
    assert MessageReceipt.objects.filter(mailbox=mailbox, status=MessageReceipt.Status.DONE).count() == 5
    assert Task.objects.filter(user=alice).count() == 5


def test_a_backlog_paused_by_the_extractor_gets_no_follow_up(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SYNC_MAX_MESSAGES_PER_RUN = 2
    Profile.objects.filter(user=alice).update(monthly_token_budget=0)
    _, folder = mailbox_factory(alice)
    for body in REQUESTS:
        folder.add(body=body)

    run = mailbox_sync(
        run=sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)[0],
        extractor=MeteredExtractor(get_extractor()),
    )

    assert "budget" in run.error
    assert run.continued_by is None
    assert not SyncRun.objects.filter(user=alice, state=SyncRun.State.QUEUED).exists()


# mailbox_sync: what is not mined for tasks


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ({"headers": {"List-Unsubscribe": "<mailto:unsubscribe@news.example>"}}, "List-Unsubscribe"),
        ({"headers": {"Precedence": "bulk"}}, "Precedence: bulk"),
        ({"sender": "Shop <noreply@shop.example>"}, "automated address"),
    ],
)
def test_it_records_bulk_mail_as_skipped_without_tasks(
    alice: User, mailbox_factory: MailboxFactory, email: dict[str, Any], reason: str
) -> None:
    mailbox, folder = mailbox_factory(alice)
    name = folder.add(body=REQUESTS[0], **email)

    run = sync_in_foreground(alice)

    skipped = receipt(mailbox, name)
    assert skipped.status == MessageReceipt.Status.SKIPPED
    assert reason in skipped.skip_reason
    assert skipped.processed_at is not None
    assert (run.messages_skipped, run.messages_processed, run.tasks_created) == (1, 0, 0)
    assert not Task.objects.exists()
    assert not LocalCalendarEvent.objects.exists()
    # Skipped is final: the next run does not look at it again.
    assert sync_in_foreground(alice).messages_found == 0


def test_bulk_mail_is_decided_from_its_headers_and_its_body_is_never_parsed(
    alice: User, mailbox_factory: MailboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox, folder = mailbox_factory(alice)
    ask = folder.add(body=REQUESTS[0])
    news = folder.add(
        body=REQUESTS[1], subject="News", headers={"List-Unsubscribe": "<mailto:u@news.example>"}
    )
    listed = folder.add(body=REQUESTS[2], headers={"Precedence": "list"})
    parsed_in_full: list[str] = []
    real_parse = services.parse_message

    def spy(raw: bytes) -> Any:
        parsed = real_parse(raw)
        parsed_in_full.append(parsed.subject)
        return parsed

    monkeypatch.setattr(services, "parse_message", spy)

    run = sync_in_foreground(alice)

    assert (run.messages_processed, run.messages_skipped) == (1, 2)
    assert parsed_in_full == ["Quick request"]  # the bulk messages' bodies were never parsed
    assert receipt(mailbox, news).skip_reason == "List-Unsubscribe header"
    assert receipt(mailbox, news).subject == "News"
    assert receipt(mailbox, listed).skip_reason == "Precedence: list header"
    assert receipt(mailbox, ask).status == MessageReceipt.Status.DONE


def test_it_skips_senders_on_the_users_skip_list(alice: User, mailbox_factory: MailboxFactory) -> None:
    Profile.objects.filter(user=alice).update(skip_senders="boss@corp.example\n@Spammy.Example\n")
    mailbox, folder = mailbox_factory(alice)
    exact = folder.add(body=REQUESTS[0], sender="The Boss <BOSS@corp.example>")
    domain = folder.add(body=REQUESTS[1], sender="Anyone <sales@spammy.example>")
    kept = folder.add(body=REQUESTS[2], sender="Bob <bob@corp.example>")

    run = sync_in_foreground(alice)

    assert receipt(mailbox, exact).skip_reason == "Sender boss@corp.example is on your skip list"
    assert receipt(mailbox, domain).skip_reason == "Sender @spammy.example is on your skip list"
    assert receipt(mailbox, kept).status == MessageReceipt.Status.DONE
    assert (run.messages_skipped, run.messages_processed) == (2, 1)
    assert list(Task.objects.values_list("source__message_id", flat=True)) == [kept]


# mailbox_sync: one bad message


def test_a_broken_message_is_recorded_failed_and_the_rest_go_on(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, folder = mailbox_factory(alice)
    before = folder.add(body=REQUESTS[0])
    broken = folder.add(raw=NOT_EMAIL)
    after = folder.add(body=REQUESTS[1])

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    assert (run.messages_seen, run.messages_processed, run.messages_failed) == (3, 2, 1)
    failed = receipt(mailbox, broken)
    assert failed.status == MessageReceipt.Status.FAILED
    assert failed.attempts == 1
    assert failed.last_error.startswith("MessageParseError")
    assert receipt(mailbox, before).status == receipt(mailbox, after).status == MessageReceipt.Status.DONE
    assert Task.objects.filter(user=alice).count() == 2


def test_a_broken_message_is_retried_and_quarantined_after_the_last_attempt(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SYNC_MESSAGE_MAX_ATTEMPTS = 2
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    broken = folder.add(raw=NOT_EMAIL)
    sync_in_foreground(alice)

    second = sync_in_foreground(alice)

    assert (second.messages_found, second.messages_failed) == (1, 1)
    poison = receipt(mailbox, broken)
    assert poison.status == MessageReceipt.Status.QUARANTINED
    assert poison.attempts == 2
    assert "MessageParseError" in poison.last_error

    third = sync_in_foreground(alice)

    assert third.messages_found == 0
    assert receipt(mailbox, broken).attempts == 2


def test_a_failed_message_that_becomes_readable_is_processed_on_a_later_run(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, folder = mailbox_factory(alice)
    broken = folder.add(raw=NOT_EMAIL)
    sync_in_foreground(alice)
    folder.add(broken, body=REQUESTS[0])

    run = sync_in_foreground(alice)

    assert (run.messages_found, run.messages_processed, run.tasks_created) == (1, 1, 1)
    fixed = receipt(mailbox, broken)
    assert fixed.status == MessageReceipt.Status.DONE
    assert (fixed.attempts, fixed.last_error) == (2, "")


def test_receipt_retry_gives_a_quarantined_message_new_attempts(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SYNC_MESSAGE_MAX_ATTEMPTS = 1
    mailbox, folder = mailbox_factory(alice)
    broken = folder.add(raw=NOT_EMAIL)
    sync_in_foreground(alice)
    assert receipt(mailbox, broken).status == MessageReceipt.Status.QUARANTINED
    # The user fixes the file, then asks for another try.
    folder.add(broken, body=REQUESTS[0])
    assert sync_in_foreground(alice).messages_found == 0

    receipt_retry(receipt=receipt(mailbox, broken))

    retried = receipt(mailbox, broken)
    assert (retried.status, retried.attempts, retried.last_error) == (MessageReceipt.Status.FAILED, 0, "")
    run = sync_in_foreground(alice)
    assert (run.messages_found, run.tasks_created) == (1, 1)
    assert receipt(mailbox, broken).status == MessageReceipt.Status.DONE


def test_receipt_retry_leaves_a_finished_message_alone(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox, folder = mailbox_factory(alice)
    name = folder.add(body=REQUESTS[0])
    sync_in_foreground(alice)

    receipt_retry(receipt=receipt(mailbox, name))

    done = receipt(mailbox, name)
    assert (done.status, done.attempts) == (MessageReceipt.Status.DONE, 1)


# mailbox_sync: at-least-once delivery and the mailbox lease


def test_a_duplicate_delivery_of_a_finished_run_does_nothing(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    run = sync_in_foreground(alice)
    finished_at = run.finished_at
    folder.add(body=REQUESTS[1])

    again = mailbox_sync(run=SyncRun.objects.get(pk=run.pk))

    assert again.state == SyncRun.State.SUCCEEDED
    assert (again.messages_seen, again.finished_at) == (1, finished_at)
    assert MessageReceipt.objects.filter(mailbox=mailbox).count() == 1
    assert Task.objects.filter(user=alice).count() == 1


def test_a_queued_run_does_not_touch_a_mailbox_leased_by_another_worker(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    other_worker = uuid.uuid4()
    Mailbox.objects.filter(pk=mailbox.pk).update(
        lease_token=other_worker, lease_expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    run = mailbox_sync(run=run)

    assert run.state == SyncRun.State.FAILED
    assert "Another sync" in run.error
    assert not MessageReceipt.objects.exists()
    mailbox.refresh_from_db()
    assert mailbox.lease_token == other_worker, "released a lease it did not hold"


def test_a_second_delivery_of_a_queued_run_leaves_it_to_its_twin(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    """The queue delivers at least once: the copy that finds the lease held by the same run must not fail
    the run that its twin is about to work on."""
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    # The first copy has claimed the lease but not yet marked the run running.
    Mailbox.objects.filter(pk=mailbox.pk).update(
        lease_token=run.public_id, lease_expires_at=timezone.now() + dt.timedelta(minutes=5)
    )

    second = mailbox_sync(run=run)

    assert second.state == SyncRun.State.QUEUED
    assert second.error == ""
    mailbox.refresh_from_db()
    assert mailbox.lease_token == run.public_id
    assert mailbox.consecutive_failures == 0


def test_a_redelivered_running_run_leaves_the_mailbox_to_the_worker_holding_it(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    SyncRun.objects.filter(pk=run.pk).update(state=SyncRun.State.RUNNING, started_at=timezone.now())
    Mailbox.objects.filter(pk=mailbox.pk).update(
        lease_token=uuid.uuid4(), lease_expires_at=timezone.now() + dt.timedelta(minutes=5)
    )

    mailbox_sync(run=run)

    run.refresh_from_db()
    assert run.state == SyncRun.State.RUNNING
    assert run.finished_at is None
    assert not MessageReceipt.objects.exists()


def test_an_expired_lease_is_taken_over(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    leave_lease_of_dead_worker(mailbox)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    assert run.messages_processed == 1
    mailbox.refresh_from_db()
    assert mailbox.lease_token is None


def test_it_stops_when_another_worker_takes_the_lease_mid_run(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SYNC_PROGRESS_SECONDS = 0  # renew the lease after every message
    mailbox, folder = mailbox_factory(alice)
    for body in REQUESTS[:3]:
        folder.add(body=body)
    thief = uuid.uuid4()
    taken: list[bool] = []

    def take_the_lease(run: SyncRun) -> None:
        if run.messages_seen == 1 and not taken:
            taken.append(True)
            Mailbox.objects.filter(pk=mailbox.pk).update(
                lease_token=thief, lease_expires_at=timezone.now() + dt.timedelta(minutes=5)
            )

    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    mailbox_sync(run=run, progress=take_the_lease)

    statuses = list(MessageReceipt.objects.filter(mailbox=mailbox).values_list("status", flat=True))
    # The messages after the first were in flight or not begun: left pending for the lease's new holder.
    assert sorted(statuses) == ["done", "pending", "pending"]
    mailbox.refresh_from_db()
    assert mailbox.lease_token == thief


def test_a_backoff_that_starts_while_queued_fails_the_run_without_counting_a_failure(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    Mailbox.objects.filter(pk=mailbox.pk).update(next_attempt_at=timezone.now() + dt.timedelta(minutes=10))

    run = mailbox_sync(run=run)

    assert run.state == SyncRun.State.FAILED
    assert "slow down" in run.error
    assert not MessageReceipt.objects.exists()
    mailbox.refresh_from_db()
    assert mailbox.consecutive_failures == 0
    assert mailbox.lease_token is None


# mailbox_sync: failures of the whole mailbox


def test_a_missing_folder_fails_the_run_with_a_clear_error(
    alice: User, mailbox_factory: MailboxFactory, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox, folder = mailbox_factory(alice)
    shutil.rmtree(folder.path)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.FAILED
    # Users see the error; the path is for operators, in the log.
    assert str(folder.path) not in run.error
    assert str(folder.path) in caplog.text
    assert "does not exist" in run.error
    mailbox.refresh_from_db()
    assert mailbox.consecutive_failures == 1
    assert mailbox.last_error == run.error
    assert mailbox.last_error_at is not None
    assert mailbox.state == Mailbox.State.ACTIVE
    assert mailbox.lease_token is None and mailbox.lease_expires_at is None


def test_it_disables_the_mailbox_after_repeated_failures(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SYNC_DISABLE_AFTER_FAILURES = 3
    mailbox, folder = mailbox_factory(alice)
    shutil.rmtree(folder.path)
    sync_in_foreground(alice)
    sync_in_foreground(alice)
    mailbox.refresh_from_db()
    assert mailbox.state == Mailbox.State.ACTIVE

    sync_in_foreground(alice)

    mailbox.refresh_from_db()
    assert mailbox.state == Mailbox.State.DISABLED
    assert mailbox.consecutive_failures == 3
    assert mailbox.last_error.startswith("Disabled after 3 failed syncs in a row.")
    assert "does not exist" in mailbox.last_error
    with pytest.raises(SyncUnavailable, match=r"disabled.*does not exist"):
        sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)


def test_connecting_again_re_enables_a_disabled_mailbox(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SYNC_DISABLE_AFTER_FAILURES = 1
    _, folder = mailbox_factory(alice)
    shutil.rmtree(folder.path)
    sync_in_foreground(alice)
    folder.path.mkdir()
    folder.add(body=REQUESTS[0])

    mailbox_connect_local(user=alice, folder=str(folder.path))

    run = sync_in_foreground(alice)
    assert run.state == SyncRun.State.SUCCEEDED
    assert run.tasks_created == 1


def test_a_successful_run_resets_the_failure_count(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox, folder = mailbox_factory(alice)
    shutil.rmtree(folder.path)
    sync_in_foreground(alice)
    sync_in_foreground(alice)
    folder.path.mkdir()

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    mailbox.refresh_from_db()
    assert mailbox.consecutive_failures == 0
    assert mailbox.state == Mailbox.State.ACTIVE
    assert mailbox.last_success_at is not None


def test_needs_reconnect_shows_the_reason_pauses_the_schedule_and_keeps_a_running_syncs_lease(
    alice: User,
) -> None:
    Mailbox.objects.create(user=alice, source=Mailbox.Source.GMAIL, location="alice@gmail.com")
    token = uuid.uuid4()
    expires = timezone.now() + dt.timedelta(minutes=5)
    Mailbox.objects.filter(user=alice).update(
        lease_token=token, lease_expires_at=expires, next_attempt_at=timezone.now() + dt.timedelta(hours=1)
    )
    periodic_sync_apply(user=alice, minutes=30)

    mailbox_mark_needs_reconnect(user=alice, reason="Google no longer accepts our access.")

    mailbox = Mailbox.objects.get(user=alice)
    assert mailbox.state == Mailbox.State.NEEDS_RECONNECT
    assert mailbox.last_error == "Google no longer accepts our access."
    assert mailbox.last_error_at is not None and mailbox.next_attempt_at is None
    assert (mailbox.lease_token, mailbox.lease_expires_at) == (token, expires)
    assert not Schedule.objects.filter(name=schedule_name(alice.pk)).exists()
    with pytest.raises(SyncUnavailable, match="reconnected"):
        sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)


def test_needs_reconnect_leaves_a_local_folder_alone(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox, _ = mailbox_factory(alice)

    mailbox_mark_needs_reconnect(user=alice, reason="Google no longer accepts our access.")

    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.last_error) == (Mailbox.State.ACTIVE, "")


def test_token_usage_counts_every_token_of_this_months_runs_only(alice: User, user_factory: Any) -> None:
    now = timezone.now()
    tokens = {"input_tokens": 100, "output_tokens": 20, "cache_read_tokens": 3000, "cache_write_tokens": 400}
    this_month = SyncRun.objects.create(
        user=alice, trigger=SyncRun.Trigger.BUTTON, state=SyncRun.State.SUCCEEDED, finished_at=now, **tokens
    )
    last_month = SyncRun.objects.create(
        user=alice, trigger=SyncRun.Trigger.BUTTON, state=SyncRun.State.SUCCEEDED, finished_at=now, **tokens
    )
    first_of_month = now.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    SyncRun.objects.filter(pk=last_month.pk).update(created_at=first_of_month - dt.timedelta(seconds=1))
    SyncRun.objects.create(
        user=user_factory(),
        trigger=SyncRun.Trigger.BUTTON,
        state=SyncRun.State.SUCCEEDED,
        finished_at=now,
        **tokens,
    )

    assert this_month.tokens_used == 3520
    assert SyncRun.objects.filter(user=alice).this_month().tokens_used() == 3520
    assert token_usage_this_month(user=alice) == 3520


# Crash and rerun


class MeteredExtractor:
    """The real extractor, billed per call as a model provider's would be."""

    def __init__(self, real: Extractor) -> None:
        self.real = real
        self.name = real.name
        self.metered = True

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]:
        return self.real.extract(email)

    def extract_with_usage(self, email: EmailForExtraction) -> ExtractionResult:
        return ExtractionResult(self.real.extract(email), ExtractionUsage(input_tokens=100))


class DyingExtractor:
    """The real extractor, in a worker that is killed while reading message number ``die_on``."""

    def __init__(self, real: Extractor, die_on: int) -> None:
        self.real = real
        self.name = real.name
        # It reports no usage of its own (it calls only ``extract``), so no budget applies.
        self.metered = False
        self.die_on = die_on
        self.calls = 0

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]:
        self.calls += 1
        if self.calls == self.die_on:
            raise WorkerDied()
        return self.real.extract(email)


def assert_everything_synced_once(user: User, mailbox: Mailbox, messages: int) -> None:
    receipts = MessageReceipt.objects.filter(mailbox=mailbox)
    assert receipts.count() == messages
    assert set(receipts.values_list("status", flat=True)) == {MessageReceipt.Status.DONE}
    tasks = Task.objects.filter(user=user)
    assert tasks.count() == messages
    assert sorted(tasks.values_list("source__message_id", flat=True)) == sorted(
        receipts.values_list("message_id", flat=True)
    )
    events = LocalCalendarEvent.objects.filter(user=user)
    assert events.count() == messages
    assert set(events.values_list("event_id", flat=True)) == set(tasks.values_list("event_id", flat=True))
    assert all(task.event_written and not task.calendar_pending for task in tasks)


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("rerun", ["redelivered", "new trigger"])
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings, rerun: str, concurrency: int
) -> None:
    settings.EXTRACTION_CONCURRENCY = concurrency
    mailbox, folder = mailbox_factory(alice)
    names = [folder.add(body=body) for body in REQUESTS]
    crashed, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    with pytest.raises(WorkerDied):
        mailbox_sync(run=crashed, extractor=DyingExtractor(get_extractor(), die_on=3))
    # The two messages before the one that killed the worker were written (results come back in order).
    assert Task.objects.filter(user=alice).count() == 2
    leave_lease_of_dead_worker(mailbox)
    age_run(crashed, settings.SYNC_LEASE_SECONDS * 2 + 60)

    if rerun == "redelivered":
        run = mailbox_sync(run=SyncRun.objects.get(pk=crashed.pk))
        assert run.pk == crashed.pk
    else:
        run = sync_in_foreground(alice)
        crashed.refresh_from_db()
        assert crashed.state == SyncRun.State.FAILED
        # The two messages finished before the crash are not read again.
        assert run.messages_found == 3

    assert run.state == SyncRun.State.SUCCEEDED
    assert_everything_synced_once(alice, mailbox, len(REQUESTS))
    attempts = dict(MessageReceipt.objects.filter(mailbox=mailbox).values_list("message_id", "attempts"))
    if concurrency == 1:
        assert attempts == {name: 2 if name == names[2] else 1 for name in names}
    else:
        # Calls in flight when the worker died may each have been charged the crash.
        assert attempts[names[2]] == 2 and all(attempts[name] == 1 for name in names[:2])
        assert all(attempts[name] in (1, 2) for name in names[3:])


def test_a_worker_killed_between_calendar_write_and_save_makes_no_duplicate_event(
    alice: User, mailbox_factory: MailboxFactory, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    mailbox, folder = mailbox_factory(alice)
    for body in REQUESTS[:3]:
        folder.add(body=body)
    real_insert_many = LocalCalendar.insert_many

    def insert_then_die(self: LocalCalendar, specs: Any) -> Any:
        real_insert_many(self, specs)
        raise WorkerDied()

    monkeypatch.setattr(LocalCalendar, "insert_many", insert_then_die)
    crashed, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    with pytest.raises(WorkerDied):
        mailbox_sync(run=crashed)
    monkeypatch.undo()
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 3
    assert not Task.objects.filter(user=alice, event_written=True).exists()
    leave_lease_of_dead_worker(mailbox)
    age_run(crashed, settings.SYNC_LEASE_SECONDS * 2 + 60)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    assert run.events_scheduled == 3
    assert_everything_synced_once(alice, mailbox, 3)


# Isolation


def test_two_users_synced_one_after_another_see_only_their_own_mail(
    alice: User, charlie: User, mailbox_factory: MailboxFactory
) -> None:
    alice_mailbox, alice_folder = mailbox_factory(alice)
    charlie_mailbox, charlie_folder = mailbox_factory(charlie)
    # The same file name in both folders: the message ids collide, the mailboxes must not.
    alice_folder.add("inbox.eml", subject="For Alice", body=REQUESTS[0])
    charlie_folder.add("inbox.eml", subject="For Charlie", body=REQUESTS[1])

    alice_run = sync_in_foreground(alice)
    charlie_run = sync_in_foreground(charlie)

    assert (alice_run.tasks_created, charlie_run.tasks_created) == (1, 1)
    assert list(MessageReceipt.objects.filter(mailbox=alice_mailbox).values_list("subject", flat=True)) == [
        "For Alice"
    ]
    assert list(MessageReceipt.objects.filter(mailbox=charlie_mailbox).values_list("subject", flat=True)) == [
        "For Charlie"
    ]
    alice_task = Task.objects.get(user=alice)
    charlie_task = Task.objects.get(user=charlie)
    assert (alice_task.title, alice_task.source.mailbox_id) == ("Send the slides to Maria", alice_mailbox.pk)
    assert (charlie_task.title, charlie_task.source.mailbox_id) == (
        "Forward the invoice to accounting",
        charlie_mailbox.pk,
    )
    assert alice_task.event_id != charlie_task.event_id
    assert list(LocalCalendarEvent.objects.filter(user=alice).values_list("event_id", flat=True)) == [
        alice_task.event_id
    ]
    assert list(LocalCalendarEvent.objects.filter(user=charlie).values_list("event_id", flat=True)) == [
        charlie_task.event_id
    ]
    assert SyncRun.objects.get(pk=alice_run.pk).messages_seen == 1
