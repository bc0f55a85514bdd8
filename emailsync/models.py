from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from accounts import crypto


class MailboxQuerySet(models.QuerySet["Mailbox"]):
    """The state transitions of mailboxes. Each is one UPDATE of the fields it names, so a sync holding the
    lease at that moment keeps its lease (and a transition never writes back a stale copy of the row)."""

    def mark_succeeded(self, *, at: dt.datetime) -> int:
        """A sync went through: healthy again, whatever the failures before it."""
        return self.update(
            state=Mailbox.State.ACTIVE, consecutive_failures=0, next_attempt_at=None, last_success_at=at
        )

    def mark_reconnected(self, **also: object) -> int:
        """Connected again by its owner (the way a user re-enables a mailbox): no backoff, no failures.
        ``also`` names other fields to write in the same UPDATE (a new source or location, a cleared error)."""
        return self.update(state=Mailbox.State.ACTIVE, consecutive_failures=0, next_attempt_at=None, **also)

    def mark_backing_off(self, *, until: dt.datetime) -> int:
        return self.update(state=Mailbox.State.BACKING_OFF, next_attempt_at=until)

    def mark_needs_reconnect(self, *, error: str, at: dt.datetime) -> int:
        """The grant is gone: no retry will help until the user reconnects, so no next attempt either."""
        return self.update(
            state=Mailbox.State.NEEDS_RECONNECT,
            next_attempt_at=None,
            last_error=error[:2000],
            last_error_at=at,
        )

    def count_failure(self, *, error: str, at: dt.datetime) -> int:
        return self.update(
            consecutive_failures=F("consecutive_failures") + 1, last_error=error[:2000], last_error_at=at
        )

    def disable_after_failures(self, *, limit: int, error: str) -> int:
        """Disable the mailboxes that failed ``limit`` times in a row, with the reason shown. One that needs
        reconnecting keeps that state: reconnecting is what the user must do."""
        return (
            self.filter(consecutive_failures__gte=limit)
            .exclude(state=Mailbox.State.NEEDS_RECONNECT)
            .update(state=Mailbox.State.DISABLED, last_error=error[:2000])
        )


class Mailbox(models.Model):
    """Where a user's mail comes from, with everything the sync needs to resume safely."""

    class Source(models.TextChoices):
        LOCAL = "local", "Local folder"
        GMAIL = "gmail", "Gmail"
        IMAP = "imap", "IMAP"

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        BACKING_OFF = "backing_off", "Backing off"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        DISABLED = "disabled", "Disabled"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailbox")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.LOCAL)
    # For the local source: the folder of .eml files or the Maildir.
    location = models.CharField(max_length=500, blank=True, default="")
    # Opaque position in the source (Gmail: a historyId). Moves only forward, after the work it covers.
    checkpoint = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Full resyncs in a row forced by a stale checkpoint (Gmail's 404 on history.list); reset when a sync
    # completes from a checkpoint. Breaks the loop of a provider that keeps rejecting fresh checkpoints.
    stale_checkpoint_resyncs = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MailboxQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "mailboxes"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lease_token__isnull=True) | models.Q(lease_expires_at__isnull=False),
                name="mailbox_lease_has_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} mailbox of {self.user}"


class ImapAccount(models.Model):
    """How to reach an IMAP mailbox. The password is encrypted like the Google tokens (``accounts.crypto``:
    the same keys and rotation) and never shown again; the checkpoint lives on the mailbox."""

    class Security(models.TextChoices):
        TLS = "tls", "Implicit TLS (usually port 993)"
        STARTTLS = "starttls", "STARTTLS (usually port 143)"

    mailbox = models.OneToOneField(Mailbox, on_delete=models.CASCADE, related_name="imap")
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=320)
    password_encrypted = models.TextField()
    folder = models.CharField(max_length=500, default="INBOX")
    # A server with a self-signed certificate is trusted only when its owner said so for this mailbox.
    allow_self_signed = models.BooleanField(default=False)
    # With allow_self_signed: the SHA-256 of the certificate seen when the mailbox was connected, the only
    # one trusted afterwards.
    tls_fingerprint = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.username} at {self.host}:{self.port}/{self.folder}"

    @property
    def password(self) -> str:
        """The password in clear; raises ``accounts.crypto.InvalidToken`` when no configured key opens it."""
        return crypto.decrypt(self.password_encrypted)

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = crypto.encrypt(value)


class TokenUsage(Protocol):
    """Model tokens spent by one extraction (``tasks_app.extractors.ExtractionUsage`` is one)."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int


TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


class SyncRunQuerySet(models.QuerySet["SyncRun"]):
    def this_month(self) -> SyncRunQuerySet:
        """Runs created since the 1st of this month, UTC: the period of a user's token budget."""
        start = timezone.now().astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return self.filter(created_at__gte=start)

    def tokens_used(self) -> int:
        """What counts toward a user's budget, as ``SyncRun.tokens_used`` adds it up, over these runs."""
        per_run = sum((F(name) for name in TOKEN_FIELDS[1:]), start=F(TOKEN_FIELDS[0]))
        return int(self.aggregate(total=models.Sum(per_run))["total"] or 0)


class SyncRun(models.Model):
    """One sync of one user's mailbox, from trigger to outcome. Its public id is the API's task_id."""

    class Trigger(models.TextChoices):
        BUTTON = "button", "Dashboard button"
        LOGIN = "login", "Sign-in"
        API = "api", "API"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command line"
        SCHEDULE = "schedule", "Schedule"
        FOLLOW_UP = "follow_up", "Continues a large sync"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Phase(models.TextChoices):
        WAITING = "waiting", "Waiting for a worker"
        LISTING = "listing", "Looking for new mail"
        READING = "reading", "Reading messages"
        SCHEDULING = "scheduling", "Placing tasks on the calendar"
        DONE = "done", "Done"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sync_runs")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.WAITING)
    messages_found = models.PositiveIntegerField(default=0)
    messages_seen = models.PositiveIntegerField(default=0)
    messages_skipped = models.PositiveIntegerField(default=0)
    messages_processed = models.PositiveIntegerField(default=0)
    messages_failed = models.PositiveIntegerField(default=0)
    tasks_created = models.PositiveIntegerField(default=0)
    events_scheduled = models.PositiveIntegerField(default=0)
    # Model usage of the extraction in this run (zero for the offline extractor).
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    # A backlog larger than SYNC_MAX_MESSAGES_PER_RUN is read by a chain of runs, each continuing the one
    # before (``continued_by``): messages read by the earlier runs of the chain, and the chain's whole
    # backlog as this run listed it (0 when the run read its listing in one go).
    backlog_read_before = models.PositiveIntegerField(default=0)
    backlog_total = models.PositiveIntegerField(default=0)
    continued_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # What the run left for later, recorded when it ends (see ``emailsync.selectors.waiting_work``), so
    # status polls do not count it again; None for a run that ended before it was recorded.
    waiting = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Times the watchdog queued this run again after its worker was lost (sync_runs_recover), and when last.
    redeliveries = models.PositiveIntegerField(default=0)
    redelivered_at = models.DateTimeField(null=True, blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one queued or running run per user: the database settles two triggers at once.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_active_sync_per_user",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["succeeded", "failed"]) | models.Q(finished_at__isnull=False),
                name="finished_run_has_finish_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Sync {self.public_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def backlog_read(self) -> int:
        """Messages of the chain's backlog read so far, this run's included."""
        return self.backlog_read_before + self.messages_seen

    @property
    def tokens_used(self) -> int:
        """What counts toward the user's monthly budget: every input token, cached or not, plus output."""
        return sum(getattr(self, name) for name in TOKEN_FIELDS)

    def add_usage(self, usage: TokenUsage) -> None:
        """Count an extraction's tokens in this run (saved with the run's next progress save)."""
        for name in TOKEN_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(usage, name))


class MessageReceipt(models.Model):
    """One row per message of a mailbox: the dedup ledger and the poison register."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped as bulk"
        FAILED = "failed", "Failed"
        QUARANTINED = "quarantined", "Quarantined"

    FINAL_STATUSES = (Status.DONE, Status.SKIPPED, Status.QUARANTINED)

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="receipts")
    message_id = models.CharField(max_length=255, help_text="The source's own id for the message.")
    header_message_id = models.CharField(max_length=500, blank=True, default="")
    thread_id = models.CharField(max_length=500, blank=True, default="")
    subject = models.CharField(max_length=500, blank=True, default="")
    sender = models.CharField(max_length=320, blank=True, default="")
    sender_name = models.CharField(max_length=200, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    body_text = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(max_length=200, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    first_seen_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "message_id"], name="one_receipt_per_message"),
        ]
        indexes = [models.Index(fields=["mailbox", "status"])]

    def __str__(self) -> str:
        return f"{self.subject or self.message_id} ({self.status})"


class ExtractionBatch(models.Model):
    """One provider batch (Claude's Message Batches) asking about the messages of a large backfill.

    Its answers wait in ``BatchAnswer`` rows until a sync uses them; ``extraction_batches_collect`` reads
    them when the batch has ended and starts that sync."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        COLLECTED = "collected", "Collected"

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="extraction_batches")
    extractor = models.CharField(max_length=50, help_text="The extractor that sent it (its name).")
    provider_id = models.CharField(max_length=200, unique=True, help_text="The provider's id of the batch.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.SUBMITTED)
    requests = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0, help_text="Requests that came back with an answer.")
    submitted_at = models.DateTimeField(auto_now_add=True)
    collected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.provider_id} ({self.state}, {self.requests} requests)"


class BatchAnswer(models.Model):
    """A message asked about in a batch: waiting while the batch runs, then the model's reply, until the
    sync that uses it deletes the row. At most one per message, so a message is never in two batches at
    once and its answer is used once."""

    batch = models.ForeignKey(ExtractionBatch, on_delete=models.CASCADE, related_name="answers")
    receipt = models.OneToOneField(MessageReceipt, on_delete=models.CASCADE, related_name="batch_answer")
    # The provider's reply (a Messages API message), None while the batch runs.
    answer = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.receipt} in {self.batch.provider_id}"
