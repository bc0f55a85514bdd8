"""Mail a user uploads (``.eml`` files, or an ``.mbox`` such as a Google Takeout export), stored as one
``.eml`` file per message in their local mail area, where the local folder source reads it.

Each message is named by the SHA-256 of its bytes, so uploading the same file again adds nothing: the file
is already there, or its receipt (keyed by the relative path) says it was read. Files are written to a
temporary name and renamed, so a sync never reads half a message and a failed upload leaves nothing
half-written behind.

Uploaded mail is read once: after a sync, each uploaded file whose message is done or skipped is deleted
(``uploads_read_remove``), so we keep no copy of bulk mail and no raw email beyond the stored text that
``MESSAGE_BODY_RETENTION_DAYS`` bounds. Files of messages that failed stay, for the retry.
"""

from __future__ import annotations

import hashlib
import logging
import mailbox
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from emailsync.models import Mailbox, MessageReceipt
from emailsync.sources.local import local_mail_area, mailbox_confining_area, path_inside

logger = logging.getLogger(__name__)

UPLOAD_FOLDER = "uploads"
# A message needs a sender and one more header we would expect of any email; a text file, a PDF or a
# picture has neither.
_OTHER_HEADERS = ("Date", "Message-ID", "Subject", "To")


class UploadRejected(ValueError):
    """The upload cannot be stored; the message says why in words for the user (no server path)."""


@dataclass(frozen=True)
class UploadOutcome:
    added: int  # new messages stored
    already_there: int  # messages uploaded before (same bytes)
    not_email: int  # entries of an mbox that were not emails, left out


def looks_like_email(raw: bytes) -> bool:
    if not raw.strip():
        return False
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:65536], headersonly=True)
    return bool(headers["From"]) and any(headers[name] for name in _OTHER_HEADERS)


def size_label(size: int) -> str:
    """A size in words for users: "50 MB", "2.5 MB", "200 kB"."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, size // 1000)} kB"


def upload_check(files: Sequence[UploadedFile], *, waiting: int = 0) -> None:
    """Refuse the whole upload before anything is stored: a wrong extension, an empty file, too much (in
    this upload, or with the ``waiting`` bytes of earlier uploads not yet read), a file that is not an
    email, an mbox without any (a quick first pass over it, still streamed)."""
    if not files:
        raise UploadRejected("Choose one or more .eml files, or one .mbox file.")
    limit = settings.MAIL_UPLOAD_MAX_BYTES
    total = sum(file.size or 0 for file in files)
    if total > limit:
        raise UploadRejected(
            f"That upload is {size_label(total)}; the limit is {size_label(limit)} per upload. "
            "Upload fewer files at a time."
        )
    room = settings.MAIL_AREA_MAX_BYTES
    if waiting + total > room:
        raise UploadRejected(
            f"{size_label(waiting)} of mail you uploaded is still waiting to be read, and at most "
            f"{size_label(room)} may wait. Press “Sync emails” first, then upload the rest. Nothing was stored."
        )
    for file in files:
        name = file.name or "the file"
        extension = Path(name).suffix.lower()
        if extension not in (".eml", ".mbox"):
            raise UploadRejected(f"“{name}” is not an .eml or .mbox file. Nothing was stored.")
        if not file.size:
            raise UploadRejected(f"“{name}” is empty. Nothing was stored.")
        if extension == ".eml" and not looks_like_email(_read_all(file)):
            raise UploadRejected(f"“{name}” is not an email. Nothing was stored.")
        if extension == ".mbox" and not any(looks_like_email(raw) for raw in _mbox_messages(file)):
            raise UploadRejected(
                f"“{name}” holds no emails: it is empty or not an mbox file. Nothing was stored."
            )


def upload_store(
    *, folder: Path, area: Path, files: Sequence[UploadedFile], already_read: Callable[[str], bool]
) -> UploadOutcome:
    """Store checked files (see ``upload_check``) as messages under ``folder / uploads``.

    ``already_read(message_id)`` says whether the mailbox read a message before (its file is gone by then).
    """
    target = folder / UPLOAD_FOLDER
    # Checked before creating anything and again after: only a symlink put there on the server can lead
    # out of the area, and nothing is ever written through one.
    for when in ("before", "after"):
        if not path_inside(target, area):
            logger.error("Upload folder %s leaves the mail area %s; refusing the upload", target, area)
            raise UploadRejected("Your mail area cannot be written to. Please tell the site's operator.")
        if when == "before":
            target.mkdir(parents=True, exist_ok=True)
    added = already_there = not_email = 0

    def store(raw: bytes) -> None:
        nonlocal added, already_there
        name = _message_name(raw)
        if already_read(f"{UPLOAD_FOLDER}/{name}") or not _store_message(target / name, raw):
            already_there += 1
        else:
            added += 1

    for file in files:
        if Path(file.name or "").suffix.lower() == ".mbox":
            for raw in _mbox_messages(file):
                if looks_like_email(raw):
                    store(raw)
                else:
                    not_email += 1
        else:
            store(_read_all(file))
    return UploadOutcome(added=added, already_there=already_there, not_email=not_email)


def uploads_read_remove(*, mailbox: Mailbox) -> int:
    """Delete the uploaded files of this mailbox whose messages are done or skipped. Returns how many.

    Only files this module wrote are touched: ``uploads/<sha256>.eml`` in a folder inside the owner's area.
    """
    area = mailbox_confining_area(mailbox)
    folder = Path(mailbox.location)
    if area is None or not path_inside(folder / UPLOAD_FOLDER, area):
        return 0
    try:
        names = [path.name for path in (folder / UPLOAD_FOLDER).glob("*.eml")]
    except OSError:
        return 0
    read = MessageReceipt.objects.filter(
        mailbox=mailbox,
        status__in=[MessageReceipt.Status.DONE, MessageReceipt.Status.SKIPPED],
        message_id__in=[f"{UPLOAD_FOLDER}/{name}" for name in names],
    ).values_list("message_id", flat=True)
    removed = 0
    for message_id in read:
        try:
            (folder / message_id).unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed


def uploads_waiting_bytes(*, folder: Path) -> int:
    """The bytes of uploaded messages under ``folder`` that no sync has read (and so deleted) yet."""
    try:
        return sum(path.stat().st_size for path in (folder / UPLOAD_FOLDER).glob("*.eml"))
    except OSError:
        return 0


def mail_area_remove(*, user_id: int) -> None:
    """Delete a user's whole mail area: uploads, a demo copy, folders they connected inside it."""
    shutil.rmtree(local_mail_area(user_id), ignore_errors=True)


def _read_all(file: UploadedFile) -> bytes:
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data


def _message_name(raw: bytes) -> str:
    return f"{hashlib.sha256(raw).hexdigest()}.eml"


def _store_message(path: Path, raw: bytes) -> bool:
    """Write one message at ``path``; False when it is already there."""
    if path.exists():
        return False
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(raw)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


@contextmanager
def _on_disk(file: UploadedFile) -> Iterator[str]:
    """A path to the upload's bytes: Django's temporary file when it streamed one, else a copy."""
    temporary_file_path = getattr(file, "temporary_file_path", None)
    if temporary_file_path is not None:
        yield temporary_file_path()
        return
    with tempfile.NamedTemporaryFile(suffix=".mbox") as copy:
        file.seek(0)
        shutil.copyfileobj(file, copy)
        copy.flush()
        yield copy.name


def _mbox_messages(file: UploadedFile) -> Iterator[bytes]:
    """Each message of an mbox, one at a time: a Takeout export of gigabytes is never held in memory."""
    with _on_disk(file) as path:
        box = mailbox.mbox(path, create=False)
        try:
            for key in box.iterkeys():
                yield box.get_bytes(key)
        finally:
            box.close()
