"""Backfills asked about in one Message Batch (EXTRACTION_BATCH_THRESHOLD): the real SDK against the fake
Messages API and its batch endpoints, a real local mail folder and the real database. Nothing is lost or
stored twice whichever way a batch ends."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django_q.models import Schedule
from pytest_django import Settings

from accounts.models import Profile
from conftest import MailFolder, sync_in_foreground
from emailsync.jobs import collect_extraction_batches
from emailsync.models import BatchAnswer, ExtractionBatch, Mailbox, MessageReceipt, SyncRun
from emailsync.selectors import WaitingWork
from emailsync.serializers import waiting_sentences
from emailsync.services import _batch_store, extraction_batches_collect, mailbox_sync
from scheduler_site.schedules import maintenance_schedules_ensure
from scheduler_site.testing.fake_anthropic import FakeAnthropic, RecordedRequest, Reply, answer_task
from tasks_app.extractors.claude import ClaudeExtractor
from tasks_app.models import Task

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]
ASKS = [f"Could you send me the {thing} report by Friday EOD?" for thing in ("sales", "budget", "travel")]


def answer(request: RecordedRequest) -> Reply:
    """A task for the ask in the email, as the model would give it."""
    found = re.search(r"Could you send me the (\w+) report by Friday EOD\?", request.user_text)
    if found is None:
        return Reply.tasks()
    return Reply.tasks(answer_task(f"Send the {found[1]} report", found[0], kind="deadline"))


@pytest.fixture
def fake(claude_fake: FakeAnthropic, settings: Settings) -> FakeAnthropic:
    settings.EXTRACTION_BATCH_THRESHOLD = 2
    claude_fake.default = answer
    claude_fake.batch_seconds = 3600  # a batch runs until the test ends it
    return claude_fake


@pytest.fixture
def folder(alice: User, mailbox_factory: MailboxFactory) -> MailFolder:
    _, folder = mailbox_factory(alice)
    for ask in ASKS:
        folder.add(subject=ask.split()[4].capitalize(), body=f"Hi Alice,\n\n{ask}\n\nThanks,\nBob")
    return folder


def statuses(alice: User) -> list[str]:
    return sorted(MessageReceipt.objects.filter(mailbox__user=alice).values_list("status", flat=True))


def consume(alice: User) -> SyncRun:
    """Run the sync the collector queued (the job a worker would run)."""
    run = SyncRun.objects.get(user=alice, state=SyncRun.State.QUEUED)
    assert run.trigger == SyncRun.Trigger.FOLLOW_UP
    return mailbox_sync(run=run)


def test_a_backfill_over_the_threshold_is_one_batch_whose_tasks_arrive_when_it_ends(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    first = sync_in_foreground(alice)
    assert (
        first.state == SyncRun.State.SUCCEEDED
        and "3 messages were sent to the model in one batch" in first.error
    )
    assert fake.message_requests == []  # no live call
    [sent] = fake.batches.values()
    assert len(sent.results) == 3
    [batch] = ExtractionBatch.objects.all()
    assert (batch.state, batch.requests) == (ExtractionBatch.State.SUBMITTED, 3)
    assert statuses(alice) == ["pending"] * 3
    assert BatchAnswer.objects.filter(batch=batch, answer__isnull=True).count() == 3
    # The status says where they are, not that the model was unavailable.
    assert first.waiting is not None and first.waiting["messages_reason"] == "in_batch"
    [said] = waiting_sentences(WaitingWork(**first.waiting))
    assert said.startswith("3 messages are waiting: they are with the model in one batch")

    # While the batch runs, a sync neither asks again nor sends the messages in another batch.
    waiting = sync_in_foreground(alice)
    assert waiting.state == SyncRun.State.SUCCEEDED and waiting.tasks_created == 0
    assert fake.message_requests == [] and len(fake.batches) == 1
    assert extraction_batches_collect() == 0
    assert not SyncRun.objects.filter(user=alice, state=SyncRun.State.QUEUED).exists()

    fake.end_batches()
    assert extraction_batches_collect() == 1
    assert extraction_batches_collect() == 0  # a second delivery of the job finds nothing to do
    assert SyncRun.objects.filter(user=alice, state=SyncRun.State.QUEUED).count() == 1
    used = consume(alice)
    assert used.state == SyncRun.State.SUCCEEDED and used.error == ""
    assert used.tasks_created == 3 and fake.message_requests == []
    assert used.input_tokens > 0 and used.output_tokens > 0  # the batch's tokens are counted once used
    assert sorted(Task.objects.filter(user=alice).values_list("title", flat=True)) == [
        "Send the budget report",
        "Send the sales report",
        "Send the travel report",
    ]
    assert statuses(alice) == ["done"] * 3 and not BatchAnswer.objects.exists()

    again = sync_in_foreground(alice)
    assert again.tasks_created == 0 and Task.objects.filter(user=alice).count() == 3
    assert extraction_batches_collect() == 0
    assert not SyncRun.objects.filter(user=alice, state=SyncRun.State.QUEUED).exists()


def test_a_message_the_batch_did_not_answer_is_asked_live_by_the_next_sync(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    # Requests are answered in reading order: expired, errored, answered.
    fake.script(Reply.batch_expired(), Reply.server_error())
    sync_in_foreground(alice)
    fake.end_batches()
    assert extraction_batches_collect() == 1
    notes = sorted(MessageReceipt.objects.filter(mailbox__user=alice).values_list("last_error", flat=True))
    assert sum("gave no answer (the request was expired)" in note for note in notes) == 1
    assert sum("gave no answer (api_error: Internal server error)" in note for note in notes) == 1
    assert BatchAnswer.objects.filter(answer__isnull=False).count() == 1
    used = consume(alice)
    assert used.tasks_created == 3 and len(fake.message_requests) == 2  # the two without an answer, live
    assert statuses(alice) == ["done"] * 3 and not BatchAnswer.objects.exists()


def test_a_cut_off_or_refused_batch_answer_is_handled_as_a_live_one(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    fake.script(Reply.truncated({"tasks": []}), Reply.refusal("cyber"))
    sync_in_foreground(alice)
    fake.end_batches()
    extraction_batches_collect()
    used = consume(alice)
    # The cut-off answer is asked again live; the refusal skips its message, as a live refusal does.
    assert len(fake.message_requests) == 1 and used.tasks_created == 2
    assert statuses(alice) == ["done", "done", "skipped"] and not BatchAnswer.objects.exists()


def test_a_batch_the_provider_refuses_leaves_the_messages_for_the_next_sync(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    fake.batch_error = Reply.overloaded()
    run = sync_in_foreground(alice)
    assert run.state == SyncRun.State.SUCCEEDED
    assert "3 messages could not be sent to the model in a batch" in run.error and "Overloaded" in run.error
    assert statuses(alice) == ["pending"] * 3 and not ExtractionBatch.objects.exists()
    fake.batch_error = None
    sync_in_foreground(alice)
    assert ExtractionBatch.objects.count() == 1 and BatchAnswer.objects.count() == 3


def test_a_batch_that_cannot_be_read_is_read_again_later(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    sync_in_foreground(alice)
    fake.end_batches()
    fake.batch_error = Reply.server_error()
    assert extraction_batches_collect() == 0
    assert ExtractionBatch.objects.get().state == ExtractionBatch.State.SUBMITTED
    fake.batch_error = None
    assert extraction_batches_collect() == 1


def test_a_batch_the_provider_no_longer_knows_sends_its_messages_back_to_live_extraction(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    sync_in_foreground(alice)
    fake.batches.clear()
    assert extraction_batches_collect() == 1
    assert BatchAnswer.objects.filter(answer__isnull=True).count() == 3
    # Three messages, still over the threshold, but a request the batch did not answer is asked live.
    used = consume(alice)
    assert (
        len(fake.message_requests) == 3
        and used.tasks_created == 3
        and len(ExtractionBatch.objects.all()) == 1
    )
    assert statuses(alice) == ["done"] * 3 and not BatchAnswer.objects.exists()


def test_only_the_first_message_of_a_thread_goes_in_a_batch_and_the_reply_waits_for_its_tasks(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    original = folder.path / sorted(p.name for p in folder.path.iterdir())[0]
    message_id = re.search(rb"Message-ID: (<[^>]+>)", original.read_bytes())[1].decode()  # type: ignore[index]
    folder.add(
        subject="Re: Sales",
        body="Could you send me the sales report by Friday EOD? Just a reminder.",
        headers={"In-Reply-To": message_id, "References": message_id},
    )
    sync_in_foreground(alice)
    assert ExtractionBatch.objects.get().requests == 3
    reply = MessageReceipt.objects.get(mailbox__user=alice, subject="Re: Sales")
    assert "earlier message of its thread" in reply.last_error and not hasattr(reply, "batch_answer")
    sync_in_foreground(alice)  # the thread still waits
    assert fake.message_requests == [] and ExtractionBatch.objects.count() == 1
    fake.end_batches()
    extraction_batches_collect()
    used = consume(alice)
    assert used.tasks_created == 3 and fake.message_requests == []
    # Still over the threshold, the reply goes in the next batch, asked with the task its thread now has.
    [_, second] = fake.batches.values()
    [request] = second.requests
    prompt = request["params"]["messages"][0]["content"]
    assert "Just a reminder" in prompt and "<open_tasks>" in prompt and "Send the sales report" in prompt
    fake.end_batches()
    extraction_batches_collect()
    consume(alice)
    # The reminder updated the thread's task instead of adding a second one.
    assert Task.objects.filter(user=alice).count() == 3 and statuses(alice) == ["done"] * 4


def test_a_user_with_a_token_budget_is_never_batched(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    Profile.objects.filter(user=alice).update(monthly_token_budget=1_000_000)
    run = sync_in_foreground(alice)
    assert run.tasks_created == 3 and len(fake.message_requests) == 3 and not fake.batches


def test_under_the_threshold_the_messages_are_asked_live(
    fake: FakeAnthropic, alice: User, folder: MailFolder, settings: Settings
) -> None:
    settings.EXTRACTION_BATCH_THRESHOLD = 3
    run = sync_in_foreground(alice)
    assert run.tasks_created == 3 and len(fake.message_requests) == 3 and not fake.batches


def test_two_deliveries_of_the_collector_at_once_store_a_batch_once(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    sync_in_foreground(alice)
    fake.end_batches()
    batch = ExtractionBatch.objects.get()
    twin = ExtractionBatch.objects.get()  # read by the second delivery before the first stored anything
    results = ClaudeExtractor.from_settings().batch_results(batch.provider_id)
    assert results is not None
    assert _batch_store(batch, results) is True
    assert _batch_store(twin, results) is False
    assert ExtractionBatch.objects.get().answered == 3


def test_the_collector_runs_every_minute_as_a_job(
    fake: FakeAnthropic, alice: User, folder: MailFolder
) -> None:
    maintenance_schedules_ensure()
    schedule = Schedule.objects.get(name="collect-extraction-batches")
    assert (schedule.func, schedule.minutes) == ("emailsync.jobs.collect_extraction_batches", 1)
    sync_in_foreground(alice)
    fake.end_batches()
    assert collect_extraction_batches() == "collected 1"


def test_a_backlog_over_one_run_batches_each_share_once_and_then_stops(
    fake: FakeAnthropic, alice: User, folder: MailFolder, settings: Settings
) -> None:
    """A follow-up run does not list again what waits in a running batch: the backlog's next share goes in a
    batch of its own, and once nothing is left to move on, no further run is started."""
    settings.SYNC_MAX_MESSAGES_PER_RUN = 3
    for n in range(3):
        folder.add(subject=f"Note {n}", body=f"Hi Alice,\n\nCould you look at note {n} by Monday?\n\nBob")

    first = sync_in_foreground(alice)
    assert "3 messages were sent to the model in one batch" in first.error
    second = consume(alice)
    assert "3 messages were sent to the model in one batch" in second.error

    assert sorted(batch.requests for batch in ExtractionBatch.objects.all()) == [3, 3]
    assert BatchAnswer.objects.count() == 6  # six messages, each in one batch
    assert not SyncRun.objects.filter(user=alice, state=SyncRun.State.QUEUED).exists()
