"""No email text and no secret reaches the log, even at LOG_LEVEL=DEBUG, unless LOG_LLM_REQUESTS=1.

The LOGGING of the real settings module, loaded in a subprocess with the operator's environment, is applied
with ``dictConfig`` as Django applies it at start-up; a handler on the root logger at level 1 then records
everything while a Gmail + Claude sync runs against the fake Google and the fake Anthropic API.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import connection
from pytest_django import Settings

from conftest import sync_in_foreground
from emailsync.models import MessageReceipt, SyncRun
from scheduler_site.testing.fake_anthropic import FakeAnthropic, Reply, answer_task
from scheduler_site.testing.fake_google import FakeGoogle
from scheduler_site.tests.google_support import (  # noqa: F401
    connect,
    fast_password_hashing_fixture,
    google_fixture,
    mail,
)
from tasks_app.models import Task

pytestmark = pytest.mark.django_db

API_KEY = "sk-ant-api03-secret-key-for-the-log-test"
ASK = "Could you send the Zanzibar quarterly figures to Priscilla by Friday EOD?"
PRIVATE = "My new door code is Quetzalcoatl-4471, please keep it between us."
PROMO = "Flamingo clearance: every inflatable Marmoset half price this weekend."
UNUSABLE = "Could you ask Bartholomew to water the Cumberland ferns tomorrow?"
BODY_WORDS = ("Zanzibar", "Priscilla", "Quetzalcoatl", "Flamingo", "Marmoset", "Bartholomew", "Cumberland")


def logging_config(**env: str) -> dict[str, Any]:
    """settings.LOGGING as the settings module builds it for this environment (in a fresh process)."""
    clean = {
        k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_LOG", "LOG_LLM_REQUESTS", "LOG_LEVEL")
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from scheduler_site import settings; print(json.dumps(settings.LOGGING))",
        ],
        cwd=django_settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "scheduler_site.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return config


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=1)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> Iterator[tuple[logging.LogRecord, str]]:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        for record in self.records:
            yield record, f"{formatter.format(record)} {record.msg!r} {record.args!r}"


def _all_loggers() -> list[logging.Logger]:
    known = logging.Logger.manager.loggerDict.values()
    return [logging.getLogger(), *(lg for lg in known if isinstance(lg, logging.Logger))]


@pytest.fixture
def apply_logging() -> Iterator[Callable[[dict[str, Any]], Everything]]:
    """Apply a LOGGING dict for the test, with a capturing handler on the root logger; restore after."""
    saved = {lg.name: (lg.level, lg.propagate, lg.disabled, list(lg.handlers)) for lg in _all_loggers()}
    made: list[logging.Handler] = []

    def apply(config: dict[str, Any]) -> Everything:
        logging.config.dictConfig(config)
        capture = Everything()
        logging.getLogger().addHandler(capture)
        made.extend(logging.getLogger().handlers)
        return capture

    # SQL is logged (with its parameters: email text, encrypted tokens) only on a debug cursor; make it one.
    connection.force_debug_cursor = True
    try:
        yield apply
    finally:
        connection.force_debug_cursor = False
        for handler in made:
            handler.close()
        # Loggers made during the test (an SDK imported on first use) go back to the defaults.
        for lg in _all_loggers():
            level, propagate, disabled, handlers = saved.get(lg.name, (logging.NOTSET, True, False, []))
            lg.setLevel(level)
            lg.propagate, lg.disabled, lg.handlers = propagate, disabled, handlers


@pytest.fixture
def claude(settings: Settings) -> Iterator[FakeAnthropic]:
    with FakeAnthropic(api_key=API_KEY) as server:
        settings.TASK_EXTRACTOR = "claude"
        settings.ANTHROPIC_API_KEY = API_KEY
        settings.ANTHROPIC_BASE_URL = server.base_url
        settings.ANTHROPIC_MAX_RETRIES = 0
        settings.ANTHROPIC_TIMEOUT_SECONDS = 5
        settings.SYNC_MESSAGE_MAX_ATTEMPTS = 1
        yield server


def sync_gmail_with_claude(google: FakeGoogle, claude: FakeAnthropic, user: User) -> None:
    """A sync that reads mail with tasks, bulk mail and a message Claude answers badly, refreshing the
    expired Google access token on the way and writing the task to Google Calendar."""
    account = connect(google, user)
    account.add_message(mail("Figures", f"Hi,\n\n{PRIVATE}\n\n{ASK}\n\nThanks"))
    account.add_message(mail("Sale", PROMO), labels=["INBOX", "CATEGORY_PROMOTIONS"])
    account.add_message(mail("Ferns", UNUSABLE))

    def answer(request: Any) -> Reply:
        if "Bartholomew" in request.user_text:
            return Reply.invalid_json()
        return Reply.tasks(
            answer_task("Send the quarterly figures", ASK, kind="deadline", date_phrase="Friday EOD")
        )

    claude.default = answer
    google.expire_access_tokens()
    run = sync_in_foreground(user)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert Task.objects.get(user=user).event_written
    assert (
        MessageReceipt.objects.filter(mailbox__user=user, status=MessageReceipt.Status.QUARANTINED).count()
        == 1
    )


def secrets_of(google: FakeGoogle) -> dict[str, str]:
    assert django_settings.GOOGLE_CLIENT_SECRET
    secrets = {"Anthropic API key": API_KEY, "Google client secret": django_settings.GOOGLE_CLIENT_SECRET}
    secrets.update({f"access token {n}": token for n, token in enumerate(google.oauth.by_access_token)})
    secrets.update({f"refresh token {n}": token for n, token in enumerate(google.oauth.by_refresh_token)})
    secrets.update({f"body word {word}": word for word in BODY_WORDS})
    return secrets


def test_at_debug_no_record_holds_email_text_or_a_secret(
    google: FakeGoogle,
    claude: FakeAnthropic,
    alice: User,
    apply_logging: Any,
) -> None:
    capture = apply_logging(logging_config(LOG_LEVEL="DEBUG"))
    sync_gmail_with_claude(google, claude, alice)

    # The secrets were really in flight: bodies to Claude, tokens to Google, the key to Anthropic.
    assert any("Zanzibar" in r.user_text for r in claude.requests)
    assert any(r.path == "/token" for r in google.requests)
    assert len(google.oauth.by_access_token) >= 2
    secrets = secrets_of(google)
    leaks = [
        f"{name} in {record.name} {record.levelname}: {text[:200]}"
        for record, text in capture.texts()
        for name, value in secrets.items()
        if value and value in text
    ]
    assert leaks == []
    # The capture worked: our own DEBUG-level configuration let the sync's records through.
    names = {record.name for record in capture.records}
    assert "emailsync.services" in names and logging.getLogger().level == logging.DEBUG


def test_with_log_llm_requests_the_sdk_logs_the_requests_at_debug(
    google: FakeGoogle, claude: FakeAnthropic, alice: User, apply_logging: Any
) -> None:
    capture = apply_logging(logging_config(LOG_LEVEL="DEBUG", LOG_LLM_REQUESTS="1"))
    sync_gmail_with_claude(google, claude, alice)
    sdk = [
        text
        for record, text in capture.texts()
        if record.name.startswith("anthropic") and record.levelno == logging.DEBUG
    ]
    assert any("Zanzibar" in text for text in sdk)


def test_anthropic_log_debug_is_refused_unless_llm_requests_may_be_logged() -> None:
    with pytest.raises(AssertionError, match="ANTHROPIC_LOG=debug writes whole email bodies"):
        logging_config(ANTHROPIC_LOG="debug")
    allowed = logging_config(ANTHROPIC_LOG="debug", LOG_LLM_REQUESTS="1", LOG_LEVEL="DEBUG")
    assert allowed["loggers"]["anthropic"]["level"] == "NOTSET"


def test_client_loggers_are_held_whatever_the_log_level() -> None:
    config = logging_config(LOG_LEVEL="DEBUG")
    assert config["root"]["level"] == "DEBUG"
    held = {name: spec["level"] for name, spec in config["loggers"].items()}
    for name in (
        "anthropic",
        "httpx2",
        "httpcore2",
        "googleapiclient",
        "google",
        "google_auth_httplib2",
        "social",
    ):
        assert held[name] in ("INFO", "WARNING"), name
    assert held["django.db.backends"] == "WARNING"
