"""Outages under a real cluster: the worker's database connection severed mid-run, and the Redis broker
restarted (losing what it held) while syncs are queued and running. PostgreSQL only.

The shared PostgreSQL and Redis servers are never touched: only this test database's worker backend is
terminated, and the Redis that is restarted is a private one on a port of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule

from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import sync_trigger
from emailsync.tests.test_crash_recovery import enqueue_queued_runs, fill_mailbox, wait_for
from scheduler_site.schedules import maintenance_schedules_ensure
from scheduler_site.testing.fake_google import FakeGoogle, FakeUser
from scheduler_site.tests.cluster import cluster_env, killable_cluster, requires_postgres
from scheduler_site.tests.google_support import connect
from tasks_app.models import Task

pytestmark = [pytest.mark.slow, requires_postgres, pytest.mark.django_db(transaction=True)]


def gmail_env(google: FakeGoogle, **more: str) -> dict[str, str]:
    return {
        **google.settings(),
        "GOOGLE_HTTP_TIMEOUT_SECONDS": "60",
        "GOOGLE_RETRY_BASE_MS": "1",
        "GMAIL_INITIAL_SYNC_MAX": "500",
        "SYNC_ON_LOGIN": "0",
        # Progress saved after every message, so the test sees exactly how far a run got.
        "SYNC_PROGRESS_SECONDS": "0",
        **more,
    }


def watchdog_due_now() -> None:
    """The watchdog schedule is due at once (afterwards every minute, as django-q2 moves it on)."""
    maintenance_schedules_ensure()
    Schedule.objects.filter(name="sync-watchdog").update(next_run=timezone.now())


def assert_all_read_once(user: User, account: FakeUser, asks: dict[str, int]) -> None:
    receipts = MessageReceipt.objects.filter(mailbox__user=user)
    assert sorted(receipts.values_list("message_id", flat=True)) == sorted(account.messages)
    assert set(receipts.values_list("status", flat=True)) <= {
        MessageReceipt.Status.DONE,
        MessageReceipt.Status.SKIPPED,
    }
    tasks = Task.objects.filter(user=user)
    assert sorted(tasks.values_list("source__message_id", flat=True)) == sorted(asks)
    assert sorted(account.events) == sorted(tasks.values_list("event_id", flat=True))


def latest_run(user: User) -> SyncRun:
    run = SyncRun.objects.filter(user=user).order_by("-created_at").first()
    assert run is not None
    return run


@pytest.mark.skipif(
    "redis" in settings.Q_CLUSTER, reason="the test enqueues on the ORM broker; unset REDIS_URL"
)
def test_a_severed_database_connection_ends_the_run_with_the_reason_and_the_next_run_finishes(
    tmp_path: Path, user_factory: Callable[..., User]
) -> None:
    with FakeGoogle() as google:
        user = user_factory("severed")
        account = connect(google, user)
        asks = fill_mailbox(account, count=120)
        # The second batch of bodies takes 6 s: the worker waits on Google, its database connection idle.
        second_batch = next(message_id for message_id, number in asks.items() if number == 60)
        google.delay(f"/gmail/v1/users/me/messages/{second_batch}*", 6, times=1, user=account.email)
        env = gmail_env(google)
        log = tmp_path / "qcluster.log"
        with killable_cluster(log, **env):
            run, _ = sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON)

            wait_for(lambda: latest_run(user).messages_seen == 50, "first batch read", log, 120)
            with connection.cursor() as cursor:
                # The worker's backend is the one whose last statement was about the sync (the cluster's
                # other processes talk about django_q's tables).
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND query LIKE '%%emailsync_%%'"
                )
                assert cursor.fetchall() == [(True,)]
            wait_for(lambda: not latest_run(user).is_active, "the run ended", log, 60)

            failed = latest_run(user)
            assert failed.pk == run.pk
            assert failed.state == SyncRun.State.FAILED
            assert failed.error.startswith("The database could not be reached during the sync (")
            assert "the next sync goes on from there" in failed.error
            mailbox = Mailbox.objects.get(user=user)
            # Not the mailbox's fault, and its lease is free for the next sync.
            assert (mailbox.state, mailbox.consecutive_failures, mailbox.lease_token) == (
                Mailbox.State.ACTIVE,
                0,
                None,
            )
            read = MessageReceipt.objects.filter(mailbox__user=user, status__in=MessageReceipt.FINAL_STATUSES)
            assert read.count() == 50

            again, created = sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON)
            assert created
            wait_for(lambda: not latest_run(user).is_active, "the next run ended", log, 180)

        again.refresh_from_db()
        assert again.state == SyncRun.State.SUCCEEDED, again.error
        assert again.messages_found == 70  # the 50 read before the outage are not read again
        assert_all_read_once(user, account, asks)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """A redis-server of this test's own, with no persistence: a restart loses everything it held."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=out,
                stderr=out,
            )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return
            time.sleep(0.1)
        raise AssertionError(f"redis-server did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def queued(self, cluster_name: str) -> int:
        """Jobs waiting in the Redis list of the cluster of this name."""
        return int(redis.Redis(port=self.port).llen(f"django_q:{cluster_name}:q"))


@contextlib.contextmanager
def private_redis(log: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(log)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_redis_restart_loses_the_queued_jobs_and_the_watchdog_brings_every_run_to_its_end(
    tmp_path: Path, user_factory: Callable[..., User]
) -> None:
    """One worker: the first sync runs, the next two wait in the cluster, the last waits in Redis, which is
    then restarted empty. Every sync must still finish, and a sync queued after the restart too."""
    with FakeGoogle() as google, private_redis(tmp_path / "redis.log") as server:
        users = [user_factory(f"redis{n}") for n in range(5)]
        accounts = [connect(google, user) for user in users]
        asks = [fill_mailbox(account, count=60) for account in accounts]
        # The first sync waits 8 s on Google for its first batch of bodies.
        first_batch = next(message_id for message_id, number in asks[0].items() if number == 10)
        google.delay(f"/gmail/v1/users/me/messages/{first_batch}*", 8, times=1, user=accounts[0].email)
        name = f"outage-{uuid.uuid4().hex[:8]}"
        env = gmail_env(
            google, REDIS_URL=server.url, Q_CLUSTER_NAME=name, Q_WORKERS="1", SYNC_LEASE_SECONDS="10"
        )
        watchdog_due_now()
        for user in users[:4]:
            sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
        enqueue_queued_runs(cluster_env(**env))
        log = tmp_path / "qcluster.log"
        with killable_cluster(log, **env) as cluster:
            wait_for(
                lambda: latest_run(users[0]).phase == SyncRun.Phase.READING, "first sync reading", log, 60
            )
            time.sleep(1)  # the cluster has taken what it can hold
            assert server.queued(name) >= 1, "no job was left in Redis to lose"

            server.kill()
            server.start()
            restarted = time.monotonic()
            assert server.queued(name) == 0

            wait_for(
                lambda: not SyncRun.objects.filter(state__in=SyncRun.ACTIVE_STATES).exists(),
                "every sync finished",
                log,
                10 + 90 + 120,
            )
            recovered_after = time.monotonic() - restarted
            # Queued through the restarted Redis: the cluster found it again.
            sync_trigger(user=users[4], trigger=SyncRun.Trigger.BUTTON, enqueue=False)
            enqueue_queued_runs(cluster_env(**env))
            wait_for(
                lambda: not latest_run(users[4]).is_active, "the sync queued after the restart", log, 120
            )
            assert cluster.poll() is None

    print(f"\nall syncs finished {recovered_after:.0f} s after the Redis restart")
    runs = [latest_run(user) for user in users]
    assert [run.state for run in runs] == [SyncRun.State.SUCCEEDED] * 5, [run.error for run in runs]
    assert [SyncRun.objects.filter(user=user).count() for user in users] == [1] * 5
    # The job Redis lost was queued again by the watchdog (the others may have been too, while they waited).
    assert any(run.redeliveries for run in runs[1:4])
    assert runs[0].redeliveries == 0 and runs[4].redeliveries == 0
    for user, account, ask in zip(users, accounts, asks, strict=True):
        assert_all_read_once(user, account, ask)
    assert dt.timedelta(seconds=recovered_after) <= dt.timedelta(seconds=10 + 90 + 60)
