"""A real ``manage.py qcluster`` SIGKILLed in the middle of four 300-message Gmail syncs, each held at another
point (listing, a batch of bodies in flight, an extraction in flight, the calendar phase), then started
again: the watchdog (sync_runs_recover, a django-q2 schedule) must bring every run to its end without any
user action, with nothing lost and nothing done twice. On the ORM broker and on Redis, on PostgreSQL.

Each point is reached deterministically: the fake Google and the fake Anthropic hold one call of that user
(a delay far longer than the test), and the test waits until the run is there before it kills.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django_q.models import Schedule

from emailsync.models import MessageReceipt, SyncRun
from emailsync.services import sync_trigger
from scheduler_site.schedules import maintenance_schedules_ensure
from scheduler_site.testing.fake_anthropic import FakeAnthropic, RecordedRequest, Reply, answer_task
from scheduler_site.testing.fake_google import FakeGoogle, FakeUser
from scheduler_site.tests.cluster import cluster_env, cluster_kill, killable_cluster, requires_postgres
from scheduler_site.tests.google_support import connect, mail
from tasks_app.models import Task

pytestmark = [pytest.mark.slow, requires_postgres, pytest.mark.django_db(transaction=True)]

MESSAGES = 300
# Long enough that the held extraction is still in flight when the cluster is killed: Claude's time budget
# per email is 0.8 of the lease.
LEASE_SECONDS = 20
# The watchdog schedule runs every minute, and django-q2's scheduler looks at schedules every 30 s.
WATCHDOG_LATENESS = 60 + 30
HOLD = "Reference HOLD-THIS-EXTRACTION."
ASK = re.compile(r"Could you send me report number (\d+), please\?")


def request_body(number: int, *, hold: bool = False) -> str:
    return f"Hi,\n\nCould you send me report number {number}, please?{' ' + HOLD if hold else ''}\n\nThanks"


def fill_mailbox(
    account: FakeUser, *, count: int = MESSAGES, hold_extraction_at: int | None = None
) -> dict[str, int]:
    """``count`` inbox messages, newest first: every fifth asks for a report (one task each), the rest are
    promotions (read and skipped as bulk). Returns the Gmail id of each request with its number."""
    requests: dict[str, int] = {}
    for number in range(count):
        age = dt.timedelta(minutes=number + 1)
        if number % 5 == 0:
            body = request_body(number, hold=number == hold_extraction_at)
            requests[account.add_message(mail(f"Report {number}", body, age=age)).id] = number
        else:
            account.add_message(
                mail(f"Offer {number}", "Big sale this week", age=age),
                labels=["INBOX", "CATEGORY_PROMOTIONS"],
            )
    return requests


def wait_for(condition: Callable[[], bool], what: str, log: Path, timeout: float) -> float:
    """Poll ``condition`` until it holds; returns when (monotonic). Fails with the cluster's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s\n{log.read_text()[-4000:]}")


def call_held(holds: dict[str, Any], point: str) -> bool:
    """Whether the call held for ``point`` (a fake Google delay) has begun waiting."""
    return bool(holds[point].taken > 0)


def enqueue_queued_runs(env: dict[str, str]) -> None:
    """Queue the runs the way the web app does (``enqueue_run``), on the broker the cluster uses."""
    code = (
        "from emailsync.models import SyncRun\nfrom emailsync.services import enqueue_run\n"
        "for run in SyncRun.objects.filter(state='queued').order_by('pk'): enqueue_run(run)\n"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "broker",
    [
        "orm",
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(
                not os.environ.get("REDIS_TEST_URL"), reason="REDIS_TEST_URL not set (CI sets it)"
            ),
        ),
    ],
)
def test_a_cluster_killed_mid_sync_at_four_points_recovers_every_run_without_loss_or_duplicates(
    broker: str, tmp_path: Path, user_factory: Callable[..., User]
) -> None:
    held = threading.Event()
    held.set()

    def claude(request: RecordedRequest) -> Reply:
        asked = ASK.search(request.user_text)
        if asked is None:
            return Reply.tasks()
        reply = Reply.tasks(answer_task(f"Send report {asked[1]}", asked[0]))
        if HOLD in request.user_text and held.is_set():
            return Reply.slow(600, then=reply)
        return reply

    with FakeGoogle() as google, FakeAnthropic(api_key="test-key", default=claude) as anthropic:
        users = {point: user_factory(point) for point in ("listing", "batch", "extraction", "calendar")}
        accounts = {point: connect(google, user) for point, user in users.items()}
        requests = {
            point: fill_mailbox(account, hold_extraction_at=295 if point == "extraction" else None)
            for point, account in accounts.items()
        }
        # Gmail lists the newest first and reads messages 50 to a batch: the batch with message 120 in it is
        # the third; holding that one call holds the whole batch.
        third_batch_message = next(i for i, n in requests["batch"].items() if n == 120)
        holds = {
            "listing": google.delay("gmail.users.messages.list", 600, user=accounts["listing"].email),
            "batch": google.delay(
                f"/gmail/v1/users/me/messages/{third_batch_message}*", 600, user=accounts["batch"].email
            ),
            # An insert held 20 s reaches the calendar after the crash, with no one left to hear the answer.
            "calendar": google.delay("calendar.events.insert", 20, user=accounts["calendar"].email),
        }

        env = {
            **google.settings(),
            "GOOGLE_HTTP_TIMEOUT_SECONDS": "900",
            "GOOGLE_RETRY_BASE_MS": "1",
            "GMAIL_INITIAL_SYNC_MAX": str(MESSAGES),
            "TASK_EXTRACTOR": "claude",
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": anthropic.base_url,
            "ANTHROPIC_MAX_RETRIES": "0",
            "ANTHROPIC_TIMEOUT_SECONDS": "900",
            "SYNC_LEASE_SECONDS": str(LEASE_SECONDS),
            # Progress saved after every message, so the test sees exactly where each run is.
            "SYNC_PROGRESS_SECONDS": "0",
            "Q_WORKERS": str(len(users)),
            "SYNC_ON_LOGIN": "0",
        }
        if broker == "redis":
            env |= {
                "REDIS_URL": os.environ["REDIS_TEST_URL"],
                "Q_CLUSTER_NAME": f"crash-{uuid.uuid4().hex[:8]}",
            }
        maintenance_schedules_ensure()
        assert Schedule.objects.filter(name="sync-watchdog").exists()
        runs = {
            point: sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON, enqueue=False)[0]
            for point, user in users.items()
        }
        enqueue_queued_runs(cluster_env(**env))

        def run(point: str) -> SyncRun:
            return SyncRun.objects.get(pk=runs[point].pk)

        log = tmp_path / "qcluster.log"
        # This cluster fires no schedules: the calls are held far longer than the lease, and the watchdog must
        # not queue the runs again while their worker is still alive (the test's holds, not a real outage).
        with killable_cluster(log, **env, Q_SCHEDULER="0") as cluster:
            for point in holds:
                wait_for(functools.partial(call_held, holds, point), f"{point}: a call held", log, 120)
            # Last: the extraction held near the end of that mailbox (reached about when the calendar phase
            # of the other is), so it is still in flight, well within its time budget, at the kill.
            wait_for(
                lambda: any(HOLD in r.user_text for r in anthropic.message_requests), "extraction", log, 120
            )
            at_kill = {point: run(point) for point in users}
            killed_at, killed_wall = time.monotonic(), timezone.now()
            cluster_kill(cluster)

        assert all(r.state == SyncRun.State.RUNNING for r in at_kill.values())
        assert at_kill["listing"].messages_found == 0
        # The first two batches were read (written, or still with the extractor), the third is held.
        assert 50 <= at_kill["batch"].messages_seen <= 100
        assert at_kill["calendar"].phase == SyncRun.Phase.SCHEDULING
        assert at_kill["extraction"].phase == SyncRun.Phase.READING
        assert 0 < at_kill["extraction"].messages_seen < MESSAGES
        assert at_kill["calendar"].messages_seen == MESSAGES
        google.reset_faults()
        held.clear()

        resumed: dict[str, float] = {}

        def all_finished() -> bool:
            for point in users:
                current = run(point)
                if point not in resumed and (current.redeliveries or not current.is_active):
                    resumed[point] = time.monotonic() - killed_at
            return all(not run(point).is_active for point in users)

        with killable_cluster(log, **env):
            wait_for(all_finished, "every run finished", log, LEASE_SECONDS + WATCHDOG_LATENESS + 120)
        finished_after = time.monotonic() - killed_at

    print(f"\n{broker}: queued again after {resumed} s; all finished {finished_after:.0f} s after the kill")
    for point, user in users.items():
        final = run(point)
        # The same run finished the work: no new trigger, no user action.
        assert SyncRun.objects.filter(user=user).count() == 1
        assert final.state == SyncRun.State.SUCCEEDED, (point, final.error, log.read_text()[-3000:])
        assert final.redeliveries >= 1 and final.started_at is not None
        assert final.started_at < killed_wall
        assert resumed[point] <= LEASE_SECONDS + WATCHDOG_LATENESS, (point, resumed)
        # No message lost, none read twice.
        receipts = MessageReceipt.objects.filter(mailbox__user=user)
        assert sorted(receipts.values_list("message_id", flat=True)) == sorted(accounts[point].messages)
        assert set(receipts.values_list("status", flat=True)) == {
            MessageReceipt.Status.DONE,
            MessageReceipt.Status.SKIPPED,
        }
        assert receipts.filter(status=MessageReceipt.Status.DONE).count() == len(requests[point])
        # One task per request, one event per task, at the fake Google.
        tasks = Task.objects.filter(user=user)
        assert sorted(tasks.values_list("source__message_id", flat=True)) == sorted(requests[point])
        assert sorted(tasks.values_list("title", flat=True)) == sorted(
            f"Send report {n}" for n in requests[point].values()
        )
        assert all(task.event_written and not task.calendar_pending for task in tasks)
        events = accounts[point].events
        assert sorted(events) == sorted(tasks.values_list("event_id", flat=True))
