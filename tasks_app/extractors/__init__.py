"""The extractor seam: turns one email into at most a few task candidates.

Every extractor takes an ``EmailForExtraction`` and returns ``ExtractedTask`` objects. Nothing here
touches the database; the sync service decides what to store.

This module holds the protocol, its data classes and errors only. The implementations are named in
``EXTRACTORS`` by dotted path and imported on first use: the offline rule-based one (``offline/``) and
Claude (``claude.py``, and with it the anthropic SDK, is imported only when "claude" is asked for). A new
extractor is one module with a class that has ``from_settings()``, and one line in ``EXTRACTORS``.

The sync calls one extractor from up to ``EXTRACTION_CONCURRENCY`` threads at once: an extractor must be
thread-safe (no per-call state on ``self``; the offline one holds none, Claude's SDK client is safe to
share) and must not touch the database (the sync's own thread writes what it returns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from django.utils.module_loading import import_string

TaskKind = Literal["deadline", "meeting", "todo"]
Priority = Literal["low", "normal", "high"]
# How a task relates to the open tasks of the email's thread: "new" lets the store match it conservatively
# (same kind and similar title, or a reminder of the same due); "update" and "cancel" name a thread task.
ThreadAction = Literal["new", "update", "cancel"]

# An email is untrusted input: whatever it says, it never yields more than this.
MAX_TASKS_PER_EMAIL = 5
MAX_TITLE_LENGTH = 120


@dataclass(frozen=True)
class ThreadTask:
    """An open task from an earlier email of the same thread, shown to extractors that can relate to it."""

    ref: str  # short handle the extractor may answer with ("T1")
    title: str
    kind: TaskKind
    due: dt.datetime | None = None


@dataclass(frozen=True)
class Recipient:
    address: str  # lowercased
    name: str = ""  # the display name of the header, "" when none


@dataclass(frozen=True)
class Reader:
    """Who the email is read for: the user's names and every address their mail arrives at. Empty when the
    caller does not know (a JSON line without it, the labelled sets); extractors then cannot judge roles."""

    names: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()  # lowercased

    def owns(self, address: str) -> bool:
        return address.strip().lower() in self.addresses


# Where the reader stands in the email's headers; "unknown" when no reader address is known.
ReaderRole = Literal["sender", "to", "cc", "not_listed", "unknown"]


@dataclass(frozen=True)
class EmailForExtraction:
    id: str
    subject: str
    body: str  # clean text: quoted history and signature already removed
    sender: str
    sent_at: dt.datetime  # aware; the email's Date header
    timezone: str  # IANA name of the reader's home zone
    thread_tasks: tuple[ThreadTask, ...] = ()
    sender_name: str = ""
    reader: Reader = Reader()
    to: tuple[Recipient, ...] = ()
    cc: tuple[Recipient, ...] = ()

    @property
    def reader_role(self) -> ReaderRole:
        """Sender first (the reader's own mail), then To before Cc: a request in the body is meant for the
        To line, a Cc is told for information unless the body names them."""
        if not self.reader.addresses:
            return "unknown"
        if self.reader.owns(self.sender):
            return "sender"
        if any(self.reader.owns(r.address) for r in self.to):
            return "to"
        if any(self.reader.owns(r.address) for r in self.cc):
            return "cc"
        return "not_listed"

    @property
    def other_recipients(self) -> tuple[Recipient, ...]:
        """To and Cc without the reader, each address once, To first."""
        seen: set[str] = set()
        others: list[Recipient] = []
        for recipient in (*self.to, *self.cc):
            if recipient.address in seen or self.reader.owns(recipient.address):
                continue
            seen.add(recipient.address)
            others.append(recipient)
        return tuple(others)


@dataclass
class ExtractedTask:
    title: str
    kind: TaskKind
    evidence: str  # the sentence of the email the task came from, verbatim
    due: dt.datetime | None = None  # aware
    due_phrase: str = ""  # the date/time words as written ("Friday EOD")
    duration_minutes: int | None = None
    priority: Priority = "normal"
    confidence: float = 0.5
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    # Set when our own checks disagree with the extractor (e.g. the date phrase resolves elsewhere): the
    # task then waits for the user's approval instead of going on the calendar.
    review_reason: str = ""
    thread_action: ThreadAction = "new"
    thread_ref: str = ""  # the ThreadTask.ref an "update" or "cancel" is about


@dataclass
class ExtractionUsage:
    """Model tokens spent on one extraction (all zero for extractors that use no model)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: ExtractionUsage) -> ExtractionUsage:
        return ExtractionUsage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass
class ExtractionResult:
    tasks: list[ExtractedTask]
    usage: ExtractionUsage = field(default_factory=ExtractionUsage)


class Extractor(Protocol):
    name: str
    # Pays per token (Claude): the user's monthly token budget applies, and the extractor also has
    # ``extract_with_usage(email) -> ExtractionResult`` to report what each call cost.
    metered: bool

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]: ...


@dataclass(frozen=True)
class BatchResult:
    """One request's outcome in a provider's batch: the reply (as the provider's JSON), or why there is none
    (errored, expired, canceled), in which case the email is to be asked again."""

    custom_id: str
    answer: dict[str, Any] | None
    error: str = ""


class BatchExtractor(Protocol):
    """An extractor that can also ask about many emails at once, at a lower price and within hours (Claude's
    Message Batches). Used for backfills over ``EXTRACTION_BATCH_THRESHOLD`` messages."""

    name: str

    def batch_submit(self, requests: Sequence[tuple[str, EmailForExtraction]]) -> str: ...

    def batch_results(self, batch_id: str) -> list[BatchResult] | None: ...

    def extract_with_answer(
        self, email: EmailForExtraction, answer: Mapping[str, Any]
    ) -> ExtractionResult: ...


def batch_extractor(extractor: Extractor) -> BatchExtractor | None:
    """``extractor`` as a ``BatchExtractor`` if it can ask in batches, else None."""
    if all(hasattr(extractor, name) for name in ("batch_submit", "batch_results", "extract_with_answer")):
        return cast(BatchExtractor, extractor)
    return None


def extract_with_usage(extractor: Extractor, email: EmailForExtraction) -> ExtractionResult:
    """Run ``extractor`` on ``email`` and say what it cost; extractors without a meter cost nothing."""
    metered = getattr(extractor, "extract_with_usage", None)
    if metered is not None:
        result: ExtractionResult = metered(email)
        return result
    return ExtractionResult(list(extractor.extract(email)))


# Failures any extractor may raise. The sync treats them differently from a crash on one message:
class ExtractionError(Exception):
    """Base class; ``usage`` holds the tokens already spent when the failure happened."""

    def __init__(self, message: str, *, usage: ExtractionUsage | None = None) -> None:
        super().__init__(message)
        self.usage = usage or ExtractionUsage()


class ExtractionFailed(ExtractionError):
    """This email's answer was unusable (cut off, not valid JSON, wrong shape): a failed attempt for the
    message, retried on later syncs and quarantined after the usual number of attempts."""


class ExtractionRefused(ExtractionError):
    """The model declined to read this email (a safety refusal). Asking again gives the same answer, so the
    message is skipped for good with ``category`` (the provider's refusal category, "" when it names none)
    recorded as the reason."""

    def __init__(self, message: str, *, category: str = "", usage: ExtractionUsage | None = None) -> None:
        super().__init__(message, usage=usage)
        self.category = category


class ExtractorUnavailable(ExtractionError):
    """The provider is down or overloaded even after the client's own retries. Nothing is wrong with the
    message: it stays pending, the attempt does not count toward quarantine, and the next sync retries.

    ``retry_after`` is set when the provider asked for a wait longer than we hold a mailbox for: the sync
    then stops and defers the mailbox by that many seconds instead of waiting."""

    def __init__(
        self, message: str, *, usage: ExtractionUsage | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, usage=usage)
        self.retry_after = retry_after


class ExtractorFatal(ExtractionError):
    """Extraction cannot work until someone acts (bad API key, spend limit reached, a request the model
    rejects whatever the email): the run fails once with this message instead of failing every message."""


# Keyed by the ``TASK_EXTRACTOR`` names. Each class is built with ``from_settings()``.
EXTRACTORS = {
    "offline": "tasks_app.extractors.offline.OfflineExtractor",
    "claude": "tasks_app.extractors.claude.ClaudeExtractor",
}
DEFAULT_EXTRACTOR = "offline"


def get_extractor(name: str | None = None) -> Extractor:
    """The extractor called ``name``; None or "" means the offline one. Unknown names raise ValueError."""
    key = (name or DEFAULT_EXTRACTOR).strip().lower()
    path = EXTRACTORS.get(key)
    if path is None:
        known = ", ".join(sorted(EXTRACTORS))
        raise ValueError(f"Unknown task extractor {name!r}; available extractors: {known}")
    extractor: Extractor = import_string(path).from_settings()
    return extractor
