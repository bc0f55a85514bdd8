"""The django-q2 entry points: thin doors that must be safe to deliver more than once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django_q.models import OrmQ
from pytest_django import Settings

from conftest import MailFolder
from emailsync.jobs import run_sync, scheduled_sync
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import sync_trigger
from tasks_app.models import LocalCalendarEvent, Task

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_run_sync_runs_the_queued_run(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body="Can you send the slides to Maria?")
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.API, enqueue=False)

    assert run_sync(run.pk) == SyncRun.State.SUCCEEDED

    run.refresh_from_db()
    assert (run.state, run.messages_processed, run.tasks_created) == (SyncRun.State.SUCCEEDED, 1, 1)
    assert MessageReceipt.objects.filter(mailbox=mailbox, status=MessageReceipt.Status.DONE).count() == 1
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 1


def test_run_sync_delivered_twice_does_the_work_once(alice: User, mailbox_factory: MailboxFactory) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(body="Can you send the slides to Maria?")
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.API, enqueue=False)
    run_sync(run.pk)
    folder.add(body="Could you forward the invoice to accounting?")

    assert run_sync(run.pk) == SyncRun.State.SUCCEEDED

    assert Task.objects.filter(user=alice).count() == 1
    assert SyncRun.objects.get(pk=run.pk).messages_seen == 1


def test_run_sync_of_a_deleted_run_is_a_no_op(db: None) -> None:
    assert run_sync(987654) == "gone"


def test_scheduled_sync_creates_a_schedule_run_and_runs_it_inline(
    alice: User, mailbox_factory: MailboxFactory, django_capture_on_commit_callbacks: Any
) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(body="Can you send the slides to Maria?")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = scheduled_sync(alice.pk)

    assert outcome == SyncRun.State.SUCCEEDED
    run = SyncRun.objects.get(user=alice)
    assert (run.trigger, run.state, run.tasks_created) == (
        SyncRun.Trigger.SCHEDULE,
        SyncRun.State.SUCCEEDED,
        1,
    )
    # It already is a job on a worker: it must not queue another one.
    assert callbacks == []
    assert not OrmQ.objects.exists()


def test_scheduled_sync_is_skipped_when_the_mailbox_cannot_sync(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, _ = mailbox_factory(alice)
    Mailbox.objects.filter(pk=mailbox.pk).update(state=Mailbox.State.NEEDS_RECONNECT)

    outcome = scheduled_sync(alice.pk)

    assert outcome.startswith("skipped: ")
    assert "reconnected" in outcome
    assert not SyncRun.objects.exists()


def test_scheduled_sync_is_skipped_without_a_mailbox(alice: User) -> None:
    assert scheduled_sync(alice.pk).startswith("skipped: No mailbox")
    assert not SyncRun.objects.exists()


def test_scheduled_sync_leaves_a_sync_already_running_alone(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(body="Can you send the slides to Maria?")
    queued, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    assert scheduled_sync(alice.pk) == "already running"

    queued.refresh_from_db()
    assert queued.state == SyncRun.State.QUEUED
    assert SyncRun.objects.filter(user=alice).count() == 1
    assert not MessageReceipt.objects.exists()


def test_scheduled_sync_ignores_deactivated_users(alice: User, mailbox_factory: MailboxFactory) -> None:
    mailbox_factory(alice)
    alice.is_active = False
    alice.save()

    assert scheduled_sync(alice.pk) == "no such user"
    assert not SyncRun.objects.exists()
