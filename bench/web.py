"""The page scenarios: the dashboard, the first page of ``/api/tasks/`` and the sync status endpoint, at a
small and a large number of tasks, served by gunicorn to 4 concurrent clients."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from accounts.services import api_token_create
from bench.report import Figure, Results, percentile, ratio, say
from bench.users import local_user_create
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from tasks_app.models import Task

CLIENTS = 4
WEB_WORKERS = 2


def tasks_seed(user: User, count: int) -> None:
    """``count`` tasks from as many read emails: most open (scheduled or waiting for approval), the rest done
    or dismissed; due dates from a month ago to two months ahead, every seventh undated."""
    mailbox = Mailbox.objects.get(user=user)
    now = timezone.now()
    receipts = MessageReceipt.objects.bulk_create(
        [
            MessageReceipt(
                mailbox=mailbox,
                message_id=f"seed-{index:06d}",
                subject=f"Request {index}",
                sender="bob@partner.example",
                sender_name="Bob Builder",
                sent_at=now - dt.timedelta(hours=index % 720),
                status=MessageReceipt.Status.DONE,
                processed_at=now,
            )
            for index in range(count)
        ],
        batch_size=1000,
    )
    statuses = [Task.Status.SCHEDULED] * 7 + [Task.Status.PROPOSED, Task.Status.DONE, Task.Status.DISMISSED]
    Task.objects.bulk_create(
        [
            Task(
                user=user,
                source=receipt,
                position=0,
                title=f"Review the report number {index}",
                evidence=f"Could you review the report number {index} by Friday?",
                kind=Task.Kind.DEADLINE,
                due_at=None if index % 7 == 0 else now + dt.timedelta(hours=(index * 37) % 2160 - 720),
                duration_minutes=30,
                status=statuses[index % len(statuses)],
                needs_review=statuses[index % len(statuses)] == Task.Status.PROPOSED,
                extractor="claude",
            )
            for index, receipt in enumerate(receipts)
        ],
        batch_size=1000,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def gunicorn(log_path: Path) -> Iterator[str]:
    """gunicorn on a free loopback port with the bench's settings, until the block ends; yields its URL."""
    port = _free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "scheduler_site.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(WEB_WORKERS),
                "--timeout",
                "300",
                "--no-control-socket",
            ],
            cwd=settings.BASE_DIR,
            # As in production: DEBUG off (cached templates, no query log) with a key of the bench's own.
            env={
                **os.environ,
                "DEBUG": "0",
                "SECRET_KEY": os.environ.get("SECRET_KEY") or f"bench-{secrets.token_urlsafe(32)}",
            },
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
                try:
                    urllib.request.urlopen(f"{url}/accounts/login/", timeout=5).read()
                    break
                except (urllib.error.URLError, ConnectionError):
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"gunicorn did not answer:\n{log_path.read_text()[-3000:]}"
                        ) from None
                    time.sleep(0.2)
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def _get(url: str, headers: dict[str, str]) -> tuple[int, int, float]:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    return status, len(body), time.perf_counter() - started


def _warm_up(url: str, headers: dict[str, str]) -> None:
    """Two rounds of CLIENTS requests at once, so that every worker has served the page before it is timed.
    One request after another all go to the same idle worker, and the other one's first request (about
    130 ms: templates compiled, modules imported) then fell among the timed ones."""
    for _ in range(2):
        threads = [
            threading.Thread(target=_get, args=(url, headers)) for _ in range(max(CLIENTS, WEB_WORKERS))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def load(url: str, headers: dict[str, str], *, requests: int) -> dict[str, Any]:
    """``requests`` GETs of ``url`` from CLIENTS threads at once, after a warm-up of every worker;
    latencies in milliseconds."""
    _warm_up(url, headers)
    samples: list[tuple[int, int, float]] = []
    lock = threading.Lock()

    def client(count: int) -> None:
        for _ in range(count):
            sample = _get(url, headers)
            with lock:
                samples.append(sample)

    shares = [requests // CLIENTS + (i < requests % CLIENTS) for i in range(CLIENTS)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = [s[2] * 1000 for s in samples]
    return {
        "requests": len(samples),
        "statuses": sorted({s[0] for s in samples}),
        "bytes": max(s[1] for s in samples),
        "p50_ms": percentile(times, 0.5),
        "p95_ms": percentile(times, 0.95),
        "max_ms": max(times),
    }


def _page_user(username: str, tasks: int, workdir: Path) -> dict[str, Any]:
    user = local_user_create(username, workdir / username)
    tasks_seed(user, tasks)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    _, token = api_token_create(user=user, name="bench")
    run = SyncRun.objects.create(
        user=user,
        trigger=SyncRun.Trigger.BUTTON,
        state=SyncRun.State.SUCCEEDED,
        phase=SyncRun.Phase.DONE,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    return {
        "tasks": tasks,
        "open_tasks": Task.objects.filter(user=user, status__in=Task.OPEN_STATUSES).count(),
        "cookie": {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        "bearer": {"Authorization": f"Bearer {token}"},
        "run": str(run.public_id),
    }


def web_scenarios(
    results: Results, *, small: int, large: int, requests: int, tag: str, workdir: Path, quick: bool
) -> None:
    say(f"seeding users with {small:,} and {large:,} tasks")
    users = {size: _page_user(f"pages-{size}-{tag}", size, workdir) for size in (small, large)}
    measured: dict[str, dict[int, dict[str, Any]]] = {"dashboard": {}, "api": {}, "status": {}}
    with gunicorn(workdir / "gunicorn.log") as url:
        for size, user in users.items():
            say(f"gunicorn at {url}: {requests} requests per page at {size:,} tasks")
            measured["dashboard"][size] = load(f"{url}/", user["cookie"], requests=requests)
            measured["api"][size] = load(f"{url}/api/tasks/", user["bearer"], requests=requests)
            first_page = json.loads(
                urllib.request.urlopen(
                    urllib.request.Request(f"{url}/api/tasks/", headers=user["bearer"]), timeout=300
                ).read()
            )
            measured["api"][size]["first_page_tasks"] = len(
                first_page["results"] if isinstance(first_page, dict) else first_page
            )
            measured["api"][size]["paginated"] = isinstance(first_page, dict) and "next" in first_page
        measured["status"][large] = load(
            f"{url}/api/email/sync/status/{users[large]['run']}", users[large]["bearer"], requests=requests
        )
    results.details["web"] = {
        "gunicorn_workers": WEB_WORKERS,
        "clients": CLIENTS,
        "requests_per_measurement": requests,
        "measured": {k: {str(size): v for size, v in by.items()} for k, by in measured.items()},
        "open_tasks": {str(size): user["open_tasks"] for size, user in users.items()},
    }

    timed = not quick
    dash_small, dash_large = measured["dashboard"][small], measured["dashboard"][large]
    results.add(
        Figure(
            f"dashboard at {small:,} tasks",
            "p95 at 4 clients",
            dash_small["p95_ms"],
            "ms",
            note=f"{dash_small['bytes']:,} bytes of HTML",
        )
    )
    results.add(
        Figure(
            f"dashboard at {large:,} tasks",
            "p95 at 4 clients",
            dash_large["p95_ms"],
            "ms",
            target="p95 < 100 ms",
            passed=dash_large["p95_ms"] < 100 if timed else None,
            note=f"{dash_large['bytes']:,} bytes of HTML; p50 {dash_large['p50_ms']:.0f} ms",
        )
    )
    dash_ratio = ratio(dash_large["p95_ms"], dash_small["p95_ms"])
    results.add(
        Figure(
            f"dashboard at {large:,} tasks",
            f"p95 against {small:,} tasks",
            dash_large["p95_ms"],
            "ms",
            target=f"within 2× its time at {small:,} tasks",
            ratio=dash_ratio,
            ratio_of=f"{dash_small['p95_ms']:.0f} ms",
            passed=(dash_ratio is not None and dash_ratio <= 2) if timed else None,
        )
    )
    api_small, api_large = measured["api"][small], measured["api"][large]
    api_ratio = ratio(api_large["p95_ms"], api_small["p95_ms"])
    results.add(
        Figure(
            f"/api/tasks/ at {large:,} tasks",
            "first page p95 at 4 clients",
            api_large["p95_ms"],
            "ms",
            target=f"paginated; within 2× its time at {small:,} tasks",
            ratio=api_ratio,
            ratio_of=f"{api_small['p95_ms']:.0f} ms at {small:,}",
            passed=(api_large["paginated"] and api_ratio is not None and api_ratio <= 2) if timed else None,
            note=(
                f"{api_large['first_page_tasks']} tasks, {api_large['bytes']:,} bytes in the first page "
                f"({'paginated' if api_large['paginated'] else 'NOT paginated'}) of "
                f"{users[large]['open_tasks']:,} open tasks"
            ),
        )
    )
    status = measured["status"][large]
    results.add(
        Figure(
            "sync status endpoint",
            "p95 at 4 clients",
            status["p95_ms"],
            "ms",
            target="p95 < 20 ms",
            passed=status["p95_ms"] < 20 if timed else None,
        )
    )
    statuses = {f"{kind} at {size}": m["statuses"] for kind, by in measured.items() for size, m in by.items()}
    results.check(
        "pages: every request answered 200",
        all(s == [200] for s in statuses.values()),
        ", ".join(f"{k}: {v}" for k, v in statuses.items()),
    )
    results.check(
        f"/api/tasks/ at {large} tasks: the first page is a page, not every open task",
        api_large["paginated"] and api_large["first_page_tasks"] < users[large]["open_tasks"],
        f"{api_large['first_page_tasks']} of {users[large]['open_tasks']} open tasks",
    )
