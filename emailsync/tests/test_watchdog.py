"""The watchdog that queues again the syncs whose worker was lost (sync_runs_recover), on a real database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from pytest_django import Settings

from conftest import MailFolder
from emailsync.jobs import recover_lost_syncs, run_sync
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import mailbox_sync, sync_runs_recover, sync_trigger
from emailsync.tests.test_services import REQUESTS, DyingExtractor, WorkerDied, assert_everything_synced_once
from scheduler_site.schedules import maintenance_schedules_ensure
from tasks_app.extractors import get_extractor
from tasks_app.models import Task

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]


def queued_run_ids() -> list[int]:
    tasks = [queued.task for queued in OrmQ.objects.order_by("id")]
    assert {task["func"] for task in tasks} <= {"emailsync.jobs.run_sync"}
    return [task["args"][0] for task in tasks]


def lease_of_dead_worker(mailbox: Mailbox, run: SyncRun, *, expired_seconds_ago: float) -> None:
    """What a killed worker leaves on the mailbox: its lease (the run's id), never released."""
    Mailbox.objects.filter(pk=mailbox.pk).update(
        lease_token=run.public_id,
        lease_expires_at=timezone.now() - dt.timedelta(seconds=expired_seconds_ago),
    )


def last_sign_of_life(run: SyncRun, seconds_ago: float) -> None:
    past = timezone.now() - dt.timedelta(seconds=seconds_ago)
    SyncRun.objects.filter(pk=run.pk).update(created_at=past, started_at=past, heartbeat_at=past)


def crashed_run(user: User, mailbox: Mailbox, settings: Settings, *, die_on: int = 3) -> SyncRun:
    """A run whose worker was killed while reading message ``die_on``, one lease and a bit ago."""
    run, _ = sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    with pytest.raises(WorkerDied):
        mailbox_sync(run=run, extractor=DyingExtractor(get_extractor(), die_on=die_on))
    lease_of_dead_worker(mailbox, run, expired_seconds_ago=5)
    last_sign_of_life(run, settings.SYNC_LEASE_SECONDS + 5)
    run.refresh_from_db()
    assert run.state == SyncRun.State.RUNNING
    return run


def test_a_run_whose_worker_died_is_queued_again_and_then_finishes_the_work(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    mailbox, folder = mailbox_factory(alice)
    for body in REQUESTS:
        folder.add(body=body)
    run = crashed_run(alice, mailbox, settings)
    assert Task.objects.filter(user=alice).count() == 2

    recovery = sync_runs_recover()

    assert (recovery.requeued, recovery.failed) == ([run.pk], [])
    assert queued_run_ids() == [run.pk]
    run.refresh_from_db()
    assert run.redeliveries == 1 and run.redelivered_at is not None
    # What the cluster then does with the queued job: the same run goes on where it stopped.
    assert run_sync(run.pk) == SyncRun.State.SUCCEEDED
    assert_everything_synced_once(alice, mailbox, len(REQUESTS))
    assert SyncRun.objects.filter(user=alice).count() == 1


def test_a_queued_run_that_no_worker_started_is_queued_again(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    """The Redis broker hands a job to a cluster that dies before starting it: the job is gone for good."""
    mailbox_factory(alice)
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.LOGIN, enqueue=False)
    SyncRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=settings.SYNC_LEASE_SECONDS + 1)
    )

    assert sync_runs_recover().requeued == [run.pk]
    assert queued_run_ids() == [run.pk]


@pytest.mark.parametrize(
    "alive",
    ["heartbeat within the lease", "lease still held", "queued recently"],
)
def test_a_run_with_a_sign_of_life_is_left_alone(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings, alive: str
) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    lease = settings.SYNC_LEASE_SECONDS
    if alive == "heartbeat within the lease":
        SyncRun.objects.filter(pk=run.pk).update(
            state=SyncRun.State.RUNNING,
            created_at=timezone.now() - dt.timedelta(seconds=lease * 3),
            started_at=timezone.now() - dt.timedelta(seconds=lease * 3),
            heartbeat_at=timezone.now() - dt.timedelta(seconds=lease - 5),
        )
    elif alive == "lease still held":
        # One slow message: no heartbeat for a while, but the worker holds (and renews) the mailbox lease.
        SyncRun.objects.filter(pk=run.pk).update(state=SyncRun.State.RUNNING)
        last_sign_of_life(run, lease * 3)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            lease_token=run.public_id, lease_expires_at=timezone.now() + dt.timedelta(seconds=5)
        )

    recovery = sync_runs_recover()

    assert (recovery.requeued, recovery.failed) == ([], [])
    assert not OrmQ.objects.exists()
    run.refresh_from_db()
    assert run.is_active and run.redeliveries == 0


def test_finished_runs_are_never_touched(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    run = mailbox_sync(run=sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)[0])
    last_sign_of_life(run, settings.SYNC_LEASE_SECONDS * 10)

    assert sync_runs_recover().requeued == []
    assert not OrmQ.objects.exists()


def test_a_lost_run_is_queued_again_at_most_once_per_lease_period(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    mailbox, folder = mailbox_factory(alice)
    for body in REQUESTS:
        folder.add(body=body)
    run = crashed_run(alice, mailbox, settings)
    lease = dt.timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    start = timezone.now()

    first = sync_runs_recover(now=start)
    # The watchdog runs every minute; the queued copy has not started yet (a long queue).
    again = [sync_runs_recover(now=start + dt.timedelta(seconds=s)) for s in (1, 60, lease.seconds - 1)]
    later = sync_runs_recover(now=start + lease + dt.timedelta(seconds=1))

    assert first.requeued == [run.pk]
    assert [r.requeued for r in again] == [[], [], []]
    assert later.requeued == [run.pk]
    assert queued_run_ids() == [run.pk, run.pk]
    assert SyncRun.objects.get(pk=run.pk).redeliveries == 2


def test_after_the_last_redelivery_the_run_is_failed_with_the_reason_and_the_next_sync_finishes(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SYNC_MAX_REDELIVERIES = 2
    mailbox, folder = mailbox_factory(alice)
    for body in REQUESTS:
        folder.add(body=body)
    run = crashed_run(alice, mailbox, settings)
    lease = dt.timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    now = timezone.now()
    outcomes = []
    for _ in range(4):
        # Each copy queued again is lost too (its worker dies before a sign of life).
        outcomes.append(sync_runs_recover(now=now))
        now += lease + dt.timedelta(seconds=1)

    assert [(o.requeued, o.failed) for o in outcomes] == [
        ([run.pk], []),
        ([run.pk], []),
        ([], [run.pk]),
        ([], []),
    ]
    run.refresh_from_db()
    assert (run.state, run.phase, run.redeliveries) == (SyncRun.State.FAILED, SyncRun.Phase.DONE, 2)
    assert run.finished_at is not None
    assert run.error.startswith("This sync stopped answering 3 times (its worker was lost each time)")
    # Not the mailbox's fault: its health is unchanged, and a new sync goes on from what the lost one did.
    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.consecutive_failures) == (Mailbox.State.ACTIVE, 0)
    new, created = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    assert created
    assert mailbox_sync(run=new).state == SyncRun.State.SUCCEEDED
    assert new.messages_found == 3
    assert_everything_synced_once(alice, mailbox, len(REQUESTS))


@contextmanager
def competing_watchdog_after_listing() -> Iterator[list[Any]]:
    """Let a second watchdog (another cluster's scheduler) run its whole pass right after this one listed
    the lost runs, before it claims any."""
    competitor: list[Any] = []

    def sneak_in(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if not competitor and sql.lstrip().upper().startswith("SELECT") and "emailsync_syncrun" in sql:
            competitor.append(None)  # before the call: its own SELECT comes through here too
            competitor[0] = sync_runs_recover()
        return result

    with connection.execute_wrapper(sneak_in):
        yield competitor


def test_two_watchdogs_at_once_queue_a_lost_run_once(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    run = crashed_run(alice, mailbox, settings, die_on=1)

    with competing_watchdog_after_listing() as competitor:
        mine = sync_runs_recover()

    assert competitor[0].requeued == [run.pk]
    assert mine.requeued == []
    assert queued_run_ids() == [run.pk]
    assert SyncRun.objects.get(pk=run.pk).redeliveries == 1


def test_the_job_reports_what_it_did(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    mailbox, folder = mailbox_factory(alice)
    folder.add(body=REQUESTS[0])
    crashed_run(alice, mailbox, settings, die_on=1)

    assert recover_lost_syncs() == "requeued 1, failed 0"
    assert recover_lost_syncs() == "requeued 0, failed 0"


@pytest.mark.django_db
def test_the_watchdog_runs_every_minute_as_a_django_q_schedule() -> None:
    Schedule.objects.filter(name="sync-watchdog").delete()
    maintenance_schedules_ensure()
    schedule = Schedule.objects.get(name="sync-watchdog")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "emailsync.jobs.recover_lost_syncs",
        Schedule.MINUTES,
        1,
        -1,
    )


def test_receipts_left_mid_message_by_the_lost_worker_are_read_again_once(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    mailbox, folder = mailbox_factory(alice)
    for body in REQUESTS[:3]:
        folder.add(body=body)
    run = crashed_run(alice, mailbox, settings, die_on=2)
    # The message being read when the worker died (and any other call then in flight) stays pending.
    in_flight = list(MessageReceipt.objects.filter(mailbox=mailbox, status=MessageReceipt.Status.PENDING))
    assert in_flight and {r.attempts for r in in_flight} == {1}

    sync_runs_recover()
    run_sync(run.pk)

    for receipt in in_flight:
        receipt.refresh_from_db()
        assert (receipt.status, receipt.attempts) == (MessageReceipt.Status.DONE, 2)
    assert_everything_synced_once(alice, mailbox, 3)
