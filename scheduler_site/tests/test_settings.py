from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
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


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _production_env() -> dict[str, str]:
    """Exactly the variables docs/deployment.md asks for, with fresh secrets."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48)[:50],
        "ALLOWED_HOSTS": "scheduler.example.com",
        "SITE_URL": "https://scheduler.example.com",
        "TOKEN_ENCRYPTION_KEYS": _fernet_key(),
    }


def _manage(env: dict[str, str], *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``manage.py <args>`` in a process that sees only ``env`` (and a VAR_DIR of the test's own)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={"VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_only_the_production_variables(tmp_path: Path) -> None:
    result = _manage(_production_env(), "check", "--deploy", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stderr


def test_check_deploy_warns_about_each_https_protection_an_http_site_lacks(tmp_path: Path) -> None:
    env = {**_production_env(), "SITE_URL": "http://scheduler.example.com"}
    result = _manage(env, "check", "--deploy", tmp_path=tmp_path)
    for check_id in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check_id in result.stderr, check_id


def test_each_https_protection_can_be_set_on_its_own(tmp_path: Path) -> None:
    # An http SITE_URL (say, TLS handled where Django cannot see it) with every protection switched on.
    env = {
        **_production_env(),
        "SITE_URL": "http://scheduler.example.com",
        "SECURE_SSL_REDIRECT": "1",
        "SESSION_COOKIE_SECURE": "1",
        "CSRF_COOKIE_SECURE": "1",
        "SECURE_HSTS_SECONDS": "3600",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "SECURE_HSTS_PRELOAD": "1",
    }
    result = _manage(env, "check", "--deploy", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stderr
    # And the other way round: an https site whose proxy does the redirect.
    env = {**_production_env(), "SECURE_SSL_REDIRECT": "0"}
    result = _manage(env, "check", "--deploy", tmp_path=tmp_path)
    assert "security.W008" in result.stderr
    assert "security.W004" not in result.stderr


def test_https_site_url_turns_on_redirect_cookies_and_hsts_and_trusts_its_own_origin() -> None:
    names = (
        "SECURE_SSL_REDIRECT SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SECURE_HSTS_SECONDS "
        "SECURE_HSTS_INCLUDE_SUBDOMAINS SECURE_HSTS_PRELOAD CSRF_TRUSTED_ORIGINS SECURE_PROXY_SSL_HEADER"
    ).split()
    code = f"import json; print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    https = _settings_in_subprocess({**_production_env(), "SITE_URL": "https://scheduler.example.com/"}, code)
    assert https.returncode == 0, https.stderr
    assert json.loads(https.stdout.strip().splitlines()[-1]) == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "CSRF_TRUSTED_ORIGINS": ["https://scheduler.example.com"],
        # Never trusted by default: any client could claim https with it.
        "SECURE_PROXY_SSL_HEADER": None,
    }
    local = _settings_in_subprocess({"DEBUG": "1", "SITE_URL": "http://127.0.0.1:8000"}, code)
    values = json.loads(local.stdout.strip().splitlines()[-1])
    assert not any(values[name] for name in names[:6])
    assert values["CSRF_TRUSTED_ORIGINS"] == ["http://127.0.0.1:8000"]


def test_the_proxy_ssl_header_is_trusted_only_when_named() -> None:
    result = _settings_in_subprocess(
        {
            "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "CSRF_TRUSTED_ORIGINS": "https://a.example,https://b.example",
        },
        "import json; print(json.dumps([settings.SECURE_PROXY_SSL_HEADER, settings.CSRF_TRUSTED_ORIGINS]))",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        ["HTTP_X_FORWARDED_PROTO", "https"],
        ["https://a.example", "https://b.example"],
    ]


@pytest.mark.parametrize("command", [["check"], ["migrate", "--noinput"], ["qcluster"]])
def test_it_stops_at_start_up_without_a_secret_key_when_debug_is_off(
    command: list[str], tmp_path: Path
) -> None:
    env = {key: value for key, value in _production_env().items() if key != "SECRET_KEY"}
    result = _manage(env, *command, tmp_path=tmp_path)
    assert result.returncode != 0
    assert result.stderr.startswith("Configuration error: SECRET_KEY is not set."), result.stderr
    assert "token_urlsafe" in result.stderr  # it says how to make one
    assert "Traceback" not in result.stderr
    # An empty value is no key either.
    result = _manage({**env, "SECRET_KEY": ""}, *command, tmp_path=tmp_path)
    assert "SECRET_KEY is not set" in result.stderr


def test_the_web_server_stops_at_start_up_without_a_secret_key() -> None:
    env = {key: value for key, value in _production_env().items() if key != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", "import scheduler_site.wsgi"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_a_local_checkout_in_debug_mode_runs_without_a_secret_key(tmp_path: Path) -> None:
    result = _manage({"DEBUG": "1"}, "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_check_fails_on_a_malformed_token_encryption_key_and_names_it(tmp_path: Path) -> None:
    env = {**_production_env(), "TOKEN_ENCRYPTION_KEYS": f"{_fernet_key()},not-a-fernet-key"}
    result = _manage(env, "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "key number 2 (of 2)" in result.stderr
    assert "Fernet.generate_key()" in result.stderr
    assert "key number 1" not in result.stderr


def test_check_deploy_warns_when_tokens_would_be_encrypted_with_the_secret_key(tmp_path: Path) -> None:
    env = {key: value for key, value in _production_env().items() if key != "TOKEN_ENCRYPTION_KEYS"}
    result = _manage(env, "check", "--deploy", tmp_path=tmp_path)
    assert "accounts.W001" in result.stderr
