"""``python -m bench --quick`` in a process of its own, as CI runs it: every count it checks holds.

Times are never asserted (they depend on the machine); the bench's own checks are about counts: requests,
LLM calls, tasks and events made once each, at most one calendar busy read per placement pass, no run lost
on either broker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the bench makes its own SQLite database whatever DATABASE_URL says; the SQLite pass runs it",
)
def test_the_quick_bench_counts_hold(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    # CI names a Redis database for tests; without one the Redis broker round is left out.
    redis = os.environ.get("REDIS_TEST_URL", "")
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out), "--redis-url", redis],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    data = json.loads(out.read_text())
    checks = {check["name"]: check for check in data["checks"]}
    assert [name for name, check in checks.items() if not check["ok"]] == []
    # Every scenario ran and checked something: a scenario that silently checked nothing would pass.
    for part in (
        "no new mail",
        "new messages",
        "naive",
        "first sync",
        "at most one busy read per placement pass",
        "pages",
        "/api/tasks/",
        "many users",
    ):
        assert any(part in name for name in checks), part
    assert sum("many users" in name for name in checks) == (2 if redis else 1)
    assert {f["scenario"] for f in data["figures"]} >= {"no new mail (Gmail)", "sync status endpoint"}
    assert data["machine"]["cpu_count"] and data["settings"]["quick"] is True
