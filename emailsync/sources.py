"""The mail source seam. A source lists the messages of a mailbox that came after a checkpoint and
hands over each one as RFC 822 bytes; everything after that (parsing, dedup, extraction) is shared.

The local folder source is a first-class source: it is what a fresh install syncs from.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from django.conf import settings

from emailsync.models import Mailbox


def local_mail_area(user_id: int) -> Path:
    """The one folder under ``LOCAL_MAIL_ROOT`` that belongs to this user (uploads, a demo copy).

    Not created here; the user's mail may be read through the web only from inside it.
    """
    return Path(settings.LOCAL_MAIL_ROOT).resolve() / f"user-{user_id}"


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


class MailSource(Protocol):
    def list_new(self, checkpoint: str) -> Listing: ...

    def fetch(self, message_ids: Sequence[str]) -> Iterator[FetchedMessage]: ...


class LocalFolderSource:
    """A folder of ``.eml`` files (searched recursively) or a Maildir (``cur/`` and ``new/``).

    The message id is the file's path relative to the folder; for a Maildir it is the unique part of the
    file name, which survives flag changes (``cur/1700000000.M1P2.host:2,S`` has id ``1700000000.M1P2.host``).
    Receipts, not the checkpoint, decide what is new: listing a folder is cheap, and a file copied in with
    an old modification time must not be missed.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def _is_maildir(self) -> bool:
        return (self.folder / "cur").is_dir() or (self.folder / "new").is_dir()

    def _paths(self) -> dict[str, Path]:
        if not self.folder.is_dir():
            raise SourceError(
                f"The mail folder {self.folder} does not exist or is not a folder.",
                kind=FailureKind.PERMANENT,
            )
        found: dict[str, Path] = {}
        try:
            if self._is_maildir():
                for sub in ("new", "cur"):
                    directory = self.folder / sub
                    if not directory.is_dir():
                        continue
                    for path in directory.iterdir():
                        if path.is_file() and not path.name.startswith("."):
                            found[path.name.split(":", 1)[0]] = path
            else:
                for path in self.folder.rglob("*.eml"):
                    if path.is_file():
                        found[path.relative_to(self.folder).as_posix()] = path
        except OSError as e:
            raise SourceError(f"Could not list {self.folder}: {e}", kind=FailureKind.TRANSIENT) from e
        return found

    def list_new(self, checkpoint: str) -> Listing:
        paths = self._paths()

        def order(item: tuple[str, Path]) -> tuple[int, str]:
            try:
                return (item[1].stat().st_mtime_ns, item[0])
            except OSError:
                return (0, item[0])

        ordered = [message_id for message_id, _ in sorted(paths.items(), key=order)]
        return Listing(message_ids=ordered, checkpoint=str(len(ordered)))

    def fetch(self, message_ids: Iterable[str]) -> Iterator[FetchedMessage]:
        paths = self._paths()
        for message_id in message_ids:
            path = paths.get(message_id)
            if path is None:
                yield FetchedMessage(
                    message_id=message_id, error="The message file is no longer in the folder."
                )
                continue
            try:
                yield FetchedMessage(message_id=message_id, raw=path.read_bytes())
            except OSError as e:
                yield FetchedMessage(message_id=message_id, error=f"Could not read {path.name}: {e.strerror}")


def source_for(mailbox: Mailbox) -> MailSource:
    if mailbox.source == Mailbox.Source.LOCAL:
        return LocalFolderSource(mailbox.location)
    if mailbox.source == Mailbox.Source.GMAIL:
        from emailsync.gmail import GmailSource

        return GmailSource(mailbox)
    raise SourceError(f"Unknown mail source {mailbox.source!r}", kind=FailureKind.PERMANENT)
