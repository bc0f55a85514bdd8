"""The Gmail source and the sync service, with the real google-api-python-client against the fake Google."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from pytest_django import Settings

from conftest import sync_in_foreground
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import SyncUnavailable, mailbox_sync, sync_trigger
from scheduler_site.testing.fake_anthropic import FakeAnthropic, Reply
from scheduler_site.testing.fake_google import FakeGoogle
from scheduler_site.tests.google_support import (  # noqa: F401
    REQUESTS,
    bodies_read,
    connect,
    fast_password_hashing_fixture,
    gets_per_batch,
    google_fixture,
    mail,
    mailbox_of,
)
from tasks_app.models import Task

pytestmark = pytest.mark.django_db


def test_the_first_sync_reads_the_newest_inbox_mail_in_batches_of_at_most_50(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    settings.GMAIL_INITIAL_SYNC_MAX = 56
    settings.GMAIL_BATCH_SIZE = 100  # asks for more than Google recommends: capped at 50
    account = connect(google, alice)
    account.add_message(mail("Too old", age=dt.timedelta(days=settings.GMAIL_INITIAL_SYNC_DAYS + 3)))
    account.add_message(mail("Sent by Alice"), labels=["SENT"])
    for number in range(58):
        # Newsletters (Promotions) are read but skipped as bulk, which keeps the test fast.
        account.add_message(
            mail(f"Offer {number}", "Big sale this week", age=dt.timedelta(hours=number + 2)),
            labels=["INBOX", "CATEGORY_PROMOTIONS"],
        )
    newest = account.add_message(mail("From Bob", REQUESTS[0], age=dt.timedelta(minutes=5)))
    history_at_start = account.history_id

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.messages_found == 56
    # Headers and labels of all 56 first; the body only of the one that is not in Promotions.
    assert gets_per_batch(google, format_="metadata") == [50, 6]
    assert gets_per_batch(google) == [1]
    assert bodies_read(google) == [newest.id]
    assert not [r for r in google.requests_to("gmail.users.messages.get") if not r.batch]
    metadata = [
        r for r in google.requests_to("gmail.users.messages.get") if r.query["format"] == ["metadata"]
    ]
    assert {"List-Unsubscribe", "Precedence", "Auto-Submitted", "From"} <= set(
        metadata[0].query["metadataHeaders"]
    )
    receipts = MessageReceipt.objects.filter(mailbox__user=alice)
    assert receipts.count() == 56
    assert (
        receipts.filter(status=MessageReceipt.Status.SKIPPED, skip_reason="Gmail Promotions category").count()
        == 55
    )
    assert not receipts.filter(subject__in=["Too old", "Sent by Alice"]).exists()
    task = Task.objects.get(user=alice)
    assert task.source.message_id == newest.id
    assert mailbox_of(alice).checkpoint == str(history_at_start)
    # The checkpoint came first: nothing listed after it can slip through.
    endpoints = [r.endpoint for r in google.requests if r.endpoint.startswith("gmail.")]
    assert endpoints[0] == "gmail.users.getProfile"


def test_a_later_sync_reads_only_the_new_inbox_mail(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    first = [account.add_message(mail(f"Old {n}", body)) for n, body in enumerate(REQUESTS[:2])]
    assert sync_in_foreground(alice).state == SyncRun.State.SUCCEEDED
    google.clear_requests()
    account.add_labels(first[0].id, ["STARRED"])
    account.add_message(mail("Alice's reply"), labels=["SENT"])
    new = account.add_message(mail("New request", REQUESTS[2]))

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert (run.messages_found, run.tasks_created) == (1, 1)
    assert not google.requests_to("gmail.users.messages.list")
    assert not google.requests_to("gmail.users.getProfile")
    history = google.requests_to("gmail.users.history.list")
    assert history[0].query["startHistoryId"] == [str(first[1].history_id)]
    assert history[0].query["labelId"] == ["INBOX"]
    assert history[0].query["historyTypes"] == ["messageAdded"]
    assert bodies_read(google) == [new.id]
    assert mailbox_of(alice).checkpoint == str(account.history_id)
    assert Task.objects.filter(user=alice).count() == 3


def test_a_backlog_larger_than_one_run_keeps_the_checkpoint_until_it_is_read(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    account = connect(google, alice)
    account.add_message(mail("Old", REQUESTS[0]))
    sync_in_foreground(alice)
    before = mailbox_of(alice).checkpoint
    for n, body in enumerate(REQUESTS[1:4]):
        account.add_message(mail(f"New {n}", body))
    settings.SYNC_MAX_MESSAGES_PER_RUN = 2

    first = sync_in_foreground(alice)

    assert (first.state, first.messages_found) == (SyncRun.State.SUCCEEDED, 2)
    # The third new message is not read yet: the checkpoint must not move past it.
    assert mailbox_of(alice).checkpoint == before
    # The follow-up run the first one queued reads it, as a worker would.
    second = mailbox_sync(run=SyncRun.objects.get(user=alice, state=SyncRun.State.QUEUED))
    assert (second.trigger, second.messages_found) == (SyncRun.Trigger.FOLLOW_UP, 1)
    assert mailbox_of(alice).checkpoint == str(account.history_id)
    assert Task.objects.filter(user=alice).count() == 4


def test_it_stores_the_new_history_id_even_when_nothing_was_added(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    message = account.add_message(mail())
    sync_in_foreground(alice)
    account.add_labels(message.id, ["STARRED"])
    assert mailbox_of(alice).checkpoint == str(account.history_id - 1)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    assert run.messages_found == 0
    assert mailbox_of(alice).checkpoint == str(account.history_id)


def test_it_reads_every_page_of_history_and_each_message_once(
    google: FakeGoogle, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small page size stands in for a mailbox with more changes than one page holds.
    monkeypatch.setattr("emailsync.sources.gmail.HISTORY_PAGE_SIZE", 2)
    account = connect(google, alice)
    sync_in_foreground(alice)
    new = [account.add_message(mail(f"New {n}", body)) for n, body in enumerate(REQUESTS)]
    account.add_labels(new[0].id, ["INBOX"])  # already there: no record, but the id may repeat in history

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert len(google.requests_to("gmail.users.history.list")) == 3
    assert run.messages_found == 5
    assert sorted(
        MessageReceipt.objects.filter(mailbox__user=alice).values_list("message_id", flat=True)
    ) == sorted(m.id for m in new)


def test_a_stale_history_id_falls_back_to_a_full_sync_without_duplicates(
    google: FakeGoogle, alice: User
) -> None:
    account = connect(google, alice)
    old = [account.add_message(mail(f"Old {n}", body)) for n, body in enumerate(REQUESTS[:3])]
    sync_in_foreground(alice)
    new = [account.add_message(mail(f"New {n}", body)) for n, body in enumerate(REQUESTS[3:])]
    account.prune_history()  # Gmail forgot the history since our checkpoint
    google.clear_requests()

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert [r.status for r in google.requests_to("gmail.users.history.list")] == [404]
    assert len(google.requests_to("gmail.users.getProfile")) == 1
    assert sorted(bodies_read(google)) == sorted(m.id for m in new)
    receipts = MessageReceipt.objects.filter(mailbox__user=alice)
    assert sorted(receipts.values_list("message_id", flat=True)) == sorted(m.id for m in old + new)
    assert Task.objects.filter(user=alice).count() == 5
    mailbox = mailbox_of(alice)
    assert mailbox.checkpoint == str(account.history_id)
    assert mailbox.stale_checkpoint_resyncs == 1

    # The fresh checkpoint works again: the loop-breaker count starts over.
    account.add_message(mail("Newest"))
    assert sync_in_foreground(alice).state == SyncRun.State.SUCCEEDED
    assert mailbox_of(alice).stale_checkpoint_resyncs == 0


def test_a_checkpoint_that_stays_stale_stops_the_full_resyncs(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    settings.SYNC_MAX_STALE_RESYNCS = 2
    account = connect(google, alice)
    account.add_message(mail())
    sync_in_foreground(alice)
    google.fail("gmail.users.history.list", status=404, times=None)
    google.clear_requests()

    runs = [sync_in_foreground(alice) for _ in range(3)]

    assert [run.state for run in runs] == [
        SyncRun.State.SUCCEEDED,
        SyncRun.State.SUCCEEDED,
        SyncRun.State.FAILED,
    ]
    assert "did not help 2 times in a row" in runs[2].error
    # Two full resyncs, then no more: the third run stops at the 404.
    assert len(google.requests_to("gmail.users.getProfile")) == 2
    assert len(google.requests_to("gmail.users.history.list")) == 3


def test_a_rate_limit_with_retry_after_defers_only_that_mailbox(
    google: FakeGoogle, alice: User, charlie: User
) -> None:
    alice_account = connect(google, alice)
    charlie_account = connect(google, charlie)
    alice_account.add_message(mail("For Alice", REQUESTS[0]))
    charlie_account.add_message(mail("For Charlie", REQUESTS[1]))
    google.fail("gmail.*", status=429, retry_after=120, times=None, user=alice_account.email)
    before = timezone.now()

    alice_run = sync_in_foreground(alice)
    charlie_run = sync_in_foreground(charlie)

    assert alice_run.state == SyncRun.State.FAILED
    assert "rate-limited" in alice_run.error and "slow down" in alice_run.error
    mailbox = mailbox_of(alice)
    assert mailbox.state == Mailbox.State.BACKING_OFF
    assert mailbox.next_attempt_at is not None
    assert (
        before + dt.timedelta(seconds=115)
        < mailbox.next_attempt_at
        < timezone.now() + dt.timedelta(seconds=125)
    )
    assert mailbox.checkpoint == ""
    # num_retries: the call was tried 1 + GOOGLE_NUM_RETRIES times before the mailbox was deferred.
    assert len(google.requests_to("gmail.users.getProfile", user=alice_account.email)) == 3
    with pytest.raises(SyncUnavailable):
        sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    assert charlie_run.state == SyncRun.State.SUCCEEDED, charlie_run.error
    assert mailbox_of(charlie).state == Mailbox.State.ACTIVE
    assert Task.objects.filter(user=charlie).count() == 1


def test_a_long_rate_limit_inside_a_batch_defers_the_mailbox_and_keeps_the_checkpoint(
    google: FakeGoogle, alice: User
) -> None:
    account = connect(google, alice)
    sync_in_foreground(alice)
    checkpoint = mailbox_of(alice).checkpoint
    account.add_message(mail("New", REQUESTS[0]))
    google.fail("gmail.users.messages.get", status=429, retry_after=300, times=None)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.FAILED
    mailbox = mailbox_of(alice)
    assert mailbox.state == Mailbox.State.BACKING_OFF
    assert mailbox.next_attempt_at is not None
    assert mailbox.next_attempt_at > timezone.now() + dt.timedelta(seconds=290)
    assert mailbox.checkpoint == checkpoint
    # Recorded as waiting for the next sync, never charged an attempt.
    assert list(MessageReceipt.objects.filter(mailbox=mailbox).values_list("status", "attempts")) == [
        (MessageReceipt.Status.PENDING, 0)
    ]


def test_a_part_that_fails_inside_a_batch_is_fetched_again(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    messages = [account.add_message(mail(f"Request {n}", body)) for n, body in enumerate(REQUESTS[:3])]
    flaky = messages[1]
    google.fail(f"/gmail/v1/users/me/messages/{flaky.id}", status=500, times=1)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert gets_per_batch(google, format_="metadata") == [3, 1]
    assert gets_per_batch(google) == [3]
    # Its headers failed inside the batch and were read again; then its body.
    assert [r.status for r in google.requests_to(f"/gmail/v1/users/me/messages/{flaky.id}")] == [
        500,
        200,
        200,
    ]
    assert set(MessageReceipt.objects.filter(mailbox__user=alice).values_list("status", flat=True)) == {
        MessageReceipt.Status.DONE
    }
    assert Task.objects.filter(user=alice).count() == 3


def test_a_message_that_keeps_failing_is_quarantined_and_the_others_go_on(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    settings.GMAIL_BATCH_RETRY_ROUNDS = 1
    settings.SYNC_MESSAGE_MAX_ATTEMPTS = 2
    account = connect(google, alice)
    good = account.add_message(mail("Good", REQUESTS[0]))
    bad = account.add_message(mail("Bad", REQUESTS[1]))
    google.fail(f"/gmail/v1/users/me/messages/{bad.id}", status=500, times=None)

    first = sync_in_foreground(alice)
    account.add_message(mail("Later", REQUESTS[2]))
    second = sync_in_foreground(alice)

    assert (first.state, second.state) == (SyncRun.State.SUCCEEDED, SyncRun.State.SUCCEEDED)
    assert (first.messages_processed, first.messages_failed) == (1, 1)
    assert (second.messages_processed, second.messages_failed) == (1, 1)
    mailbox = mailbox_of(alice)
    bad_receipt = MessageReceipt.objects.get(mailbox=mailbox, message_id=bad.id)
    assert bad_receipt.status == MessageReceipt.Status.QUARANTINED
    assert bad_receipt.attempts == 2
    assert "HTTP 500" in bad_receipt.last_error
    assert (
        MessageReceipt.objects.get(mailbox=mailbox, message_id=good.id).status == MessageReceipt.Status.DONE
    )
    assert Task.objects.filter(user=alice).count() == 2
    assert mailbox.checkpoint == str(account.history_id)

    third = sync_in_foreground(alice)
    assert third.messages_found == 0  # a quarantined message is not tried again by itself


def test_the_checkpoint_never_moves_back(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    account.add_message(mail())
    sync_in_foreground(alice)
    ahead = str(account.history_id + 50)
    Mailbox.objects.filter(user=alice).update(checkpoint=ahead)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    answered = google.requests_to("gmail.users.history.list")[-1]
    assert answered.status == 200
    assert mailbox_of(alice).checkpoint == ahead


def test_gmail_categories_are_skipped_as_bulk_and_threads_are_kept(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    social = account.add_message(mail("Someone tagged you", REQUESTS[0]), labels=["INBOX", "CATEGORY_SOCIAL"])
    forums = account.add_message(mail("New post", REQUESTS[1]), labels=["INBOX", "CATEGORY_FORUMS"])
    personal = account.add_message(mail("Slides", REQUESTS[2]), thread_id="18f3a1c2d4e5aaaa")

    run = sync_in_foreground(alice)

    assert (run.messages_skipped, run.tasks_created) == (2, 1)
    receipts = {r.message_id: r for r in MessageReceipt.objects.filter(mailbox__user=alice)}
    assert receipts[social.id].skip_reason == "Gmail Social category"
    assert receipts[forums.id].skip_reason == "Gmail Forums category"
    assert receipts[personal.id].thread_id == "18f3a1c2d4e5aaaa"
    assert Task.objects.get(user=alice).source.thread_id == "18f3a1c2d4e5aaaa"


def test_a_server_error_is_retried_within_the_call(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    account.add_message(mail())
    google.fail("gmail.users.getProfile", status=503, times=1)
    google.drop("batch", times=2)  # httplib2 resends once by itself; the second drop reaches us

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert [r.status for r in google.requests_to("gmail.users.getProfile")] == [503, 200]
    # The headers' batch was dropped twice and answered the third time; then the bodies' batch.
    assert [r.status for r in google.requests_to("batch")][:4] == [None, None, 200, 200]


def test_a_server_that_keeps_failing_backs_the_mailbox_off(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    connect(google, alice)
    google.fail("gmail.users.getProfile", status=503, times=None)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.FAILED
    assert "HTTP 503" in run.error
    mailbox = mailbox_of(alice)
    assert mailbox.state == Mailbox.State.BACKING_OFF
    assert mailbox.next_attempt_at is not None
    assert mailbox.next_attempt_at > timezone.now() + dt.timedelta(
        seconds=settings.SYNC_BACKOFF_BASE_SECONDS * 0.7
    )
    assert mailbox.consecutive_failures == 1
    assert len(google.requests_to("gmail.users.getProfile")) == 1 + settings.GOOGLE_NUM_RETRIES


def test_a_revoked_grant_needs_reconnect_and_nothing_is_retried(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    from django_q.models import Schedule

    from accounts.models import GoogleCredential
    from accounts.services import periodic_sync_apply, schedule_name
    from emailsync.jobs import scheduled_sync
    from tasks_app.services import calendar_sync

    account = connect(google, alice)
    account.add_message(mail())
    periodic_sync_apply(user=alice, minutes=30)
    google.revoke(account.email)  # the user removed our access in their Google account

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.FAILED
    assert "revoked or has expired" in run.error and "Reconnect" in run.error
    token_calls = google.requests_to("oauth.token")
    assert [r.status for r in token_calls] == [400]
    mailbox = mailbox_of(alice)
    assert mailbox.state == Mailbox.State.NEEDS_RECONNECT
    assert not Schedule.objects.filter(name=schedule_name(alice.pk)).exists()
    assert GoogleCredential.objects.get(user=alice).grant_lost_at is not None

    # One API call met the revoked token (401), one refresh met invalid_grant, and that was all.
    assert [r.status for r in google.requests] == [401, 400]

    # Nothing calls Google again until the user reconnects: not a trigger, the schedule or the calendar.
    with pytest.raises(SyncUnavailable):
        sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    assert scheduled_sync(alice.pk).startswith("skipped")
    calendar_sync(user=alice)
    assert len(google.requests) == 2


def test_bulk_headers_are_read_without_the_body_and_nothing_is_extracted_from_them(
    google: FakeGoogle, alice: User, claude_fake: FakeAnthropic
) -> None:
    account = connect(google, alice)
    news = account.add_message(
        mail("Weekly news", REQUESTS[1], headers={"List-Unsubscribe": "<mailto:unsubscribe@news.example>"})
    )
    robot = account.add_message(
        mail("Your receipt", REQUESTS[2], headers={"Auto-Submitted": "auto-generated"})
    )
    ask = account.add_message(mail("Slides", REQUESTS[0]))
    claude_fake.default = Reply.tasks()

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert bodies_read(google) == [ask.id]
    assert len(claude_fake.message_requests) == 1  # only the one that is not bulk mail
    receipts = {r.message_id: r for r in MessageReceipt.objects.filter(mailbox__user=alice)}
    assert (receipts[news.id].status, receipts[news.id].skip_reason) == ("skipped", "List-Unsubscribe header")
    assert receipts[robot.id].skip_reason == "Auto-Submitted: auto-generated header"
    # What the receipt shows came from the headers alone.
    assert (receipts[news.id].subject, receipts[news.id].sender) == ("Weekly news", "bob@example.com")
    assert receipts[news.id].attempts == 1
