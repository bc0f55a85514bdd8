"""``python -m bench``: run the scenarios of issue 12 on the fakes and write docs/benchmarks.md and a JSON file.

The fakes of Google and Anthropic run in this process on loopback, with the per-request latencies given;
the product runs against them for real: in this process for the syncs, in a worker process of its own for
the peak memory of a first sync, under gunicorn for the pages, and under ``manage.py qcluster`` for the
many-users scenario. The bench database is a fresh SQLite file in a temporary folder unless
``--database-url`` names another (it gets the migrations and users of its own run; nothing is deleted).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.fakes import API_KEY, LatentAnthropic, LatentGoogle
from bench.report import Results, read_json, write_json, write_markdown

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ("sync", "first-sync", "web", "many-users")
INTRO = """
Figures of issue 12, written by `python -m bench` (see bench/ and the README). Every figure is measured
against the project's loopback fakes of Google and Anthropic, driven by the real client libraries, with a
fixed delay per request standing for the network and the provider. The naive baseline
(`bench/naive.py`) lists the newest N messages, reads each one alone, asks the model about every message
(bulk included), inserts one calendar event per task and keeps no checkpoint. The mail is generated
(`bench/corpus.py`): 60 % personal requests with quoted history and a signature, 40 % newsletters and
notifications. The first sync and the many-users scenario run without latency (they measure memory,
request counts and queueing, and would take many minutes at the latencies given); the page scenarios
need none. Pages are served by gunicorn (2 sync workers, `DEBUG=0` as in production) on loopback to 4 client threads, each figure
from its own requests after a warm-up; the first sync runs in a worker process of its own, sync after
sync until one finds nothing new (`SYNC_MAX_MESSAGES_PER_RUN` splits it). A **miss** is a target of the
issue this commit does not reach yet; the times depend on the machine and its load (below).
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--google-latency-ms", type=float, default=100.0, help="delay per Google request")
    parser.add_argument("--claude-latency-ms", type=float, default=800.0, help="delay per Claude answer")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, from {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--database-url", default="", help="bench database (default: SQLite in a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="default: bench/results/latest.json")
    parser.add_argument(
        "--markdown", type=Path, default=None, help="default: docs/benchmarks.md (none with --quick)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and no latency; asserts the counts only (CI runs this)",
    )
    parser.add_argument("--messages", type=int, default=None, help="new messages of the sync scenario (50)")
    parser.add_argument("--first-sync", type=int, default=None, help="messages of the first sync (2000)")
    parser.add_argument("--tasks", type=int, default=None, help="tasks of the large page user (10000)")
    parser.add_argument("--small-tasks", type=int, default=None, help="tasks of the small page user (100)")
    parser.add_argument("--users", type=int, default=None, help="users of the many-users scenario (50)")
    parser.add_argument("--user-messages", type=int, default=None, help="messages per user there (20)")
    parser.add_argument("--requests", type=int, default=None, help="requests per page measurement (80)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6", help="'' skips the Redis broker")
    parser.add_argument(
        "--render",
        type=Path,
        default=None,
        metavar="JSON",
        help="run nothing: write the markdown of an earlier run's JSON file again",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "messages": (10, 50),
        "first_sync": (20, 2000),
        "tasks": (200, 10_000),
        "small_tasks": (20, 100),
        "users": (5, 50),
        "user_messages": (4, 20),
        "requests": (12, 80),
    }
    for name, (small, full) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    if quick:
        args.google_latency_ms = args.claude_latency_ms = 0.0
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.json is None:
        args.json = REPO / "bench" / "results" / ("quick.json" if quick else "latest.json")
    if args.markdown is None and not quick:
        args.markdown = REPO / "docs" / "benchmarks.md"
    return args


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def environment(
    args: argparse.Namespace, workdir: Path, google: LatentGoogle, claude: LatentAnthropic
) -> dict[str, str]:
    """The settings of every process of the run (this one, the worker, gunicorn, qcluster), as environment
    variables: the product reads only those."""
    return {
        "DJANGO_SETTINGS_MODULE": "scheduler_site.settings",
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
        "DEBUG": "0",
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "VAR_DIR": str(workdir / "var"),
        "LOCAL_MAIL_ROOT": str(workdir / "mail"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TASK_EXTRACTOR": "claude",
        "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": claude.base_url,
        **google.settings(),
        "SYNC_ON_LOGIN": "0",
        # The first sync reads this many messages at most; the default (200) would never reach the
        # scenario's size.
        "GMAIL_INITIAL_SYNC_MAX": str(max(args.first_sync, args.messages, 200)),
        # The page scenarios send many requests from one user: no throttling in the way.
        "API_RATE": "1000000/minute",
        "REDIS_URL": "",
        "Q_CLUSTER_NAME": f"bench{os.getpid()}",
    }


def _stop(signum: int, frame: object) -> None:
    # Leave through the context managers, which stop gunicorn, qcluster and the fakes.
    sys.exit(f"stopped by signal {signum}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.render is not None:
        write_markdown(read_json(args.render), args.markdown or REPO / "docs" / "benchmarks.md", intro=INTRO)
        return
    signal.signal(signal.SIGTERM, _stop)
    with tempfile.TemporaryDirectory(prefix="bench-") as temp:
        results = run(args, Path(temp))
    write_json(results, args.json)
    print(f"Wrote {args.json}")
    if args.markdown is not None:
        write_markdown(results, args.markdown, intro=INTRO)
        print(f"Wrote {args.markdown}")
    for figure in results.figures:
        verdict = {True: "pass", False: "MISS", None: ""}[figure.passed]
        print(f"  {figure.scenario} / {figure.name}: {figure.value} {figure.unit} {verdict}")
    for check in results.checks:
        print(f"  {'ok    ' if check.ok else 'FAILED'} {check.name}: {check.detail}")
    if results.failed_checks:
        sys.exit(f"{len(results.failed_checks)} count check(s) failed")


def run(args: argparse.Namespace, workdir: Path) -> Results:
    with (
        LatentGoogle(latency=args.google_latency_ms / 1000) as google,
        LatentAnthropic(latency=args.claude_latency_ms / 1000) as claude,
    ):
        os.environ.update(environment(args, workdir, google, claude))
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from bench.sync import extraction_concurrency

        call_command("migrate", verbosity=0)
        concurrency, has_setting = extraction_concurrency()
        db = settings.DATABASES["default"]
        results = Results(
            settings={
                "command": "python -m bench" + (" --quick" if args.quick else ""),
                "quick": args.quick,
                "scenarios": args.scenarios,
                "google_latency_ms": args.google_latency_ms,
                "claude_latency_ms": args.claude_latency_ms,
                "extraction_concurrency": concurrency,
                "extraction_concurrency_set": has_setting,
                "database": db["ENGINE"].rsplit(".", 1)[-1],
                "commit": _commit(),
                # The machine may be shared: its load during the run says how far to trust the times.
                "load_average_at_start": os.getloadavg(),
                "sizes": {
                    name: getattr(args, name)
                    for name in (
                        "messages",
                        "first_sync",
                        "tasks",
                        "small_tasks",
                        "users",
                        "user_messages",
                        "requests",
                    )
                },
                "product": {
                    name: getattr(settings, name, None)
                    for name in (
                        "SYNC_MAX_MESSAGES_PER_RUN",
                        "GMAIL_INITIAL_SYNC_MAX",
                        "GMAIL_BATCH_SIZE",
                        "ANTHROPIC_MODEL",
                        "Q_CLUSTER",
                    )
                },
            }
        )
        tag = f"{os.getpid()}-{int(time.time())}"
        steps: dict[str, Callable[[], Any]] = {}
        if "sync" in args.scenarios:
            from bench.sync import sync_scenarios

            steps["sync"] = lambda: sync_scenarios(
                results, google=google, claude=claude, messages=args.messages, tag=tag, quick=args.quick
            )
        if "first-sync" in args.scenarios:
            from bench.sync import first_sync_scenarios

            steps["first-sync"] = lambda: first_sync_scenarios(
                results, google=google, claude=claude, messages=args.first_sync, tag=tag, workdir=workdir
            )
        if "web" in args.scenarios:
            from bench.web import web_scenarios

            steps["web"] = lambda: web_scenarios(
                results,
                small=args.small_tasks,
                large=args.tasks,
                requests=args.requests,
                tag=tag,
                workdir=workdir,
                quick=args.quick,
            )
        if "many-users" in args.scenarios:
            from bench.cluster import many_users_scenarios

            steps["many-users"] = lambda: many_users_scenarios(
                results,
                google=google,
                claude=claude,
                users=args.users,
                messages=args.user_messages,
                tag=tag,
                workdir=workdir,
                redis_url=args.redis_url,
                quick=args.quick,
            )
        for name, step in steps.items():
            print(f"==> {name}", flush=True)
            # The scenarios that are not about latency run without it.
            google.latency = args.google_latency_ms / 1000 if name == "sync" else 0.0
            claude.latency = args.claude_latency_ms / 1000 if name == "sync" else 0.0
            started = time.monotonic()
            step()
            results.seconds[name] = time.monotonic() - started
        results.settings["load_average_at_end"] = os.getloadavg()
        return results
