"""The mail source seam. A source lists the messages of a mailbox that came after a checkpoint and
hands over each one as RFC 822 bytes; everything after that (parsing, dedup, extraction) is shared.

``fetch`` may be given ``wants_body``: the source then reads each message's headers (and labels) first,
asks ``wants_body`` with a headers-only ``FetchedMessage``, and reads the body only when it says yes. A
message it says no to (bulk mail) is handed over headers-only (``headers_only=True``).

This module holds the protocol and its data classes only. The implementations are named in ``SOURCES``
by dotted path and imported on first use, so that reading mail from a folder never loads the Google
client. A new source is one module with a class that has ``for_mailbox(mailbox)``, and one line in
``SOURCES`` (plus a ``Mailbox.Source`` choice).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.module_loading import import_string

from emailsync.models import Mailbox

# Keyed by ``Mailbox.Source`` values.
SOURCES = {
    "local": "emailsync.sources.local.LocalFolderSource",
    "gmail": "emailsync.sources.gmail.GmailSource",
}


class FailureKind(enum.Enum):
    TRANSIENT = "transient"  # try again later with backoff
    RATE_LIMITED = "rate_limited"  # defer this mailbox, honour retry_after
    STALE_CHECKPOINT = "stale_checkpoint"  # the checkpoint is too old: full resync
    NEEDS_RECONNECT = "needs_reconnect"  # the grant is gone: stop until the user reconnects
    PERMANENT = "permanent"  # configuration problem; retrying will not help
    # The server is misconfigured (e.g. a lost token key): an administrator must fix it. Never counted against
    # the mailbox, no backoff, no reconnect; the first sync after the fix goes through.
    SERVER_MISCONFIGURED = "server_misconfigured"


class SourceError(Exception):
    def __init__(self, message: str, *, kind: FailureKind, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


@dataclass(frozen=True)
class Listing:
    message_ids: list[str]
    # The position to store once every listed message is recorded.
    checkpoint: str


@dataclass(frozen=True)
class FetchedMessage:
    message_id: str
    raw: bytes | None = None
    error: str = ""  # set when this one message could not be read
    labels: Sequence[str] = field(default_factory=tuple)
    thread_id: str = ""
    # ``raw`` holds the header block only (the body was not read); parse it with ``parse_headers``.
    headers_only: bool = False


WantsBody = Callable[[FetchedMessage], bool]


class MailSource(Protocol):
    def list_new(self, checkpoint: str) -> Listing: ...

    def fetch(
        self, message_ids: Sequence[str], *, wants_body: WantsBody | None = None
    ) -> Iterator[FetchedMessage]: ...


def source_for(mailbox: Mailbox) -> MailSource:
    path = SOURCES.get(mailbox.source)
    if path is None:
        raise SourceError(f"Unknown mail source {mailbox.source!r}", kind=FailureKind.PERMANENT)
    source: MailSource = import_string(path).for_mailbox(mailbox)
    return source
