"""A token key the server lost is the operator's error: runs fail with a reason for the administrator, the
mailbox is never counted against, disabled or sent to "reconnect", and fixing the key is all it takes.
Real google-api-python-client against the fake Google."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from pytest_django import Settings

from conftest import client_for, sync_in_foreground
from emailsync.models import Mailbox, SyncRun
from emailsync.serializers import SyncRunSerializer
from scheduler_site.testing.fake_google import FakeGoogle
from scheduler_site.tests.google_support import (  # noqa: F401
    REQUESTS,
    connect,
    fast_password_hashing_fixture,
    google_fixture,
    mail,
    mailbox_of,
)
from tasks_app.models import Task
from tasks_app.services import calendar_sync, task_retitle

pytestmark = pytest.mark.django_db

OPERATOR_REASON = "TOKEN_ENCRYPTION_KEYS does not hold the key they were stored with"


def _key() -> str:
    return Fernet.generate_key().decode()


def test_a_lost_token_key_fails_every_run_for_the_operator_and_never_disables_the_mailbox(
    google: FakeGoogle, alice: User, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from django_q.models import Schedule

    from accounts.services import periodic_sync_apply, schedule_name

    key_a, key_b = _key(), _key()
    settings.TOKEN_ENCRYPTION_KEYS = [key_a]
    account = connect(google, alice)  # tokens stored under key A
    account.add_message(mail(body=REQUESTS[0]))
    periodic_sync_apply(user=alice, minutes=30)

    settings.TOKEN_ENCRYPTION_KEYS = [key_b]  # the operator deployed without key A
    with caplog.at_level(logging.ERROR):
        runs = [sync_in_foreground(alice) for _ in range(settings.SYNC_DISABLE_AFTER_FAILURES + 2)]

    for run in runs:
        assert run.state == SyncRun.State.FAILED
        assert OPERATOR_REASON in run.error and "An administrator must restore it" in run.error
        assert "not your account" in run.error
        assert "Reconnect your account" not in run.error
        next_step = SyncRunSerializer(run).data["next_step"]
        assert isinstance(next_step, dict) and next_step["action"] != "reconnect"
    mailbox = mailbox_of(alice)
    assert mailbox.state == Mailbox.State.ACTIVE
    assert mailbox.consecutive_failures == 0
    assert mailbox.next_attempt_at is None
    assert mailbox.last_error == ""
    assert Schedule.objects.filter(name=schedule_name(alice.pk)).exists()  # automatic sync not paused
    assert google.requests == []  # Google was never bothered with tokens we cannot read
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and OPERATOR_REASON in r.getMessage()]
    assert len(errors) >= len(runs)

    # The user is told it is not their doing, not to reconnect.
    page = client_for(alice).get("/").content.decode()
    assert "not your account" in page

    settings.TOKEN_ENCRYPTION_KEYS = [key_a]  # the administrator puts the key back
    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.tasks_created == 1
    assert mailbox_of(alice).state == Mailbox.State.ACTIVE


def test_a_malformed_token_key_is_also_the_operators_error(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    key_a = _key()
    settings.TOKEN_ENCRYPTION_KEYS = [key_a]
    connect(google, alice).add_message(mail())
    settings.TOKEN_ENCRYPTION_KEYS = ["not-a-fernet-key", key_a]

    runs = [sync_in_foreground(alice) for _ in range(settings.SYNC_DISABLE_AFTER_FAILURES + 1)]

    assert {run.state for run in runs} == {SyncRun.State.FAILED}
    assert "key number 1 is not a Fernet key" in runs[-1].error
    mailbox = mailbox_of(alice)
    assert (mailbox.state, mailbox.consecutive_failures) == (Mailbox.State.ACTIVE, 0)


def test_the_calendar_waits_for_the_key_and_catches_up_once_it_is_back(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    key_a, key_b = _key(), _key()
    settings.TOKEN_ENCRYPTION_KEYS = [key_a]
    account = connect(google, alice)
    account.add_message(mail(body=REQUESTS[2]))
    assert sync_in_foreground(alice).state == SyncRun.State.SUCCEEDED
    task = Task.objects.get(user=alice)
    assert task.event_written
    calls = len(google.requests)

    settings.TOKEN_ENCRYPTION_KEYS = [key_b]
    task_retitle(task=task, title="Review the contract with legal (v2)")
    calendar_sync(user=alice)

    task.refresh_from_db()
    assert task.calendar_pending
    assert OPERATOR_REASON in task.calendar_error and "not your account" in task.calendar_error
    assert len(google.requests) == calls
    assert mailbox_of(alice).consecutive_failures == 0

    settings.TOKEN_ENCRYPTION_KEYS = [key_a]
    calendar_sync(user=alice)

    task.refresh_from_db()
    assert not task.calendar_pending and task.calendar_error == ""
    [event] = account.calendar_events()
    assert event["summary"].startswith("Review the contract with legal (v2)")
