"""Extraction with several calls in flight: order of writes, faults, the budget and the lease, on a real
database, a real local mail folder and the offline extractor (wrapped to be slow, to fail or to cost tokens,
as the model provider can)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Profile
from conftest import MailFolder, sync_in_foreground
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import mailbox_sync, sync_trigger
from emailsync.sources.local import LocalFolderSource
from tasks_app.extractors import (
    EmailForExtraction,
    ExtractedTask,
    ExtractionResult,
    ExtractionUsage,
    ExtractorFatal,
    ExtractorUnavailable,
    get_extractor,
)
from tasks_app.models import Task

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]

REQUESTS = [
    "Can you send the slides to Maria?",
    "Could you forward the invoice to accounting?",
    "Please review the contract with legal.",
    "Can you book the room for the offsite?",
    "Could you update the budget sheet?",
    "Can you call the plumber about the leak?",
    "Please renew the parking permit.",
    "Could you order more printer paper?",
]


class ProviderLike:
    """The offline extractor behind a provider's latency, faults and meter. Thread-safe, as extractors must be."""

    name = "offline"

    def __init__(
        self,
        *,
        delay: Callable[[EmailForExtraction], float] = lambda email: 0.0,
        fail: Callable[[EmailForExtraction], Exception | None] = lambda email: None,
        tokens_per_call: int = 0,
    ) -> None:
        self.real = get_extractor("offline")
        self.delay = delay
        self.fail = fail
        self.tokens_per_call = tokens_per_call
        self.metered = tokens_per_call > 0
        self.lock = threading.Lock()
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.running: set[str] = set()

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]:
        return self.extract_with_usage(email).tasks

    def extract_with_usage(self, email: EmailForExtraction) -> ExtractionResult:
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.running.add(email.subject)
        try:
            time.sleep(self.delay(email))
            error = self.fail(email)
            if error is not None:
                raise error
            return ExtractionResult(
                self.real.extract(email), ExtractionUsage(input_tokens=self.tokens_per_call)
            )
        finally:
            with self.lock:
                self.in_flight -= 1
                self.running.discard(email.subject)


def add_requests(folder: MailFolder, count: int) -> list[str]:
    """``count`` requests with subjects "Request 0", "Request 1"…; returns the message ids in listing order."""
    for index in range(count):
        folder.add(subject=f"Request {index}", body=REQUESTS[index % len(REQUESTS)])
    return LocalFolderSource(folder.path).list_new("").message_ids


def subject_number(email: EmailForExtraction) -> int:
    return int(email.subject.split()[-1])


def test_it_keeps_several_calls_in_flight_and_writes_in_message_order(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.EXTRACTION_CONCURRENCY = 3
    mailbox, folder = mailbox_factory(alice)
    ids = add_requests(folder, 7)
    # Later messages answer sooner, so results come back out of order.
    extractor = ProviderLike(delay=lambda email: 0.05 * (8 - subject_number(email)))
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    run = mailbox_sync(run=run, extractor=extractor)

    assert run.state == SyncRun.State.SUCCEEDED and run.messages_processed == 7
    assert extractor.most_in_flight == 3
    tasks = Task.objects.filter(user=alice).order_by("pk")
    assert [task.source.message_id for task in tasks] == ids
    done = MessageReceipt.objects.filter(mailbox=mailbox).order_by("processed_at", "pk")
    assert [receipt.message_id for receipt in done] == ids


def test_with_a_concurrency_of_one_calls_run_one_at_a_time(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.EXTRACTION_CONCURRENCY = 1
    _, folder = mailbox_factory(alice)
    add_requests(folder, 4)
    extractor = ProviderLike(delay=lambda email: 0.02)
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    mailbox_sync(run=run, extractor=extractor)

    assert extractor.most_in_flight == 1 and extractor.calls == 4


def test_two_messages_of_one_thread_are_never_extracted_at_once(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.EXTRACTION_CONCURRENCY = 4
    _, folder = mailbox_factory(alice)
    folder.add(subject="Request 0", body="Please confirm you got this.")
    thread = {"References": "<offsite-0@example.com>"}
    folder.add(subject="Request 1", body="Can you book the room for the offsite?", headers=thread)
    folder.add(subject="Request 2", body="Reminder: can you book the room for the offsite?", headers=thread)
    overlaps: list[set[str]] = []
    extractor: ProviderLike

    def delay(email: EmailForExtraction) -> float:
        with extractor.lock:
            overlaps.append(set(extractor.running))
        return 0.1

    extractor = ProviderLike(delay=delay)
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    mailbox_sync(run=run, extractor=extractor)

    assert not any({"Request 1", "Request 2"} <= running for running in overlaps)
    # The reply saw the task of the first message as the thread's, and repeated it rather than adding one.
    assert Task.objects.filter(user=alice, title__icontains="room").count() == 1


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (ExtractorUnavailable("Claude is unavailable; the message is kept for the next sync."), "succeeded"),
        (ExtractorFatal("Claude rejected ANTHROPIC_API_KEY."), "failed"),
    ],
    ids=["provider-down", "bad-key"],
)
def test_a_fault_in_one_call_loses_nothing(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings, error: Exception, state: str
) -> None:
    settings.EXTRACTION_CONCURRENCY = 4
    mailbox, folder = mailbox_factory(alice)
    ids = add_requests(folder, 8)
    extractor = ProviderLike(
        delay=lambda email: 0.05, fail=lambda email: error if subject_number(email) == 2 else None
    )
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    run = mailbox_sync(run=run, extractor=extractor)

    assert run.state == state and str(error) in run.error
    receipts = {r.message_id: r for r in MessageReceipt.objects.filter(mailbox=mailbox)}
    assert set(receipts) == set(ids)
    # What came back before and alongside the fault is written; the faulty message and every message not
    # written stay pending without being charged an attempt.
    assert [receipts[i].status for i in ids[:2]] == [MessageReceipt.Status.DONE] * 2
    assert (receipts[ids[2]].status, receipts[ids[2]].attempts) == (MessageReceipt.Status.PENDING, 0)
    for message_id in ids[3:]:
        receipt = receipts[message_id]
        assert receipt.status in (MessageReceipt.Status.DONE, MessageReceipt.Status.PENDING)
        assert receipt.attempts == (1 if receipt.status == MessageReceipt.Status.DONE else 0)
    assert extractor.calls < len(ids)  # it stopped calling
    done = [i for i in ids if receipts[i].status == MessageReceipt.Status.DONE]
    assert sorted(Task.objects.filter(user=alice).values_list("source__message_id", flat=True)) == sorted(
        done
    )

    run = sync_in_foreground(alice)
    assert run.state == SyncRun.State.SUCCEEDED
    assert set(MessageReceipt.objects.filter(mailbox=mailbox).values_list("status", flat=True)) == {"done"}
    assert Task.objects.filter(user=alice).count() == len(ids)


def test_the_budget_counts_the_calls_in_flight(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.EXTRACTION_CONCURRENCY = 4
    Profile.objects.filter(user=alice).update(monthly_token_budget=350)
    mailbox, folder = mailbox_factory(alice)
    add_requests(folder, 8)
    extractor = ProviderLike(delay=lambda email: 0.02, tokens_per_call=100)
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    run = mailbox_sync(run=run, extractor=extractor)

    # As one call at a time would: calls start while what was spent is below the budget, so the last one
    # may pass it, but the calls in flight never do so together.
    assert extractor.calls == 4
    assert run.tokens_used == 400 and "budget" in run.error
    statuses = list(MessageReceipt.objects.filter(mailbox=mailbox).values_list("status", flat=True))
    assert sorted(statuses) == ["done"] * 4 + ["pending"] * 4


def test_a_slow_message_keeps_the_lease_and_a_second_trigger_does_not_start_another_sync(
    alice: User, mailbox_factory: MailboxFactory, settings: Settings
) -> None:
    settings.SYNC_LEASE_SECONDS = 1
    mailbox, folder = mailbox_factory(alice)
    add_requests(folder, 2)
    slow_started: list[float] = []

    def delay(email: EmailForExtraction) -> float:
        if subject_number(email) != 1:
            return 0.0
        slow_started.append(time.monotonic())
        return 2.6  # more than twice the lease

    extractor = ProviderLike(delay=delay)
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    checks: list[tuple[bool, bool]] = []

    def second_trigger_late_in_the_slow_call(current: SyncRun) -> None:
        late = slow_started and time.monotonic() - slow_started[0] > 2.1
        if not late or "Request 1" not in extractor.running or checks:
            return
        again, created = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
        held = Mailbox.objects.get(pk=mailbox.pk)
        assert held.lease_expires_at is not None
        checks.append(
            (
                created or again.pk != run.pk,
                held.lease_token != run.public_id or held.lease_expires_at < timezone.now(),
            )
        )

    run = mailbox_sync(run=run, extractor=extractor, progress=second_trigger_late_in_the_slow_call)

    assert run.state == SyncRun.State.SUCCEEDED and run.messages_processed == 2
    # The check ran while the slow call was still going: the heartbeat was kept during it, the second
    # trigger got the running sync back, and the lease was still this sync's.
    assert checks == [(False, False)]
    assert SyncRun.objects.filter(user=alice).count() == 1


def test_a_run_of_forty_messages_takes_at_most_five_statements_per_message(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    _, folder = mailbox_factory(alice)
    for index in range(30):
        folder.add(subject=f"Request {index}", body=REQUESTS[index % len(REQUESTS)])
    for index in range(10):
        folder.add(
            subject=f"News {index}", body="Our weekly news.", headers={"List-Unsubscribe": "<mailto:u@x>"}
        )
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)

    with CaptureQueriesContext(connection) as queries:
        run = mailbox_sync(run=run)

    assert run.messages_processed == 30 and run.messages_skipped == 10
    # Everything counted: listing, receipts, tasks, progress, the lease and the calendar pass (inside the
    # test's transaction, each atomic block adds a SAVEPOINT and its RELEASE).
    assert len(queries) <= 5 * 40, "\n".join(q["sql"][:100] for q in queries.captured_queries)
