"""Writes of the email sync: triggering runs, running them, connecting mailboxes."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import GoogleCredential, Profile
from accounts.services import periodic_sync_apply
from emailsync.bulk import bulk_reason
from emailsync.mime import MessageParseError, ParsedMessage, parse_headers, parse_message
from emailsync.models import (
    TOKEN_FIELDS,
    BatchAnswer,
    ExtractionBatch,
    Mailbox,
    MessageReceipt,
    SyncRun,
)
from emailsync.selectors import waiting_work
from emailsync.sources import (
    FailureKind,
    FetchedMessage,
    Listing,
    MailSource,
    SourceError,
    source_for,
)
from emailsync.sources.local import LocalFolderSource, local_mail_area, path_inside
from emailsync.uploads import (
    UploadOutcome,
    UploadRejected,
    upload_check,
    upload_store,
    uploads_read_remove,
    uploads_waiting_bytes,
)
from tasks_app.extractors import (
    BatchExtractor,
    BatchResult,
    EmailForExtraction,
    ExtractionError,
    ExtractionRefused,
    ExtractionResult,
    Extractor,
    ExtractorFatal,
    ExtractorUnavailable,
    Reader,
    Recipient,
    batch_extractor,
    extract_with_usage,
    get_extractor,
)
from tasks_app.intake import tasks_store_extracted, tasks_with_invites
from tasks_app.models import Task
from tasks_app.services import calendar_sync
from tasks_app.threads import thread_open_tasks, thread_tasks_for_prompt, threads_with_open_tasks

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[SyncRun], None]


class SyncUnavailable(Exception):
    """A sync cannot start for this user now; the message says why and what to do."""


def _stale_before(run: SyncRun, now: dt.datetime) -> bool:
    if run.state == SyncRun.State.QUEUED:
        return run.created_at < now - dt.timedelta(seconds=settings.SYNC_STALE_QUEUED_SECONDS)
    last_sign_of_life = run.heartbeat_at or run.started_at or run.created_at
    return last_sign_of_life < now - dt.timedelta(seconds=settings.SYNC_LEASE_SECONDS * 2)


def sync_unavailable_reason(mailbox: Mailbox | None, now: dt.datetime) -> str | None:
    if mailbox is None:
        return "No mailbox is connected yet. Connect one on the settings page or with `manage.py connect_mailbox`."
    if mailbox.state == Mailbox.State.DISABLED:
        return f"Sync is disabled for this mailbox after repeated failures: {mailbox.last_error}"
    if mailbox.state == Mailbox.State.NEEDS_RECONNECT:
        return "Your mail account needs to be reconnected before syncing again."
    if mailbox.next_attempt_at and mailbox.next_attempt_at > now:
        return _backoff_message(mailbox)
    return None


def sync_trigger(
    *, user: User, trigger: str, enqueue: bool = True, continues: SyncRun | None = None
) -> tuple[SyncRun, bool]:
    """Start a sync of one user's mailbox, or return the one already queued or running.

    Returns (run, created). The database allows one active run per user, so two triggers at the same
    moment end with one run. The job is enqueued only once the run row is committed. ``continues`` is the
    finished run whose backlog the new run goes on reading (a follow-up, see ``mailbox_sync``).
    """
    now = timezone.now()
    mailbox = Mailbox.objects.filter(user=user).first()
    reason = sync_unavailable_reason(mailbox, now)
    if reason:
        raise SyncUnavailable(reason)
    active = SyncRun.objects.filter(user=user, state__in=SyncRun.ACTIVE_STATES).first()
    if active is not None:
        if not _stale_before(active, now):
            return active, False
        SyncRun.objects.filter(pk=active.pk, state=active.state).update(
            state=SyncRun.State.FAILED,
            finished_at=now,
            error="This sync stopped answering (its worker was lost) and was replaced by a new one.",
        )
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                user=user,
                trigger=trigger,
                backlog_read_before=continues.backlog_read if continues else 0,
                backlog_total=continues.backlog_total if continues else 0,
            )
            if continues is not None:
                SyncRun.objects.filter(pk=continues.pk).update(continued_by=run)
                continues.continued_by = run
    except IntegrityError:
        existing = SyncRun.objects.filter(user=user, state__in=SyncRun.ACTIVE_STATES).first()
        if existing is None:
            raise
        return existing, False
    if enqueue:
        transaction.on_commit(lambda: enqueue_run(run))
    return run, True


def enqueue_run(run: SyncRun) -> None:
    from django_q.tasks import async_task

    async_task(
        "emailsync.jobs.run_sync",
        run.pk,
        task_name=f"sync-{run.public_id}",
        group=f"sync-user-{run.user_id}",
    )


def _claim_lease(mailbox: Mailbox, token: uuid.UUID, now: dt.datetime) -> bool:
    expires = now + dt.timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    claimed = (
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(lease_token__isnull=True) | Q(lease_expires_at__lt=now))
        .update(lease_token=token, lease_expires_at=expires)
    )
    return claimed == 1


def _renew_lease(mailbox: Mailbox, token: uuid.UUID) -> bool:
    expires = timezone.now() + dt.timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    return Mailbox.objects.filter(pk=mailbox.pk, lease_token=token).update(lease_expires_at=expires) == 1


def _release_lease(mailbox: Mailbox, token: uuid.UUID) -> None:
    Mailbox.objects.filter(pk=mailbox.pk, lease_token=token).update(lease_token=None, lease_expires_at=None)


def _save_progress(run: SyncRun, progress: ProgressCallback | None, *fields: str) -> None:
    run.heartbeat_at = timezone.now()
    run.save(update_fields=[*fields, "heartbeat_at"])
    if progress:
        progress(run)


class LeaseLost(Exception):
    pass


def mailbox_sync(
    *, run: SyncRun, progress: ProgressCallback | None = None, extractor: Extractor | None = None
) -> SyncRun:
    """Run one sync: list new mail, record and process each message, place tasks on the calendar.

    Safe to call more than once for the same run (the queue delivers at least once): a run that has
    finished is left alone, and a run whose mailbox lease is held elsewhere is left to that worker.
    ``extractor`` reads the tasks; None means the configured one (``TASK_EXTRACTOR``).
    """
    run.refresh_from_db()
    if not run.is_active:
        return run
    mailbox = Mailbox.objects.get(user=run.user)
    # The lease token is the run's own id: a second delivery of the same run can tell that the lease is
    # held by its twin (and leave it be) rather than by another run.
    token = run.public_id
    now = timezone.now()
    if not _claim_lease(mailbox, token, now):
        holder = Mailbox.objects.filter(pk=mailbox.pk).values_list("lease_token", flat=True).first()
        if holder != token and run.state == SyncRun.State.QUEUED:
            # Not the mailbox's fault: the other sync's outcome decides its health.
            _finish_failed(run, error="Another sync of this mailbox is still running.")
        return run
    try:
        mailbox.refresh_from_db()
        if mailbox.next_attempt_at and mailbox.next_attempt_at > now:
            _finish_failed(run, error=_backoff_message(mailbox))
            return run
        run.state = SyncRun.State.RUNNING
        run.started_at = run.started_at or now
        run.phase = SyncRun.Phase.LISTING
        _save_progress(run, progress, "state", "started_at", "phase")
        more_to_read = _sync_messages(run, mailbox, token, progress, extractor)
        run.phase = SyncRun.Phase.SCHEDULING
        _save_progress(run, progress, "phase", *_PROGRESS_FIELDS)
        run.events_scheduled = calendar_sync(user=run.user)
        # A run whose extraction paused (model budget reached, provider down) still succeeds; its error says why.
        _finish_succeeded(run, mailbox)
        if more_to_read:
            _sync_follow_up(run)
    except SourceError as e:
        _handle_source_error(run, mailbox, e)
    except ExtractorFatal as e:
        # Not the mailbox's fault (a bad API key, a spend limit): fail this run once, don't count it against
        # the mailbox.
        _finish_failed(run, error=str(e))
    except ExtractorUnavailable as e:
        # Only a provider that asked for a long wait gets here (see _MessageReading._write): defer the mailbox
        # until then rather than hold its lease, without counting it as the mailbox's failure.
        until = timezone.now() + dt.timedelta(seconds=e.retry_after or 0)
        Mailbox.objects.filter(pk=mailbox.pk).mark_backing_off(until=until)
        _finish_failed(run, error=f"{e} Extraction resumes after {timezone.localtime(until):%H:%M:%S %Z}.")
    except LeaseLost:
        logger.warning("Sync %s lost its mailbox lease; another worker took over", run.public_id)
    except (OperationalError, InterfaceError) as e:
        _database_lost(run, e)
    except Exception as e:
        logger.exception("Sync %s failed", run.public_id)
        _finish_failed_by_mailbox(run, mailbox, error=f"The sync failed unexpectedly: {e}")
    finally:
        _release_lease(mailbox, token)
    if progress:
        progress(run)
    return run


def _database_lost(run: SyncRun, error: OperationalError | InterfaceError) -> None:
    """The database could not be reached mid-run (a restart, a failover, a severed connection): open a new
    connection and end the run with the reason. Not the mailbox's fault; what was committed is kept, and the
    next sync goes on from there. Inside a transaction of a caller, or with the database still away, the
    error goes up: the run then stays active and the watchdog (sync_runs_recover) picks it up later."""
    if connection.in_atomic_block:
        raise error
    logger.error("Sync %s lost its database connection: %s", run.public_id, error)
    connection.close()
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    _finish_failed(
        run,
        error=f"The database could not be reached during the sync ({reason}). What was finished is kept; "
        "the next sync goes on from there.",
    )


def _sync_follow_up(run: SyncRun) -> None:
    """Go on reading a backlog larger than ``SYNC_MAX_MESSAGES_PER_RUN`` in a new run, enqueued now: the
    user does not have to press the button again (the sync card follows the new run)."""
    try:
        follow_up, created = sync_trigger(user=run.user, trigger=SyncRun.Trigger.FOLLOW_UP, continues=run)
    except SyncUnavailable as e:
        logger.info("Sync %s leaves its backlog to a later sync: %s", run.public_id, e)
        return
    if created:
        logger.info(
            "Sync %s continues in %s (%s of %s read)",
            run.public_id,
            follow_up.public_id,
            run.backlog_read,
            run.backlog_total,
        )


def _sync_messages(
    run: SyncRun,
    mailbox: Mailbox,
    token: uuid.UUID,
    progress: ProgressCallback | None,
    extractor: Extractor | None,
) -> bool:
    """Read what is new. Returns whether the listing had more than one run may read, all of this run's share
    read without a pause: a follow-up run should go on."""
    source = source_for(mailbox)
    listing = _list_new(source, mailbox)
    final = set(
        MessageReceipt.objects.filter(mailbox=mailbox, status__in=MessageReceipt.FINAL_STATUSES).values_list(
            "message_id", flat=True
        )
    )
    todo = [message_id for message_id in listing.message_ids if message_id not in final]
    listed = set(todo)
    # Messages that failed before are retried even when the source no longer lists them as new.
    retry = MessageReceipt.objects.filter(
        mailbox=mailbox, status__in=[MessageReceipt.Status.FAILED, MessageReceipt.Status.PENDING]
    ).values_list("message_id", flat=True)
    todo.extend(message_id for message_id in retry if message_id not in listed)
    # Messages waiting in a batch the provider still runs are not this run's: fetching them again would only
    # set them aside, and a backlog would take the same ones every run.
    in_batch = set(
        BatchAnswer.objects.filter(
            receipt__mailbox=mailbox, batch__state=ExtractionBatch.State.SUBMITTED
        ).values_list("receipt__message_id", flat=True)
    )
    if in_batch:
        todo = [message_id for message_id in todo if message_id not in in_batch]
    limit = settings.SYNC_MAX_MESSAGES_PER_RUN
    complete = len(todo) <= limit
    if not complete or run.backlog_read_before:
        # Part of a backlog read over several runs: the progress counts the whole of it.
        run.backlog_total = run.backlog_read_before + len(todo)
    todo = todo[:limit]
    run.messages_found = len(todo)
    run.phase = SyncRun.Phase.READING
    _save_progress(run, progress, "messages_found", "backlog_total", "phase")

    profile = Profile.objects.select_related("user").get(user=run.user)
    extractor = extractor or get_extractor(settings.TASK_EXTRACTOR)
    budget_left = None
    if extractor.metered and profile.monthly_token_budget is not None:
        earlier_runs = SyncRun.objects.filter(user=run.user).exclude(pk=run.pk).this_month()
        budget_left = profile.monthly_token_budget - earlier_runs.tokens_used()
    # A backfill goes to the provider's batch API (half the price, answers within hours), unless the user's
    # budget must be checked call by call.
    threshold = settings.EXTRACTION_BATCH_THRESHOLD
    batching = threshold > 0 and len(todo) > threshold and budget_left is None
    # Every listed message gets its pending receipt before any work: what this run does not reach waits for
    # the next one, counted on the dashboard and retried even if the source stops listing it.
    receipts = _receipts_for(mailbox, todo)
    reading = _MessageReading(
        run=run,
        mailbox=mailbox,
        token=token,
        progress=progress,
        profile=profile,
        extractor=extractor,
        budget_left=budget_left,
        batching=batching,
    )
    try:
        try:
            for fetched in source.fetch(todo, wants_body=reading.wants_body):
                reading.read(fetched, receipts.get(fetched.message_id))
                if reading.stopping:
                    break
        except SourceError:
            reading.finish()  # what was read before the source failed is written, not lost
            raise
        paused = reading.finish()
    finally:
        reading.close()
    if reading.batched and not paused:
        run.error = (
            f"{reading.batched} messages were sent to the model in one batch (at half the price); their "
            "tasks arrive when it has answered, within 24 hours."
        )
    # A follow-up goes on only if this run moved something forward: messages merely set aside (a thread
    # waiting on a batch) would be listed again by the next run, and the next, until the batch ends.
    moved_on = run.messages_processed + run.messages_skipped + run.messages_failed + reading.batched
    more_to_read = not complete and not paused and moved_on > 0
    if paused:
        # The rest waits for a later sync; the checkpoint stays put so nothing unlisted is skipped.
        run.error = paused
        complete = False
    if complete:
        _advance_checkpoint(mailbox, listing.checkpoint)
    uploads_read_remove(mailbox=mailbox)
    return more_to_read


def extraction_batches_collect() -> int:
    """Store the answers of every provider batch that has ended, and start the syncs that use them.

    Safe to run twice at once (the queue delivers at least once): a batch is claimed by a conditional UPDATE
    in the transaction that stores its answers. A message without an answer (its request errored or expired,
    or the provider lost the batch) keeps its ``BatchAnswer`` row without an answer: the next sync asks about
    it live. Returns how many batches were collected."""
    collected = 0
    for batch in ExtractionBatch.objects.filter(state=ExtractionBatch.State.SUBMITTED).order_by("pk"):
        try:
            extractor = batch_extractor(get_extractor(batch.extractor))
        except ValueError as e:
            logger.warning("Batch %s cannot be collected: %s", batch.provider_id, e)
            continue
        if extractor is None:
            logger.warning(
                "Batch %s cannot be collected: %s has no batches", batch.provider_id, batch.extractor
            )
            continue
        try:
            results = extractor.batch_results(batch.provider_id)
        except ExtractionError as e:
            logger.warning("Batch %s could not be read: %s", batch.provider_id, e)
            continue
        if results is not None and _batch_store(batch, results):
            collected += 1
    # An answer whose message was read meanwhile (by hand, say) is of no use.
    BatchAnswer.objects.filter(receipt__status__in=MessageReceipt.FINAL_STATUSES).delete()
    # A sync uses the answers; one that is running already will leave them to the next.
    waiting = Mailbox.objects.filter(
        receipts__batch_answer__batch__state=ExtractionBatch.State.COLLECTED
    ).distinct()
    for mailbox in waiting.select_related("user"):
        try:
            sync_trigger(user=mailbox.user, trigger=SyncRun.Trigger.FOLLOW_UP)
        except SyncUnavailable as e:
            logger.info("The batch answers of mailbox %s wait for a later sync: %s", mailbox.pk, e)
    return collected


def _batch_store(batch: ExtractionBatch, results: list[BatchResult]) -> bool:
    """Store a batch's answers on its messages; False if another collector got there first."""
    by_id = {result.custom_id: result for result in results}
    with transaction.atomic():
        claimed = ExtractionBatch.objects.filter(pk=batch.pk, state=ExtractionBatch.State.SUBMITTED).update(
            state=ExtractionBatch.State.COLLECTED, collected_at=timezone.now()
        )
        if not claimed:
            return False
        answered: list[BatchAnswer] = []
        unanswered: list[MessageReceipt] = []
        for row in BatchAnswer.objects.filter(batch=batch).select_related("receipt"):
            result = by_id.get(_batch_custom_id(row.receipt))
            if result is not None and result.answer is not None:
                row.answer = result.answer
                answered.append(row)
            else:
                # The row stays without an answer: the next sync asks about the message live.
                reason = result.error if result is not None else "it is missing from the results"
                note = f"The model's batch gave no answer ({reason}); it is asked again."
                row.receipt.last_error = note[:2000]
                unanswered.append(row.receipt)
        BatchAnswer.objects.bulk_update(answered, ["answer"], batch_size=500)
        MessageReceipt.objects.bulk_update(unanswered, ["last_error"], batch_size=500)
        ExtractionBatch.objects.filter(pk=batch.pk).update(answered=len(answered))
    logger.info(
        "Batch %s collected: %d answers, %d to ask again", batch.provider_id, len(answered), len(unanswered)
    )
    return True


def _receipts_for(mailbox: Mailbox, message_ids: list[str]) -> dict[str, MessageReceipt]:
    """The receipts of ``message_ids``, created pending where missing, keyed by message id (without their
    stored text, which a message being read again does not need)."""
    _receipts_keep_pending(mailbox, message_ids)
    receipts: dict[str, MessageReceipt] = {}
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        for receipt in MessageReceipt.objects.filter(mailbox=mailbox, message_id__in=chunk).defer(
            "body_text"
        ):
            receipts[receipt.message_id] = receipt
    return receipts


def _receipts_keep_pending(mailbox: Mailbox, message_ids: list[str]) -> None:
    """Record listed messages as pending, so that what waits for the next sync is counted from the receipts
    (the dashboard's "N messages are waiting") and retried even if the source stops listing them. Messages
    that already have a receipt keep it."""
    MessageReceipt.objects.bulk_create(
        [MessageReceipt(mailbox=mailbox, message_id=message_id) for message_id in message_ids],
        ignore_conflicts=True,
        batch_size=500,
    )


def _list_new(source: MailSource, mailbox: Mailbox) -> Listing:
    """List from the checkpoint; a stale checkpoint falls back to the source's bounded full listing.

    Receipts keep the full listing free of duplicates. Retrying a stale checkpoint would fail forever, and a
    provider that keeps rejecting fresh checkpoints would make every run a full resync: after
    ``SYNC_MAX_STALE_RESYNCS`` of them in a row the run fails instead (and repeated failures disable it).
    """
    if not mailbox.checkpoint:
        return source.list_new("")
    try:
        listing = source.list_new(mailbox.checkpoint)
    except SourceError as e:
        if e.kind != FailureKind.STALE_CHECKPOINT:
            raise
        if mailbox.stale_checkpoint_resyncs >= settings.SYNC_MAX_STALE_RESYNCS:
            raise SourceError(
                f"{e} A full resync did not help {mailbox.stale_checkpoint_resyncs} times in a row, so this "
                "sync stops here.",
                kind=FailureKind.PERMANENT,
            ) from e
        logger.info("Mailbox %s: stale checkpoint, falling back to a full sync", mailbox.pk)
        resyncs = F("stale_checkpoint_resyncs") + 1
        Mailbox.objects.filter(pk=mailbox.pk).update(stale_checkpoint_resyncs=resyncs)
        return source.list_new("")
    if mailbox.stale_checkpoint_resyncs:
        Mailbox.objects.filter(pk=mailbox.pk).update(stale_checkpoint_resyncs=0)
    return listing


def _advance_checkpoint(mailbox: Mailbox, checkpoint: str) -> None:
    """Store the new checkpoint, never moving back: numeric checkpoints (Gmail history ids) only grow."""
    if not checkpoint:
        return
    if checkpoint.isdigit() and mailbox.checkpoint.isdigit() and int(checkpoint) <= int(mailbox.checkpoint):
        return
    Mailbox.objects.filter(pk=mailbox.pk).update(checkpoint=checkpoint)


class _BudgetReached(Exception):
    pass


class _InBatch(Exception):
    """The message is asked about in a provider batch: it stays pending, with this as its note."""


def _batch_custom_id(receipt: MessageReceipt) -> str:
    return f"receipt-{receipt.pk}"


# Outcomes that say nothing about the message: it stays pending and its attempt is given back.
_POSTPONING = (ExtractorUnavailable, ExtractorFatal, _BudgetReached)


@dataclass
class _Message:
    """A message the job thread has begun and not yet written: its outcome is known (``skip``, ``failure``)
    or its extraction is running (``future``)."""

    receipt: MessageReceipt
    parsed: ParsedMessage | None = None
    thread_tasks: list[Task] = field(default_factory=list)
    future: Future[ExtractionResult] | None = None
    skip: str = ""
    failure: Exception | None = None
    from_batch: bool = False  # it has a BatchAnswer row (answered or not), deleted with its outcome


class _MessageReading:
    """Reads the messages of one run: up to ``EXTRACTION_CONCURRENCY`` extractor calls run at once on a
    thread pool, while this (the job's) thread does every database write, in message order.

    - The extractor threads never touch the database (Django connections are per thread); an extractor
      must be thread-safe (the offline one holds no state, Claude's SDK client is safe to share).
    - A message's attempt is counted before its work, so a message that kills the worker every time is
      eventually quarantined; a worker killed with several calls in flight counts an attempt for each.
    - Two messages of one thread are never extracted at once: the later one waits until the earlier one's
      tasks are stored, so it sees them as the thread's open tasks.
    - The run's first call goes alone. After it, the token budget counts the calls in flight at the
      average cost of this run's calls so far, and no call starts unless that leaves some budget.
    - A fault stops new calls; the calls already running are waited for and written (their tokens are
      spent), those not started are dropped, and every message not written stays pending.
    - Progress is saved, and the mailbox lease renewed, at most every ``SYNC_PROGRESS_SECONDS`` after a
      message, and at least every third of ``SYNC_LEASE_SECONDS`` while waiting on a slow call.
    - Batches (``batching``, a backfill over ``EXTRACTION_BATCH_THRESHOLD``): the messages are not asked
      about one by one but collected and sent in one provider batch when the reading ends, each left
      pending with a ``BatchAnswer`` row; a message already waiting in a batch is left pending, one whose
      batch has answered is extracted from that answer (no call), one the batch did not answer is asked
      live, and either way its row is deleted with the outcome.
      One message per thread goes in a batch: the others of the thread wait for its tasks.
    """

    def __init__(
        self,
        *,
        run: SyncRun,
        mailbox: Mailbox,
        token: uuid.UUID,
        progress: ProgressCallback | None,
        profile: Profile,
        extractor: Extractor,
        budget_left: int | None,
        batching: bool = False,
    ) -> None:
        self.run = run
        self.mailbox = mailbox
        self.token = token
        self.progress = progress
        self.profile = profile
        self.extractor = extractor
        self.budget_left = budget_left
        self.reader = _reader(profile, mailbox)
        self.concurrency = settings.EXTRACTION_CONCURRENCY
        self.pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="extraction")
        self.queue: deque[_Message] = deque()
        self.calls_in_flight = 0
        self.calls_written = 0
        self.threads_in_flight: Counter[str] = Counter()
        # Threads whose open tasks must be looked up; any other thread has none, and costs no query.
        self.threads_with_tasks = threads_with_open_tasks(mailbox_id=mailbox.pk)
        lease_third = settings.SYNC_LEASE_SECONDS / 3
        self.save_every = min(settings.SYNC_PROGRESS_SECONDS, lease_third)
        self.renew_every = min(max(settings.SYNC_PROGRESS_SECONDS, 1), lease_third)
        self.last_save = time.monotonic()
        self.paused = ""
        self.stop_error: ExtractionError | None = None
        self.batcher: BatchExtractor | None = batch_extractor(extractor)
        self.batching = batching and self.batcher is not None
        # Messages of this mailbox in a batch: "waiting" while it runs, then "answered" or "unanswered".
        self.in_batch: dict[int, str] = {}
        # Threads with a message waiting in a batch: their other messages wait for its tasks.
        self.batched_threads: set[str] = set()
        for receipt_id, has_answer, state, thread_id in (
            BatchAnswer.objects.filter(receipt__mailbox=mailbox)
            .annotate(has_answer=Q(answer__isnull=False))
            .values_list("receipt_id", "has_answer", "batch__state", "receipt__thread_id")
        ):
            if state == ExtractionBatch.State.SUBMITTED:
                self.in_batch[receipt_id] = "waiting"
                if thread_id:
                    self.batched_threads.add(thread_id)
            else:
                self.in_batch[receipt_id] = "answered" if has_answer else "unanswered"
        self.to_batch: list[tuple[MessageReceipt, EmailForExtraction]] = []
        self.batched = 0

    @property
    def stopping(self) -> bool:
        return bool(self.paused) or self.stop_error is not None

    def close(self) -> None:
        # Calls not started are dropped; a running one ends on its own (its result is not needed).
        self.pool.shutdown(wait=False, cancel_futures=True)

    # Reading

    def read(self, fetched: FetchedMessage, receipt: MessageReceipt | None) -> None:
        if receipt is None or receipt.status in MessageReceipt.FINAL_STATUSES:
            self.run.messages_seen += 1
            return
        # The text is stored only with the tasks it produced (_receipt_done); any other outcome saves none.
        receipt.body_text = ""
        message = _Message(receipt=receipt)
        receipt.attempts += 1
        if fetched.headers_only:
            # Bulk mail, decided from its headers and labels (``wants_body``): its body was never read, and
            # the attempt is saved with the skip, in one statement.
            try:
                message.parsed = _parse(receipt, fetched)
                message.skip = _skip_reason(message.parsed, fetched, self.profile) or ""
            except Exception as e:
                message.failure = e
            if not message.skip and message.failure is None:
                message.failure = ValueError("The message's body was not read.")
            self.queue.append(message)
            self._write_ready()
            return
        # Record the attempt before the work, so a message that crashes the worker every time is still
        # counted and eventually quarantined.
        MessageReceipt.objects.filter(pk=receipt.pk).update(attempts=F("attempts") + 1)
        try:
            message.parsed = _parse(receipt, fetched)
            message.skip = _skip_reason(message.parsed, fetched, self.profile) or ""
        except Exception as e:  # one bad message must not stop the others
            message.failure = e
        if message.parsed is not None and not message.skip and not self._extract(message, message.parsed):
            self.run.messages_seen += 1
            return
        self.queue.append(message)
        self._write_ready()

    def wants_body(self, head: FetchedMessage) -> bool:
        """Whether a message is worth reading in full: not when its headers and labels already say it is
        bulk mail or from a skipped sender. Headers that cannot be read are left to the full read."""
        try:
            parsed = parse_headers(head.raw or b"")
        except MessageParseError:
            return True
        return _skip_reason(parsed, head, self.profile) is None

    def _extract(self, message: _Message, parsed: ParsedMessage) -> bool:
        """Start the message's extraction; False when it must wait for a later sync instead (the budget is
        spent, or a fault stopped the reading meanwhile), its receipt already saved pending."""
        receipt = message.receipt
        thread = receipt.thread_id
        in_batch = self.in_batch.get(receipt.pk, "")
        if in_batch == "waiting":
            _receipt_postponed(self.run, receipt, _InBatch("It waits for the answer of the model's batch."))
            return False
        if not in_batch and thread and thread in self.batched_threads:
            _receipt_postponed(
                self.run, receipt, _InBatch("It waits for an earlier message of its thread, sent in a batch.")
            )
            return False
        while thread and self.threads_in_flight[thread]:
            self._write_next()
        # The run's first call goes alone: a provider that is down or a key that is rejected then costs one
        # request, not one per call slot, and its cost tells the budget what a call costs.
        while self.calls_in_flight and not self.calls_written:
            self._write_next()
        while not self.stopping and not self._budget_allows_one_more():
            if not self.calls_in_flight:
                self.paused = (
                    f"The monthly model token budget ({self.profile.monthly_token_budget:,}) is used up; "
                    "extraction is paused and the remaining messages stay pending until next month or a "
                    "larger budget."
                )
                break
            self._write_next()
        if self.stopping:
            _receipt_postponed(self.run, receipt, _BudgetReached(self.paused or str(self.stop_error)))
            return False
        if thread in self.threads_with_tasks:
            message.thread_tasks = thread_open_tasks(receipt=receipt)
        email = EmailForExtraction(
            id=receipt.message_id,
            subject=parsed.subject,
            body=parsed.text,
            sender=parsed.sender,
            sent_at=parsed.date or receipt.first_seen_at,
            timezone=self.profile.timezone,
            thread_tasks=thread_tasks_for_prompt(message.thread_tasks),
            sender_name=parsed.sender_name,
            reader=self.reader,
            to=tuple(Recipient(a, parsed.recipient_names.get(a, "")) for a in parsed.to),
            cc=tuple(Recipient(a, parsed.recipient_names.get(a, "")) for a in parsed.cc),
        )
        # Whatever comes of it, a batch's answer (or its lack of one) is used once: the row goes with the outcome.
        message.from_batch = bool(in_batch)
        if in_batch == "answered" and self.batcher is not None:
            answer = BatchAnswer.objects.filter(receipt=receipt).values_list("answer", flat=True).first()
            if answer is not None:
                message.future = self.pool.submit(self.batcher.extract_with_answer, email, answer)
                self.calls_in_flight += 1
                self.threads_in_flight[thread] += 1
                return True
        # A message the batch did not answer is asked live: a request that failed there may fail again.
        if self.batching and not in_batch:
            self.to_batch.append((receipt, email))
            if thread:
                self.batched_threads.add(thread)
            _receipt_postponed(self.run, receipt, _InBatch("It is asked about in the model's next batch."))
            return False
        message.future = self.pool.submit(extract_with_usage, self.extractor, email)
        self.calls_in_flight += 1
        self.threads_in_flight[thread] += 1
        return True

    def _budget_allows_one_more(self) -> bool:
        if self.budget_left is None:
            return True
        average = self.run.tokens_used / self.calls_written if self.calls_written else 0
        return self.run.tokens_used + self.calls_in_flight * average < self.budget_left

    # Writing

    def _write_ready(self) -> None:
        """Write the messages at the head of the queue whose outcome is known, then wait for the oldest
        call while all calls are in use."""
        while self.queue and (self.queue[0].future is None or self.queue[0].future.done()):
            self._write_next()
        while self.calls_in_flight >= self.concurrency:
            self._write_next()

    def finish(self) -> str:
        """Write everything begun. Returns why extraction paused ("" if it did not); raises the error that
        stopped it (after writing the calls that were already running)."""
        if self.stopping:
            self._drop_calls_not_started()
        while self.queue:
            self._write_next()
        if self.stop_error is not None:
            raise self.stop_error
        if self.to_batch and not self.paused:
            self._send_batch()
        return self.paused

    def _send_batch(self) -> None:
        """Send the collected messages in one batch and record it; they stay pending either way. A batch the
        provider refuses leaves them for the next sync (the run says why)."""
        assert self.batcher is not None
        requests = [(_batch_custom_id(receipt), email) for receipt, email in self.to_batch]
        try:
            provider_id = self.batcher.batch_submit(requests)
        except ExtractionError as e:
            self.paused = f"{len(requests)} messages could not be sent to the model in a batch: {e}"
            return
        with transaction.atomic():
            batch = ExtractionBatch.objects.create(
                mailbox=self.mailbox,
                extractor=self.batcher.name,
                provider_id=provider_id,
                requests=len(requests),
            )
            BatchAnswer.objects.bulk_create(
                [BatchAnswer(batch=batch, receipt=receipt) for receipt, _ in self.to_batch], batch_size=500
            )
        self.batched = len(requests)

    def _drop_calls_not_started(self) -> None:
        for message in self.queue:
            if message.future is not None and message.future.cancel():
                message.future = None
                message.failure = _BudgetReached(self.paused or str(self.stop_error))
                self._call_ended(message)

    def _call_ended(self, message: _Message) -> None:
        self.calls_in_flight -= 1
        self.threads_in_flight[message.receipt.thread_id] -= 1

    def _write_next(self) -> None:
        message = self.queue.popleft()
        if message.future is not None:
            self._wait(message.future)
            self._call_ended(message)
            self.calls_written += 1
        self._write(message)
        self.run.messages_seen += 1
        self._tick()

    def _wait(self, future: Future[ExtractionResult]) -> None:
        """Wait for one call, keeping the lease and the heartbeat fresh however long it takes."""
        while True:
            left = self.renew_every - (time.monotonic() - self.last_save)
            done, _ = wait([future], timeout=max(left, 0.0))
            if done:
                return
            self._tick(force=True)

    def _write(self, message: _Message) -> None:
        try:
            self._write_outcome(message)
        finally:
            if message.from_batch:
                # An answer is used once, whatever came of it (its tasks, a refusal, a failed attempt).
                BatchAnswer.objects.filter(receipt=message.receipt).delete()

    def _write_outcome(self, message: _Message) -> None:
        run, receipt, parsed = self.run, message.receipt, message.parsed
        try:
            if message.failure is not None:
                raise message.failure
            if message.skip:
                _receipt_skipped(receipt, message.skip)
                run.messages_skipped += 1
                return
            assert parsed is not None and message.future is not None
            result = message.future.result()
            run.add_usage(result.usage)
            extracted = tasks_with_invites(result.tasks, invites=parsed.invites, subject=parsed.subject)
            first_attempt = receipt.attempts == 1 and receipt.status == MessageReceipt.Status.PENDING
            with transaction.atomic():
                # Read for cancellations of earlier thread tasks; kept only for a message that has tasks to
                # show it with (_receipt_done).
                receipt.body_text = parsed.text[:20000]
                created = tasks_store_extracted(
                    receipt=receipt,
                    extracted=extracted,
                    profile=self.profile,
                    extractor=self.extractor.name,
                    thread_tasks=message.thread_tasks,
                    first_attempt=first_attempt,
                )
                _receipt_done(
                    receipt, has_tasks=bool(created) or (not first_attempt and receipt.tasks.exists())
                )
                if message.from_batch:
                    BatchAnswer.objects.filter(receipt=receipt).delete()
            if extracted or message.thread_tasks:
                self.threads_with_tasks.add(receipt.thread_id)
            run.messages_processed += 1
            run.tasks_created += created
        except ExtractionRefused as e:
            # Asking again gets the same refusal: skip the message for good, with the category as the reason.
            run.add_usage(e.usage)
            _receipt_skipped(receipt, f"Claude declined to read it (refusal: {e.category or 'no category'})")
            run.messages_skipped += 1
        except _POSTPONING as e:
            _receipt_postponed(run, receipt, e)
            if isinstance(e, ExtractorFatal) or (isinstance(e, ExtractorUnavailable) and e.retry_after):
                self.stop_error = self.stop_error or e
            elif not self.paused:
                self.paused = str(e)
        except Exception as e:  # one bad message must not stop the others
            logger.warning("Message %s of mailbox %s failed: %s", receipt.message_id, self.mailbox.pk, e)
            _receipt_failed(run, receipt, e)

    def _tick(self, *, force: bool = False) -> None:
        """Progress after a message: saved (with a lease renewal) only when it is time to."""
        now = time.monotonic()
        if not force and now - self.last_save < self.save_every:
            if self.progress:
                self.progress(self.run)
            return
        self.last_save = now
        _save_progress(self.run, self.progress, *_PROGRESS_FIELDS)
        if not _renew_lease(self.mailbox, self.token):
            raise LeaseLost()


_PROGRESS_FIELDS = (
    "messages_seen",
    "messages_skipped",
    "messages_processed",
    "messages_failed",
    "tasks_created",
    *TOKEN_FIELDS,
)


def _parse(receipt: MessageReceipt, fetched: FetchedMessage) -> ParsedMessage:
    """Parse the message and copy its headers onto the receipt (saved with the receipt's outcome)."""
    if fetched.raw is None:
        raise ValueError(fetched.error or "The message could not be read.")
    parsed = parse_headers(fetched.raw) if fetched.headers_only else parse_message(fetched.raw)
    receipt.header_message_id = parsed.message_id[:500]
    receipt.thread_id = _thread_key(parsed, fetched)[:500]
    receipt.subject = parsed.subject[:500]
    receipt.sender = parsed.sender[:320]
    receipt.sender_name = parsed.sender_name[:200]
    receipt.sent_at = parsed.date
    return parsed


def _thread_key(parsed: ParsedMessage, fetched: FetchedMessage) -> str:
    if fetched.thread_id:
        return fetched.thread_id
    if parsed.references:
        return parsed.references[0]
    return parsed.in_reply_to or parsed.message_id


def _skip_reason(parsed: ParsedMessage, fetched: FetchedMessage, profile: Profile) -> str | None:
    """Why this message is not read for tasks (bulk mail, a sender the user skips), or None."""
    return bulk_reason(parsed, fetched.labels) or _skipped_sender_reason(parsed, profile)


def _reader(profile: Profile, mailbox: Mailbox) -> Reader:
    """The user's names and addresses: the account's email and, for Gmail, the address of the grant."""
    user = profile.user
    names = [user.get_full_name(), user.first_name]
    addresses = [user.email]
    if mailbox.source == Mailbox.Source.GMAIL:
        credential = GoogleCredential.objects.filter(user=user).only("email").first()
        addresses.append(credential.email if credential else "")
    return Reader(
        names=tuple(dict.fromkeys(n.strip() for n in names if n.strip())),
        addresses=tuple(dict.fromkeys(a.strip().lower() for a in addresses if "@" in a)),
    )


def _receipt_skipped(receipt: MessageReceipt, reason: str) -> None:
    receipt.status = MessageReceipt.Status.SKIPPED
    receipt.skip_reason = reason[:200]
    receipt.processed_at = timezone.now()
    receipt.last_error = ""
    receipt.save()


def _receipt_done(receipt: MessageReceipt, *, has_tasks: bool) -> None:
    """Mark the message read. Its text stays only with tasks to show it by (``has_tasks``), and only when
    bodies are kept (for MESSAGE_BODY_RETENTION_DAYS, see message_bodies_purge)."""
    if not settings.MESSAGE_BODY_RETENTION_DAYS or not has_tasks:
        receipt.body_text = ""
    receipt.status = MessageReceipt.Status.DONE
    receipt.processed_at = timezone.now()
    receipt.last_error = ""
    receipt.save()


def _receipt_postponed(run: SyncRun, receipt: MessageReceipt, error: Exception) -> None:
    """Nothing is wrong with the message: give its attempt back so an outage never quarantines it."""
    if isinstance(error, ExtractionError):
        run.add_usage(error.usage)
    receipt.attempts = max(0, receipt.attempts - 1)
    receipt.status = MessageReceipt.Status.PENDING
    receipt.last_error = str(error)[:2000]
    receipt.save()


def _receipt_failed(run: SyncRun, receipt: MessageReceipt, error: Exception) -> None:
    """A failed attempt for this message; after SYNC_MESSAGE_MAX_ATTEMPTS of them it is quarantined."""
    if isinstance(error, ExtractionError):
        run.add_usage(error.usage)  # an unusable answer still cost tokens
    receipt.last_error = f"{type(error).__name__}: {error}"[:2000]
    if receipt.attempts >= settings.SYNC_MESSAGE_MAX_ATTEMPTS:
        receipt.status = MessageReceipt.Status.QUARANTINED
    else:
        receipt.status = MessageReceipt.Status.FAILED
    receipt.save()
    run.messages_failed += 1


def _skipped_sender_reason(parsed: ParsedMessage, profile: Profile) -> str | None:
    sender = parsed.sender.lower()
    for entry in profile.skipped_senders():
        if sender == entry or (entry.startswith("@") and sender.endswith(entry)):
            return f"Sender {entry} is on your skip list"
    return None


def _backoff_message(mailbox: Mailbox) -> str:
    when = (
        timezone.localtime(mailbox.next_attempt_at).strftime("%H:%M %Z")
        if mailbox.next_attempt_at
        else "later"
    )
    return f"The mail provider asked us to slow down; the next attempt is after {when}."


def _backoff_delay(failures: int, retry_after: float | None) -> dt.timedelta:
    if retry_after is not None:
        return dt.timedelta(seconds=max(1.0, retry_after))
    base = settings.SYNC_BACKOFF_BASE_SECONDS * (2 ** max(0, failures - 1))
    capped = min(base, settings.SYNC_BACKOFF_MAX_SECONDS)
    # Jitter spreads retries of many mailboxes so they don't hit the provider together.
    return dt.timedelta(seconds=capped * random.uniform(0.8, 1.2))


def _handle_source_error(run: SyncRun, mailbox: Mailbox, error: SourceError) -> None:
    if error.kind == FailureKind.SERVER_MISCONFIGURED:
        # The operator's error: the mailbox keeps its state, failure count and schedule, so fixing the
        # configuration is all it takes for the next sync to go through.
        logger.error(
            "Sync %s of mailbox %s stopped by the server's configuration: %s",
            run.public_id,
            mailbox.pk,
            error,
        )
        _finish_failed(run, error=str(error))
        return
    if error.kind == FailureKind.NEEDS_RECONNECT:
        message = f"{error} Reconnect your account to sync again."
        mailbox_mark_needs_reconnect(user=run.user, reason=message)
        _finish_failed_by_mailbox(run, mailbox, error=message)
        return
    if error.kind in (FailureKind.RATE_LIMITED, FailureKind.TRANSIENT):
        delay = _backoff_delay(mailbox.consecutive_failures + 1, error.retry_after)
        mailbox.next_attempt_at = timezone.now() + delay
        Mailbox.objects.filter(pk=mailbox.pk).mark_backing_off(until=mailbox.next_attempt_at)
        _finish_failed_by_mailbox(run, mailbox, error=f"{error} {_backoff_message(mailbox)}")
        return
    _finish_failed_by_mailbox(run, mailbox, error=str(error))


def _finish_run(run: SyncRun, state: SyncRun.State, error: str) -> None:
    run.state = state
    run.phase = SyncRun.Phase.DONE
    run.error = error
    run.finished_at = timezone.now()
    run.waiting = asdict(waiting_work(run=run))
    run.save(
        update_fields=[
            "state",
            "phase",
            "error",
            "finished_at",
            "events_scheduled",
            "heartbeat_at",
            "messages_found",
            "backlog_total",
            "waiting",
            *_PROGRESS_FIELDS,
        ]
    )


def _finish_succeeded(run: SyncRun, mailbox: Mailbox) -> None:
    """The run went through (its error, if any, says why extraction paused); the mailbox is healthy."""
    _finish_run(run, SyncRun.State.SUCCEEDED, run.error)
    assert run.finished_at is not None
    Mailbox.objects.filter(pk=mailbox.pk).mark_succeeded(at=run.finished_at)


def _finish_failed(run: SyncRun, *, error: str) -> None:
    """The run failed for a reason that is not the mailbox's: its health and schedule stay as they are."""
    _finish_run(run, SyncRun.State.FAILED, error)


def _finish_failed_by_mailbox(run: SyncRun, mailbox: Mailbox, *, error: str) -> None:
    """The run failed because of the mailbox: count it, and disable the mailbox after too many in a row."""
    _finish_run(run, SyncRun.State.FAILED, error)
    assert run.finished_at is not None
    Mailbox.objects.filter(pk=mailbox.pk).count_failure(error=error, at=run.finished_at)
    mailbox.refresh_from_db()
    Mailbox.objects.filter(pk=mailbox.pk).disable_after_failures(
        limit=settings.SYNC_DISABLE_AFTER_FAILURES,
        error=f"Disabled after {mailbox.consecutive_failures} failed syncs in a row. Last error: {error}",
    )


def mailbox_mark_needs_reconnect(*, user: User, reason: str) -> None:
    """The user's grant to their mail account is gone: show "needs reconnect" with ``reason`` (the words the
    user sees) and pause the periodic schedule until they reconnect (the interval stays in the profile).

    A local folder has no grant to lose, so only a mailbox of another source changes; the schedule is
    paused either way, since every scheduled sync would fail the same way.
    """
    mailboxes = Mailbox.objects.filter(user=user).exclude(source=Mailbox.Source.LOCAL)
    mailboxes.mark_needs_reconnect(error=reason, at=timezone.now())
    periodic_sync_apply(user=user, minutes=None)


def mailbox_connect_local(*, user: User, folder: str) -> Mailbox:
    """Connect (or re-point) a user's mailbox to any local folder of .eml files or a Maildir.

    For operators only (``manage.py connect_mailbox``, the admin for superusers): it reads whatever
    folder it is given, and its error names the path. Web users go through ``mailbox_connect_area``.
    """
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"{path} is not a folder.")
    return _mailbox_point_local(user=user, path=path)


class MailAreaError(ValueError):
    """A web user's folder or upload was refused; the message is for them and names no server path."""


def mailbox_connect_area(*, user: User, folder: str) -> Mailbox:
    """Connect a user's mailbox to a folder inside their own mail area, given relative to it.

    An empty ``folder`` is the area itself (created if need be). Symlinks, ``..`` and absolute paths are
    resolved first, and anything that then lies outside the area is refused. Demo users cannot connect
    folders.
    """
    if Profile.objects.filter(user=user, is_demo=True).exists():
        raise MailAreaError(
            "The demo account cannot connect mail folders. Upload .eml or .mbox files instead."
        )
    area = local_mail_area(user.pk)
    if not folder.strip():
        area.mkdir(parents=True, exist_ok=True)
    path = area / folder.strip()
    if not path_inside(path, area):
        logger.warning("User %s asked for mail folder %r, which leaves their area %s", user.pk, folder, area)
        raise MailAreaError("Only folders inside your own mail area can be connected. Nothing was changed.")
    try:
        is_folder = path.is_dir()
    except OSError:  # a name too long for the file system, say: no such folder either
        is_folder = False
    if not is_folder:
        raise MailAreaError("There is no such folder in your mail area. Nothing was changed.")
    return _mailbox_point_local(user=user, path=path.resolve())


def mailbox_upload(*, user: User, files: Sequence[UploadedFile]) -> UploadOutcome:
    """Store uploaded .eml files or .mbox exports in the user's mail area and make their mailbox read it.

    A user with no mailbox, or a local one outside their area, is connected to the area; a local mailbox
    already inside the area (not a Maildir) keeps its folder and gets the upload there, so the message
    ids of what it holds do not change. A Gmail mailbox is refused: switching sources is the user's call.
    """
    mailbox = Mailbox.objects.filter(user=user).first()
    if mailbox is not None and mailbox.source != Mailbox.Source.LOCAL:
        raise MailAreaError(
            f"Your mailbox is your {mailbox.get_source_display()} account; uploaded mail is read only by a "
            "local mailbox. Nothing was stored."
        )
    area = local_mail_area(user.pk)
    folder = area
    if mailbox is not None:
        current = Path(mailbox.location)
        if current.is_relative_to(area) and not LocalFolderSource(current).is_maildir():
            folder = current
    relative = folder.relative_to(area)

    def already_read(upload_id: str) -> bool:
        # Message ids are paths relative to the mailbox's folder.
        message_id = (relative / upload_id).as_posix()
        return MessageReceipt.objects.filter(
            mailbox=mailbox, message_id=message_id, status__in=MessageReceipt.FINAL_STATUSES
        ).exists()

    try:
        upload_check(files, waiting=uploads_waiting_bytes(folder=folder))
        outcome = upload_store(folder=folder, area=area, files=files, already_read=already_read)
    except UploadRejected as e:
        raise MailAreaError(str(e)) from e
    # Also re-enables a mailbox disabled because its folder had gone: the upload brought it back.
    _mailbox_point_local(user=user, path=folder)
    return outcome


def _mailbox_point_local(*, user: User, path: Path) -> Mailbox:
    """Point the user's mailbox at a folder and make it active (connecting again is how a user re-enables
    a disabled mailbox). Only the named fields are written, so a sync holding the lease keeps it."""
    mailbox, created = Mailbox.objects.get_or_create(
        user=user, defaults={"source": Mailbox.Source.LOCAL, "location": str(path)}
    )
    if created:
        return mailbox
    also: dict[str, object] = {}
    if mailbox.location != str(path) or mailbox.source != Mailbox.Source.LOCAL:
        also.update(source=Mailbox.Source.LOCAL, location=str(path), checkpoint="")
    Mailbox.objects.filter(pk=mailbox.pk).mark_reconnected(**also)
    mailbox.refresh_from_db()
    return mailbox


def mailbox_connect_gmail(*, user: User, address: str) -> Mailbox:
    """Make the user's Gmail account their mailbox (at Google sign-in, and again at each reconnect).

    Reconnecting clears "needs reconnect", backoff and a disabled state. Only the named fields are
    written, so a sync holding the mailbox lease at that moment keeps its lease.
    """
    mailbox, created = Mailbox.objects.get_or_create(
        user=user, defaults={"source": Mailbox.Source.GMAIL, "location": address}
    )
    if created:
        return mailbox
    also: dict[str, object] = {"last_error": ""}
    if mailbox.source != Mailbox.Source.GMAIL or mailbox.location.lower() != address.lower():
        # Another source or another Gmail account: its position means nothing here.
        also.update(source=Mailbox.Source.GMAIL, location=address, checkpoint="", stale_checkpoint_resyncs=0)
    Mailbox.objects.filter(pk=mailbox.pk).mark_reconnected(**also)
    mailbox.refresh_from_db()
    return mailbox


def message_bodies_purge(*, older_than: dt.datetime) -> int:
    """Delete the stored text of every message read before ``older_than`` (or first seen then, for one never
    read to the end), in one UPDATE. Subject, sender, dates and the tasks with their evidence stay.
    Returns how many texts were deleted."""
    read_before = Q(processed_at__lt=older_than) | Q(processed_at__isnull=True, first_seen_at__lt=older_than)
    return MessageReceipt.objects.filter(read_before).exclude(body_text="").update(body_text="")


def receipt_retry(*, receipt: MessageReceipt) -> None:
    """Give a failed or quarantined message a fresh set of attempts on the next sync."""
    MessageReceipt.objects.filter(
        pk=receipt.pk, status__in=[MessageReceipt.Status.FAILED, MessageReceipt.Status.QUARANTINED]
    ).update(status=MessageReceipt.Status.FAILED, attempts=0, last_error="")


@dataclass(frozen=True)
class Recovery:
    """What one pass of the watchdog did: runs queued again, and runs given up on."""

    requeued: list[int]
    failed: list[int]


def sync_runs_recover(*, now: dt.datetime | None = None) -> Recovery:
    """The watchdog (every minute, ``emailsync.jobs.recover_lost_syncs``): queue again, by run id, every
    queued or running sync whose worker is gone, so that a sync killed at any point finishes without anyone
    triggering it again.

    The Redis broker never hands back a job whose worker died, and the ORM broker only after ``Q_RETRY``;
    our own records say sooner. A run is lost when it showed no sign of life (created, started, heartbeat,
    or queued again by this watchdog) for ``SYNC_LEASE_SECONDS`` and its mailbox's lease is not held: a
    live worker renews both as it goes. Queuing it again is safe: receipts are written before the work and
    ``mailbox_sync`` is idempotent per run (a twin delivery leaves the lease to the copy holding it).

    Bounded: a run is queued again at most once per lease period (the time it was counts as a sign of
    life), and after ``SYNC_MAX_REDELIVERIES`` times it is failed with the reason, which frees the user for
    a new sync. A conditional UPDATE claims each step, so two clusters running the watchdog at once queue a
    run only once.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    lost = (
        SyncRun.objects.filter(state__in=SyncRun.ACTIVE_STATES, created_at__lt=cutoff)
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=cutoff))
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
        .filter(Q(redelivered_at__isnull=True) | Q(redelivered_at__lt=cutoff))
        .exclude(user__mailbox__lease_token__isnull=False, user__mailbox__lease_expires_at__gte=now)
        .order_by("pk")
    )
    requeued: list[int] = []
    failed: list[int] = []
    for run in lost:
        claim = SyncRun.objects.filter(pk=run.pk, state=run.state, redeliveries=run.redeliveries)
        if run.redeliveries >= settings.SYNC_MAX_REDELIVERIES:
            error = (
                f"This sync stopped answering {run.redeliveries + 1} times (its worker was lost each time), so "
                "it was given up. What it finished is kept; the next sync goes on from there."
            )
            if claim.update(
                state=SyncRun.State.FAILED, phase=SyncRun.Phase.DONE, error=error, finished_at=now
            ):
                logger.error(
                    "Sync %s failed: its worker was lost %s times", run.public_id, run.redeliveries + 1
                )
                failed.append(run.pk)
            continue
        if claim.update(redeliveries=F("redeliveries") + 1, redelivered_at=now):
            logger.warning(
                "Sync %s (%s, last sign of life %s) lost its worker; queued again",
                run.public_id,
                run.state,
                (run.heartbeat_at or run.started_at or run.created_at).isoformat(),
            )
            enqueue_run(run)
            requeued.append(run.pk)
    return Recovery(requeued=requeued, failed=failed)
