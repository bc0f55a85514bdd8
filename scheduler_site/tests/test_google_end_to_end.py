"""The Google path with several users and workers at once, on a real database and the fake Google."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from emailsync.models import MessageReceipt, SyncRun
from emailsync.services import mailbox_sync, sync_trigger
from scheduler_site.testing.fake_google import FakeGoogle
from scheduler_site.tests.google_support import (  # noqa: F401
    REQUESTS,
    connect,
    fast_password_hashing_fixture,
    google_fixture,
    mail,
)
from tasks_app.models import Task

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs at the same moment, each in its own thread with its own database connection."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=10)
            results[index] = job()
        except BaseException as e:  # handed to the test thread below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def run_sync(user: User) -> SyncRun:
    run, _ = sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    return mailbox_sync(run=run)


def test_two_users_synced_at_once_never_see_each_others_mail_tasks_or_events(
    google: FakeGoogle, alice: User, charlie: User
) -> None:
    alice_account = connect(google, alice)
    charlie_account = connect(google, charlie)
    for n in range(3):
        alice_account.add_message(mail(f"For Alice {n}", REQUESTS[n]))
        charlie_account.add_message(mail(f"For Charlie {n}", REQUESTS[n + 1]))
    google.delay("gmail.*", 0.02)  # widen the window in which both syncs overlap

    alice_run, charlie_run = in_threads(lambda: run_sync(alice), lambda: run_sync(charlie))

    assert (alice_run.state, charlie_run.state) == (SyncRun.State.SUCCEEDED, SyncRun.State.SUCCEEDED)
    for user, account, other in (
        (alice, alice_account, charlie_account),
        (charlie, charlie_account, alice_account),
    ):
        receipts = MessageReceipt.objects.filter(mailbox__user=user)
        own_ids = {m.id for m in account.live_messages()}
        assert set(receipts.values_list("message_id", flat=True)) == own_ids
        name = "Alice" if user == alice else "Charlie"
        assert all(
            subject.startswith(f"For {name}") for subject in receipts.values_list("subject", flat=True)
        )
        tasks = Task.objects.filter(user=user)
        assert tasks.count() == 3
        assert all(task.source.mailbox.user_id == user.pk for task in tasks)
        events = account.calendar_events()
        assert sorted(e["id"] for e in events) == sorted(tasks.values_list("event_id", flat=True))
        task_ids = {str(pk) for pk in tasks.values_list("pk", flat=True)}
        assert {e["extendedProperties"]["private"]["taskId"] for e in events} == task_ids
        # Nothing of this user landed in the other account's calendar.
        assert not set(tasks.values_list("event_id", flat=True)) & {e["id"] for e in other.calendar_events()}
    # Each user's calls carried their own token.
    for entry in google.requests:
        if entry.endpoint.startswith(("gmail.", "calendar.")):
            mailbox_owner = entry.path.split("/")[4] if entry.endpoint.startswith("gmail.") else None
            assert entry.user in (alice_account.email, charlie_account.email)
            assert mailbox_owner in (None, "me")


def test_two_triggers_at_once_make_one_run_and_one_pass_over_gmail(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    account.add_message(mail())

    triggered = in_threads(
        lambda: sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False),
        lambda: sync_trigger(user=alice, trigger=SyncRun.Trigger.API, enqueue=False),
    )

    assert sorted(created for _, created in triggered) == [False, True]
    assert triggered[0][0].pk == triggered[1][0].pk
    assert SyncRun.objects.filter(user=alice).count() == 1
    run = triggered[0][0]
    # The queue delivers at least once: two workers get the same run at the same time.
    google.delay("gmail.users.getProfile", 0.3)

    in_threads(
        lambda: mailbox_sync(run=SyncRun.objects.get(pk=run.pk)),
        lambda: mailbox_sync(run=SyncRun.objects.get(pk=run.pk)),
    )

    run.refresh_from_db()
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert len(google.requests_to("gmail.users.getProfile")) == 1
    assert len(google.requests_to("calendar.events.insert")) == 1
    assert Task.objects.filter(user=alice).count() == 1
    assert len(account.calendar_events()) == 1
