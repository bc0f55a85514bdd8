"""scripts/serve.sh, the production server: it refuses to start half-configured, and it runs gunicorn and a
job cluster side by side, stopping both together."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

SERVE = str(Path(settings.BASE_DIR) / "scripts" / "serve.sh")


def _production_env(**extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48)[:50],
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://scheduler.example.com",
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PYTHON": sys.executable,
        **extra,
    }


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", SERVE], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "TOKEN_ENCRYPTION_KEYS"])
def test_it_refuses_to_start_without_a_production_variable(missing: str) -> None:
    env = _production_env()
    del env[missing]

    result = _run(env)

    assert result.returncode == 2
    assert f"refusing to start: {missing} not set" in result.stderr
    assert "==>" not in result.stdout  # nothing was collected, migrated or started


def test_it_refuses_to_start_in_debug_mode() -> None:
    result = _run(_production_env(DEBUG="1"))

    assert result.returncode == 2
    assert "refusing to start with DEBUG=1" in result.stderr
    assert "==>" not in result.stdout


def test_it_stops_before_migrating_when_a_token_key_is_malformed(tmp_path: Path) -> None:
    result = _run(_production_env(TOKEN_ENCRYPTION_KEYS="not-a-fernet-key", VAR_DIR=str(tmp_path)))

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "Collecting static files" not in result.stdout
    assert not (tmp_path / "scheduler.sqlite3").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_alive(pid: int) -> bool:
    """Whether any process of the group ``pid`` leads (gunicorn's or the cluster's workers) is left."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _groups_gone(*pids: int, timeout: float = 5) -> bool:
    """A killed process lingers until it is reaped (by init, for orphans): give that a moment."""
    deadline = time.monotonic() + timeout
    while any(_group_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


class Served:
    def __init__(self, process: subprocess.Popen[str], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    def pids(self) -> tuple[int, int]:
        match = re.search(r"web pid (\d+), cluster pid (\d+)", self.log.read_text())
        assert match, self.log.read_text()
        return int(match[1]), int(match[2])

    def get(self, path: str) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)

    def wait_until_up(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                self.get("/accounts/login/")
                return
            except OSError:
                time.sleep(0.25)
        raise AssertionError(f"serve.sh did not answer in {timeout}s:\n{self.log.read_text()}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """serve.sh on a free loopback port, with SQLite in a VAR_DIR of its own."""
    port = _free_port()
    env = _production_env(
        VAR_DIR=str(tmp_path / "var"),
        # Plain http on loopback: the https settings would redirect the test's request.
        SITE_URL=f"http://127.0.0.1:{port}",
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="1",
        Q_WORKERS="1",
        STOP_TIMEOUT="5",
    )
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(["bash", SERVE], env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    server = Served(process, port, log)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.slow
def test_it_serves_the_site_and_stops_both_processes_on_sigterm(served: Served) -> None:
    served.wait_until_up()
    assert served.get("/accounts/login/") == 200
    web, cluster = served.pids()
    assert _group_alive(web) and _group_alive(cluster)

    served.process.send_signal(signal.SIGTERM)

    assert served.process.wait(timeout=15) == 0
    assert _groups_gone(web, cluster)


@pytest.mark.slow
def test_when_the_job_cluster_dies_it_stops_the_web_server_and_exits_with_failure(served: Served) -> None:
    served.wait_until_up()
    web, cluster = served.pids()

    os.kill(cluster, signal.SIGKILL)

    assert served.process.wait(timeout=15) != 0
    assert _groups_gone(web, cluster)  # the cluster's workers too
    assert "the job cluster exited" in served.log.read_text()
