"""The real sync over folders of generated and damaged mail (hypothesis): every message ends processed,
skipped or quarantined with a reason, and no exception leaves the run.

Each example is a fresh user with a local folder mailbox in the test's mail area, synced in the foreground
(as ``manage.py sync_user`` does) until nothing is left to retry; the run records and the receipts must then
account for every file. Examples are few (each is a real sync); the parser itself is fuzzed far more
cheaply in test_mime_properties.py.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from pytest_django import Settings

from accounts.services import profile_for
from conftest import MailFolder, client_for, make_email, sync_in_foreground
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import mailbox_connect_area
from emailsync.sources.local import local_mail_area
from emailsync.tests.mail_strategies import any_message, messages, nested_message

pytestmark = pytest.mark.django_db

_users = itertools.count(1)
ENDED_WITH_A_REASON: dict[str, str] = {
    MessageReceipt.Status.DONE: "",
    MessageReceipt.Status.SKIPPED: "skip_reason",
    MessageReceipt.Status.QUARANTINED: "last_error",
}


def mailbox_with(raws: list[bytes]) -> tuple[User, Mailbox, list[str]]:
    """A new user whose mail area holds ``raws``, one .eml file each, connected as the user's mailbox (as an
    upload would be); returns the message ids."""
    number = next(_users)
    user = User.objects.create_user(f"fuzz{number}", f"fuzz{number}@example.com")
    profile_for(user)
    folder = MailFolder(local_mail_area(user.pk))
    names = [folder.add(f"{index:04d}.eml", raw=raw) for index, raw in enumerate(raws)]
    return user, mailbox_connect_area(user=user, folder=""), names


def sync_until_settled(user: User, attempts: int) -> list[SyncRun]:
    """Sync until no message waits for another attempt (a failure is retried, then quarantined)."""
    runs = []
    for _ in range(attempts + 1):
        runs.append(sync_in_foreground(user))
        waiting = MessageReceipt.objects.filter(
            mailbox__user=user, status__in=[MessageReceipt.Status.FAILED, MessageReceipt.Status.PENDING]
        )
        if not waiting.exists():
            break
    return runs


def assert_every_message_ended_with_a_reason(
    user: User, mailbox: Mailbox, names: list[str], runs: list[SyncRun]
) -> None:
    for run in runs:
        assert run.state == SyncRun.State.SUCCEEDED, run.error
        assert "unexpectedly" not in run.error
    receipts = {r.message_id: r for r in MessageReceipt.objects.filter(mailbox=mailbox)}
    assert sorted(receipts) == sorted(names), "every file has a receipt, and only the files"
    for name, receipt in receipts.items():
        assert receipt.status in ENDED_WITH_A_REASON, f"{name} ended {receipt.status}: {receipt.last_error}"
        reason_field = ENDED_WITH_A_REASON[receipt.status]
        if reason_field:
            assert getattr(receipt, reason_field).strip(), f"{name} is {receipt.status} without a reason"


# No "explain" phase: it re-runs a failing example dozens of times, and each run here is a real sync.
@settings(
    max_examples=8,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raws=st.lists(st.one_of(messages(), any_message), min_size=1, max_size=8))
# Found by this test: a Date header with no UTC instant failed every save of its receipt, so the run
# failed "unexpectedly" and, run after run, the mailbox was disabled by one message.
@example(
    raws=[make_email(date=dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(-dt.timedelta(hours=12))))]
)
def test_a_folder_of_generated_mail_ends_processed_skipped_or_quarantined(
    raws: list[bytes], settings: Settings
) -> None:
    settings.SYNC_MESSAGE_MAX_ATTEMPTS = 2
    user, mailbox, names = mailbox_with(raws)

    runs = sync_until_settled(user, attempts=2)

    assert_every_message_ended_with_a_reason(user, mailbox, names, runs)


def test_hand_written_extremes_end_processed_skipped_or_quarantined(settings: Settings) -> None:
    """Zero bytes, binary, 20 MB, 5,000 recipients and 100 levels of nesting, in one folder with a plain
    request between them, which must still become a task."""
    settings.SYNC_MESSAGE_MAX_ATTEMPTS = 2
    recipients = ", ".join(f"person{i}@example.com" for i in range(5000))
    huge_body = ("Please review the attached figures. " * 600_000)[: 20 * 1024 * 1024]
    raws = [
        b"",
        bytes(range(256)) * 64,
        make_email(body=huge_body),
        make_email(to=recipients, body="Could you confirm the headcount by Friday?"),
        nested_message(100),
        make_email(body="Can you send the slides to Maria?"),
    ]
    user, mailbox, names = mailbox_with(raws)

    runs = sync_until_settled(user, attempts=2)

    assert_every_message_ended_with_a_reason(user, mailbox, names, runs)
    statuses = dict(MessageReceipt.objects.filter(mailbox=mailbox).values_list("message_id", "status"))
    assert statuses[names[0]] == statuses[names[1]] == MessageReceipt.Status.QUARANTINED
    assert statuses[names[5]] == MessageReceipt.Status.DONE
    assert user.tasks.filter(source__message_id=names[5]).exists()


@pytest.mark.parametrize(
    "date", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "Fri, 31 Dec 9999 23:59:59 -1200"]
)
def test_a_message_dated_at_the_ends_of_the_calendar_is_read_without_a_date(date: str) -> None:
    """Found by the fuzzing above: such a Date failed each save of its receipt, or later the task's page."""
    raw = make_email(body="Could you send the report?").replace(
        b"Date: ", b"Date: " + date.encode() + b"\r\nX-Was: "
    )
    user, mailbox, names = mailbox_with([raw])
    profile = profile_for(user)
    profile.timezone = "Asia/Tokyo" if date.startswith("9999") else "America/New_York"
    profile.save()

    runs = sync_until_settled(user, attempts=2)

    assert_every_message_ended_with_a_reason(user, mailbox, names, runs)
    receipt = MessageReceipt.objects.get(mailbox=mailbox)
    assert (receipt.status, receipt.sent_at) == (MessageReceipt.Status.DONE, None)
    task = user.tasks.get()
    assert client_for(user).get(f"/tasks/{task.pk}/").status_code == 200
