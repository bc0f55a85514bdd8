"""A local folder as a mail source, and the per-user mail areas under ``LOCAL_MAIL_ROOT`` that confine it.

The local folder source is a first-class source: it is what a fresh install syncs from.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

from emailsync.models import Mailbox
from emailsync.sources import FailureKind, FetchedMessage, Listing, SourceError, WantsBody

logger = logging.getLogger(__name__)


def local_mail_area(user_id: int) -> Path:
    """The one folder under ``LOCAL_MAIL_ROOT`` that belongs to this user (uploads, a demo copy).

    Not created here; the user's mail may be read through the web only from inside it.
    """
    return Path(settings.LOCAL_MAIL_ROOT).resolve() / f"user-{user_id}"


def path_inside(path: Path, area: Path) -> bool:
    """Whether ``path``, with symlinks and ``..`` resolved, lies in ``area`` (the area itself included).

    ``area`` is compared as given, not resolved: an area that is itself a symlink to somewhere else
    holds nothing.
    """
    try:
        return path.resolve().is_relative_to(area)
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        return False


def mailbox_confining_area(mailbox: Mailbox) -> Path | None:
    """The area a local mailbox may read from, or None for a folder an operator connected elsewhere.

    Decided by where the mailbox points rather than by a stored flag: every folder a web user can
    connect (and every upload) lies under ``LOCAL_MAIL_ROOT``, and everything under it belongs to some
    user's area. So a mailbox pointing there is confined to its owner's area whoever connected it, and
    no flag can drift out of step with the location (an admin edit, a copied row). Operators who mean
    to read any folder connect one outside the root.
    """
    if mailbox.source != Mailbox.Source.LOCAL or not mailbox.location:
        return None
    root = Path(settings.LOCAL_MAIL_ROOT).resolve()
    location = Path(mailbox.location)
    if location.is_relative_to(root) or path_inside(location, root):
        return local_mail_area(mailbox.user_id)
    return None


def mailbox_location_label(mailbox: Mailbox) -> str:
    """Where a mailbox reads from, in words a user may see: never a server path."""
    if mailbox.source != Mailbox.Source.LOCAL:
        return mailbox.location
    area = local_mail_area(mailbox.user_id)
    location = Path(mailbox.location)
    if location == area:
        return "Your uploaded mail"
    if location.is_relative_to(area):
        return f"Your mail area, folder “{location.relative_to(area).as_posix()}”"
    return "A mail folder set up for you by the site's operator"


class LocalFolderSource:
    """A folder of ``.eml`` files (searched recursively) or a Maildir (``cur/`` and ``new/``).

    The message id is the file's path relative to the folder; for a Maildir it is the unique part of the
    file name, which survives flag changes (``cur/1700000000.M1P2.host:2,S`` has id ``1700000000.M1P2.host``).
    Receipts, not a checkpoint, decide what is new: listing a folder is cheap, and a file copied in with
    an old modification time must not be missed. So the listing hands back no checkpoint to store.

    With ``confine_to`` (a user's area) the folder and every file read must resolve inside that area: a
    symlink planted there, to ``/etc/passwd`` or to another user's area, is never read.

    Error messages name no path: they reach users' pages. The path goes to the log for operators.
    """

    def __init__(self, folder: str | os.PathLike[str], *, confine_to: Path | None = None) -> None:
        self.folder = Path(folder)
        self.confine_to = confine_to

    @classmethod
    def for_mailbox(cls, mailbox: Mailbox) -> LocalFolderSource:
        if not mailbox.location:
            # An empty path would mean the worker's current folder.
            raise SourceError("No mail folder is set for this mailbox.", kind=FailureKind.PERMANENT)
        return cls(mailbox.location, confine_to=mailbox_confining_area(mailbox))

    def _inside(self, path: Path) -> bool:
        return self.confine_to is None or path_inside(path, self.confine_to)

    def is_maildir(self) -> bool:
        return (self.folder / "cur").is_dir() or (self.folder / "new").is_dir()

    def _paths(self) -> dict[str, Path]:
        if not self._inside(self.folder):
            logger.warning("Mail folder %s leaves its area %s; not reading it", self.folder, self.confine_to)
            raise SourceError("The mail folder is outside your mail area.", kind=FailureKind.PERMANENT)
        if not self.folder.is_dir():
            logger.warning("Mail folder %s does not exist or is not a folder", self.folder)
            raise SourceError(
                "The mail folder does not exist or is not a folder. Upload your mail again on the settings page.",
                kind=FailureKind.PERMANENT,
            )
        found: dict[str, Path] = {}
        try:
            if self.is_maildir():
                for sub in ("new", "cur"):
                    directory = self.folder / sub
                    if not directory.is_dir():
                        continue
                    for path in directory.iterdir():
                        if path.is_file() and not path.name.startswith(".") and self._inside(path):
                            found[path.name.split(":", 1)[0]] = path
            else:
                for path in self.folder.rglob("*.eml"):
                    if path.is_file() and self._inside(path):
                        found[path.relative_to(self.folder).as_posix()] = path
        except OSError as e:
            logger.warning("Could not list mail folder %s: %s", self.folder, e)
            raise SourceError(
                f"Could not list the mail folder ({e.strerror or 'unreadable'}).", kind=FailureKind.TRANSIENT
            ) from e
        return found

    def list_new(self, checkpoint: str) -> Listing:
        paths = self._paths()

        def order(item: tuple[str, Path]) -> tuple[int, str]:
            try:
                return (item[1].stat().st_mtime_ns, item[0])
            except OSError:
                return (0, item[0])

        ordered = [message_id for message_id, _ in sorted(paths.items(), key=order)]
        return Listing(message_ids=ordered, checkpoint="")

    def fetch(
        self, message_ids: Iterable[str], *, wants_body: WantsBody | None = None
    ) -> Iterator[FetchedMessage]:
        """Each file is read once; with ``wants_body`` a message it declines is handed over headers-only, so
        its body is never parsed."""
        paths = self._paths()
        for message_id in message_ids:
            path = paths.get(message_id)
            if path is None:
                yield FetchedMessage(
                    message_id=message_id, error="The message file is no longer in the folder."
                )
                continue
            try:
                raw = self._read(path)
            except OSError as e:
                yield FetchedMessage(message_id=message_id, error=f"Could not read {path.name}: {e.strerror}")
            else:
                head = FetchedMessage(message_id=message_id, raw=raw, headers_only=True)
                if wants_body is not None and not wants_body(head):
                    yield head
                else:
                    yield FetchedMessage(message_id=message_id, raw=raw)

    def _read(self, path: Path) -> bytes:
        if self.confine_to is None:
            return path.read_bytes()
        # Checked again at read time, and the checked path is the one opened, without following a last
        # symlink: a file swapped for a symlink since the listing is refused, not read.
        resolved = path.resolve()
        if not resolved.is_relative_to(self.confine_to):
            logger.warning("Mail file %s leaves its area %s; not reading it", path, self.confine_to)
            raise OSError(0, "it is outside your mail area")
        descriptor = os.open(resolved, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as file:
            return file.read()
