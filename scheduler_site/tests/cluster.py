"""A real django-q2 cluster process on the test database, for tests that need jobs to run apart from
the test process (as they do in production)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from emailsync.models import SyncRun


def shared_database_url() -> str:
    """The URL of the test database this process uses, so the cluster process shares it."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


# Crash tests start clusters on PostgreSQL only: several processes writing one SQLite file wait on each other's
# locks, which is not the production set-up the tests are about. The suite runs on PostgreSQL in CI (.ci/run).
requires_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="needs PostgreSQL (DATABASE_URL=postgres://...): several real processes share the database",
)


def cluster_env(**overrides: str) -> dict[str, str]:
    """The environment of a process of the site (a cluster, manage.py) on the test database: the ORM broker
    and the offline extractor, unless ``overrides`` (environment variables) say otherwise."""
    return {
        **os.environ,
        "DATABASE_URL": shared_database_url(),
        "DJANGO_SETTINGS_MODULE": "scheduler_site.settings",
        "Q_WORKERS": "1",
        "REDIS_URL": "",
        # A developer's exported ANTHROPIC_API_KEY must not send the suite to Claude.
        "TASK_EXTRACTOR": "offline",
        **overrides,
    }


@contextlib.contextmanager
def killable_cluster(log_path: Path, **overrides: str) -> Iterator[subprocess.Popen[bytes]]:
    """``manage.py qcluster`` in a process group of its own, for ``cluster_kill`` (a machine that dies: no
    process of the cluster gets to clean up). Killed the same way when the block ends, if still running."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=settings.BASE_DIR,
            env=cluster_env(**overrides),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            cluster_kill(process)


def cluster_kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the cluster and every process it started (its workers would go on without it otherwise)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextlib.contextmanager
def job_cluster(log_path: Path, **overrides: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``manage.py qcluster`` on the test database until the block ends: on its ORM broker, unless
    ``overrides`` (environment variables) say otherwise."""
    env = cluster_env(**overrides)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env, stdout=log, stderr=log
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # qcluster on SQLite can ignore SIGTERM for a while (FIELD_NOTES); don't hang the suite.
                process.kill()
                process.wait(timeout=5)


def finished_run_of(
    user_id: int, cluster: subprocess.Popen[bytes], log_path: Path, timeout: float = 120
) -> SyncRun:
    """Wait until the user's latest sync run has finished on the cluster and return it. Fails early, with
    the cluster's log, if the cluster dies or the run never ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = SyncRun.objects.filter(user_id=user_id).order_by("-created_at").first()
        if run is not None and not run.is_active:
            return run
        assert cluster.poll() is None, log_path.read_text()
        time.sleep(0.5)
    raise AssertionError(f"no finished sync within {timeout} s:\n{log_path.read_text()[-3000:]}")
