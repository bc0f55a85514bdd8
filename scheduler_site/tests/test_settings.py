from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from scheduler_site.env import envbool, envint


def _settings_in_subprocess(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    """Import the settings module fresh with the given environment."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "scheduler_site.settings", **env}
    script = "import django; django.setup(); from django.conf import settings\n" + code
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_queue_is_safe_under_at_least_once_delivery() -> None:
    q: dict[str, Any] = settings.Q_CLUSTER
    assert q["timeout"] < q["retry"]
    assert q["max_attempts"] >= 1
    assert q["ack_failures"] is True


def test_it_uses_the_orm_broker_without_redis_url() -> None:
    result = _settings_in_subprocess({"REDIS_URL": ""}, "import json; print(json.dumps(settings.Q_CLUSTER))")
    assert result.returncode == 0, result.stderr
    q = json.loads(result.stdout.strip().splitlines()[-1])
    assert q["orm"] == "default"
    assert "redis" not in q


def test_it_uses_the_redis_broker_when_redis_url_is_set() -> None:
    result = _settings_in_subprocess(
        {"REDIS_URL": "redis://127.0.0.1:6379/3"}, "import json; print(json.dumps(settings.Q_CLUSTER))"
    )
    assert result.returncode == 0, result.stderr
    q = json.loads(result.stdout.strip().splitlines()[-1])
    assert q["redis"] == "redis://127.0.0.1:6379/3"
    assert "orm" not in q


def test_it_refuses_a_retry_not_longer_than_the_timeout() -> None:
    result = _settings_in_subprocess({"Q_TIMEOUT": "300", "Q_RETRY": "300"}, "print('loaded')")
    assert result.returncode != 0
    assert "Q_RETRY must be larger than Q_TIMEOUT" in result.stderr


def test_it_reads_postgres_from_database_url() -> None:
    result = _settings_in_subprocess(
        {"DATABASE_URL": "postgres://someone@db.example:5433/scheduler"},
        "import json; print(json.dumps({k: settings.DATABASES['default'][k] for k in ('ENGINE','NAME','HOST','PORT')}))",
    )
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout.strip().splitlines()[-1])
    assert db == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "scheduler",
        "HOST": "db.example",
        "PORT": 5433,
    }


def test_env_helpers_fail_loudly_on_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        envbool("SOME_FLAG", False)
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        envint("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 5"):
        envint("SOME_NUMBER", 10, minimum=5)


@pytest.mark.skipif(not os.environ.get("REDIS_TEST_URL"), reason="REDIS_TEST_URL not set (CI sets it)")
def test_jobs_round_trip_through_the_redis_broker() -> None:
    """The production broker: a job enqueued with REDIS_URL set lands in Redis and can be dequeued."""
    code = (
        "from django_q.brokers import get_broker\n"
        "from django_q.signing import SignedPackage\n"
        "broker = get_broker()\n"
        "broker.purge_queue()\n"
        "broker.enqueue(SignedPackage.dumps({'id': 'x', 'func': 'emailsync.jobs.run_sync', 'args': (1,)}))\n"
        "size = broker.queue_size()\n"
        "task_key, payload = broker.dequeue()[0]\n"
        "broker.acknowledge(task_key)\n"
        "print(type(broker).__name__, size, SignedPackage.loads(payload)['func'], broker.queue_size())\n"
        "broker.delete_queue()\n"
    )
    result = _settings_in_subprocess(
        {"REDIS_URL": os.environ["REDIS_TEST_URL"], "Q_CLUSTER_NAME": f"test-{os.getpid()}"}, code
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "Redis 1 emailsync.jobs.run_sync 0"
