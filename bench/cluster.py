"""The many-users scenario: every user's sync triggered at once, run by a real ``manage.py qcluster`` with 2
workers, on the ORM broker and on Redis; trigger-to-finished times from the SyncRun records."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from bench.corpus import make_corpus, requests_in
from bench.fakes import LatentAnthropic, LatentGoogle
from bench.report import Figure, Results, percentile, say
from bench.users import gmail_user_create
from emailsync.models import MessageReceipt, SyncRun
from scheduler_site.testing.fake_google import FakeUser
from tasks_app.models import Task

WORKERS = 2


@contextlib.contextmanager
def qcluster(log_path: Path, **overrides: str) -> Iterator[subprocess.Popen[bytes]]:
    """``manage.py qcluster`` with the bench's settings until the block ends, ready to take jobs."""
    env = {**os.environ, "Q_WORKERS": str(WORKERS), **overrides}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # qcluster on SQLite can ignore SIGTERM for a while (FIELD_NOTES): its whole group goes.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def _broker_round(
    broker: str,
    *,
    google: LatentGoogle,
    users: int,
    messages: int,
    tag: str,
    workdir: Path,
    redis_url: str,
) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    say(f"{broker} broker: {users} users with {messages} messages each")
    people: list[tuple[User, FakeUser]] = []
    for index in range(users):
        user, fake_user = gmail_user_create(google, f"many-{broker}-{index}-{tag}")
        for mail in make_corpus(messages, to=fake_user.email, now=now):
            fake_user.add_message(mail.raw, labels=mail.labels)
        people.append((user, fake_user))
    overrides = {"REDIS_URL": redis_url} if broker == "redis" else {}
    log_path = workdir / f"qcluster-{broker}.log"
    ids = [u.pk for u, _ in people]
    with qcluster(log_path, **overrides) as process:
        say(f"{broker} broker: qcluster started; triggering every sync")
        started = time.monotonic()
        # django-q2 picks its broker once per process: the triggers are enqueued by a process with the
        # cluster's settings, after a probe job went through, so no run waits for the cluster's start-up.
        triggered = subprocess.run(
            [sys.executable, "-m", "bench.worker", "trigger", *map(str, ids)],
            cwd=settings.BASE_DIR,
            env={**os.environ, **overrides},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if triggered.returncode != 0:
            raise RuntimeError(
                f"triggering failed:\n{triggered.stderr[-3000:]}\n{log_path.read_text()[-3000:]}"
            )
        deadline = time.monotonic() + 60 + users * messages * 0.5
        while SyncRun.objects.filter(user_id__in=ids, state__in=SyncRun.ACTIVE_STATES).exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the runs did not finish:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        elapsed = time.monotonic() - started
    runs = list(SyncRun.objects.filter(user_id__in=ids))
    waits = [(r.finished_at - r.created_at).total_seconds() for r in runs if r.finished_at]
    expected = requests_in(messages)
    return {
        "elapsed_s": elapsed,
        "runs": len(runs),
        "states": sorted({r.state for r in runs}),
        "p50_s": percentile(waits, 0.5),
        "p95_s": percentile(waits, 0.95),
        "max_s": max(waits) if waits else None,
        "tasks": Task.objects.filter(user_id__in=ids).count(),
        "tasks_expected": expected * users,
        "users_with_wrong_task_count": sum(
            Task.objects.filter(user=u).count() != expected for u, _ in people
        ),
        "events": sum(len(f.calendar_events()) for _, f in people),
        "messages_final": MessageReceipt.objects.filter(
            mailbox__user_id__in=ids, status__in=MessageReceipt.FINAL_STATUSES
        ).count(),
    }


def many_users_scenarios(
    results: Results,
    *,
    google: LatentGoogle,
    claude: LatentAnthropic,
    users: int,
    messages: int,
    tag: str,
    workdir: Path,
    redis_url: str,
    quick: bool,
) -> None:
    brokers = ["orm", "redis"] if redis_url else ["orm"]
    rounds = {
        broker: _broker_round(
            broker,
            google=google,
            users=users,
            messages=messages,
            tag=tag,
            workdir=workdir,
            redis_url=redis_url,
        )
        for broker in brokers
    }
    results.details["many_users"] = {"workers": WORKERS, "users": users, "messages": messages, **rounds}
    for broker, got in rounds.items():
        results.add(
            Figure(
                f"{users} users × {messages} messages, qcluster with {WORKERS} workers ({broker} broker)",
                "trigger to finished p50 / p95",
                f"{got['p50_s']:.1f} s / {got['p95_s']:.1f} s",
                note=(
                    f"all {got['runs']} runs done in {got['elapsed_s']:.0f} s; {got['tasks']:,} tasks, "
                    f"{got['events']:,} calendar events; no latency (queueing and database contention only)"
                ),
            )
        )
        results.check(
            f"many users ({broker} broker): every run succeeded, no message lost, no task or event twice",
            got["states"] == [SyncRun.State.SUCCEEDED]
            and got["runs"] == users
            and got["messages_final"] == users * messages
            and got["tasks"] == got["tasks_expected"]
            and got["users_with_wrong_task_count"] == 0
            and got["events"] == got["tasks_expected"],
            f"{got['runs']} runs {got['states']}, {got['messages_final']} of {users * messages} messages final, "
            f"{got['tasks']} tasks and {got['events']} events of {got['tasks_expected']}",
        )
