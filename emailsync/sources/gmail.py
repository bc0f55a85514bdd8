"""Gmail as a mail source, through google-api-python-client with the user's own grant.

- First sync (no checkpoint): the checkpoint is taken first from ``users.getProfile`` (so nothing slips
  through), then the newest inbox messages of the last ``GMAIL_INITIAL_SYNC_DAYS`` days, at most
  ``GMAIL_INITIAL_SYNC_MAX`` of them. Never "all mail".
- Later syncs: ``users.history.list`` from the checkpoint, every page, messages added to the inbox only,
  deduplicated; the response's ``historyId`` becomes the next checkpoint even when nothing was added. A 404
  means the checkpoint is too old: ``STALE_CHECKPOINT``, and the sync service falls back to a full sync.
- Bodies: ``messages.get(format="raw")`` in batches of at most ``GMAIL_BATCH_SIZE`` (≤ 50) sent to
  ``GMAIL_BATCH_URI``. Parts that fail inside a batch are sent again in a new batch after a backoff.
- Errors: calls go through ``accounts.google.client.execute`` (retries included); what is left arrives
  graded as a ``GoogleApiError`` and maps onto ``FailureKind`` (``FAILURE_KINDS``): rate limits →
  ``RATE_LIMITED`` with Retry-After (this mailbox backs off), 5xx and timeouts → ``TRANSIENT``, a lost
  grant → ``NEEDS_RECONNECT``.

A source is built per sync, with its own HTTP connection: httplib2 is not thread-safe.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings
from googleapiclient.http import BatchHttpRequest

from accounts.google.client import MAX_INLINE_WAIT_SECONDS, backoff_sleep, execute, google_service
from accounts.google.errors import GoogleApiError, GoogleErrorKind, grade
from emailsync.models import Mailbox
from emailsync.sources import FailureKind, FetchedMessage, Listing, SourceError

logger = logging.getLogger(__name__)

INBOX = "INBOX"
HISTORY_PAGE_SIZE = 500
# What each graded Google failure means for a mail source; anything else is PERMANENT.
FAILURE_KINDS = {
    GoogleErrorKind.RATE_LIMITED: FailureKind.RATE_LIMITED,
    GoogleErrorKind.UNAVAILABLE: FailureKind.TRANSIENT,
    GoogleErrorKind.NO_ANSWER: FailureKind.TRANSIENT,
    GoogleErrorKind.TOKEN_UNAVAILABLE: FailureKind.TRANSIENT,
    GoogleErrorKind.UNAUTHORIZED: FailureKind.NEEDS_RECONNECT,
    GoogleErrorKind.GRANT_LOST: FailureKind.NEEDS_RECONNECT,
    GoogleErrorKind.SERVER_MISCONFIGURED: FailureKind.SERVER_MISCONFIGURED,
}
# Failures inside a batch that a new batch after a backoff may get past.
PART_RETRY_KINDS = (GoogleErrorKind.RATE_LIMITED, GoogleErrorKind.UNAVAILABLE)


def source_error(error: GoogleApiError, what: str) -> SourceError:
    return SourceError(
        f"Gmail, {what}: {error}",
        kind=FAILURE_KINDS.get(error.kind, FailureKind.PERMANENT),
        retry_after=error.retry_after,
    )


def _decode_raw(raw: str) -> bytes:
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


class GmailSource:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self._service: Any = None

    @classmethod
    def for_mailbox(cls, mailbox: Mailbox) -> GmailSource:
        return cls(mailbox)

    @property
    def service(self) -> Any:
        if self._service is None:
            try:
                self._service = google_service(
                    user=self.mailbox.user, api="gmail", version="v1", endpoint=settings.GMAIL_API_ENDPOINT
                )
            except GoogleApiError as e:
                raise source_error(e, "connecting") from e
        return self._service

    def _execute(self, request: Any, what: str) -> dict[str, Any]:
        try:
            result: dict[str, Any] = execute(request)
        except GoogleApiError as e:
            raise source_error(e, what) from e
        return result

    # Listing

    def list_new(self, checkpoint: str) -> Listing:
        if not checkpoint:
            return self._list_recent()
        return self._list_history(checkpoint)

    def _list_recent(self) -> Listing:
        users = self.service.users()
        profile = self._execute(users.getProfile(userId="me"), "reading the mailbox profile")
        history_id = str(profile["historyId"])
        limit = settings.GMAIL_INITIAL_SYNC_MAX
        ids: list[str] = []
        seen: set[str] = set()
        page_token: str | None = None
        while len(ids) < limit:
            response = self._execute(
                users.messages().list(
                    userId="me",
                    labelIds=[INBOX],
                    q=f"newer_than:{settings.GMAIL_INITIAL_SYNC_DAYS}d",
                    maxResults=min(500, limit - len(ids)),
                    pageToken=page_token,
                    includeSpamTrash=False,
                    fields="messages(id,threadId),nextPageToken",
                ),
                "listing recent messages",
            )
            for message in response.get("messages", []):
                if message["id"] not in seen:
                    seen.add(message["id"])
                    ids.append(message["id"])
            page_token = response.get("nextPageToken")
            if not page_token:
                break
        return Listing(message_ids=ids[:limit], checkpoint=history_id)

    def _list_history(self, checkpoint: str) -> Listing:
        history = self.service.users().history()
        ids: list[str] = []
        seen: set[str] = set()
        newest = checkpoint
        page_token: str | None = None
        while True:
            request = history.list(
                userId="me",
                startHistoryId=checkpoint,
                historyTypes=["messageAdded"],
                labelId=INBOX,
                maxResults=HISTORY_PAGE_SIZE,
                pageToken=page_token,
            )
            try:
                response = execute(request)
            except GoogleApiError as e:
                if e.kind is GoogleErrorKind.NOT_FOUND:
                    raise SourceError(
                        f"Gmail no longer has the changes since history id {checkpoint} (HTTP 404).",
                        kind=FailureKind.STALE_CHECKPOINT,
                    ) from e
                raise source_error(e, "listing new messages") from e
            for record in response.get("history", []):
                for added in record.get("messagesAdded", []):
                    message = added.get("message", {})
                    message_id = message.get("id")
                    # Sent mail and drafts are added without the INBOX label.
                    if not message_id or INBOX not in message.get("labelIds", [INBOX]):
                        continue
                    if message_id not in seen:
                        seen.add(message_id)
                        ids.append(message_id)
            if response.get("historyId") and int(response["historyId"]) > int(newest):
                newest = str(response["historyId"])
            page_token = response.get("nextPageToken")
            if not page_token:
                break
        return Listing(message_ids=ids, checkpoint=newest)

    # Fetching

    def fetch(self, message_ids: Sequence[str]) -> Iterator[FetchedMessage]:
        ids = list(dict.fromkeys(message_ids))
        size = max(1, min(settings.GMAIL_BATCH_SIZE, 50))
        for start in range(0, len(ids), size):
            yield from self._fetch_batch(ids[start : start + size])

    def _fetch_batch(self, ids: list[str]) -> Iterator[FetchedMessage]:
        results: dict[str, FetchedMessage] = {}
        pending = ids
        round_number = 0
        while pending:
            failures = self._send_batch(pending, results)
            retry = [
                message_id
                for message_id in pending
                if message_id in failures and failures[message_id].kind in PART_RETRY_KINDS
            ]
            for message_id, error in failures.items():
                if message_id not in retry:
                    results[message_id] = FetchedMessage(message_id=message_id, error=_part_error(error))
            if not retry:
                break
            round_number += 1
            wait = max((failures[m].retry_after or 0.0 for m in retry), default=0.0)
            rate_limited = any(failures[m].kind is GoogleErrorKind.RATE_LIMITED for m in retry)
            if round_number > settings.GMAIL_BATCH_RETRY_ROUNDS or wait > MAX_INLINE_WAIT_SECONDS:
                if rate_limited:
                    # Hand over what was read, then defer the mailbox; the checkpoint stays where it was.
                    yield from (results[m] for m in ids if m in results)
                    raise SourceError(
                        f"Gmail rate-limited reading {len(retry)} message(s).",
                        kind=FailureKind.RATE_LIMITED,
                        retry_after=wait or None,
                    )
                for message_id in retry:
                    results[message_id] = FetchedMessage(
                        message_id=message_id, error=_part_error(failures[message_id])
                    )
                break
            logger.info(
                "Mailbox %s: %d message(s) failed inside a batch, sending them again",
                self.mailbox.pk,
                len(retry),
            )
            backoff_sleep(round_number, at_least=wait)
            pending = retry
        for message_id in ids:
            if message_id in results:
                yield results[message_id]

    def _send_batch(self, ids: list[str], results: dict[str, FetchedMessage]) -> dict[str, GoogleApiError]:
        """Send one batch of ``messages.get(format=raw)`` (``execute`` retries the whole batch). Fills
        ``results`` and returns the parts that failed inside the batch."""
        messages = self.service.users().messages()
        collector = _BatchCollector()
        batch = BatchHttpRequest(callback=collector, batch_uri=settings.GMAIL_BATCH_URI)
        for message_id in ids:
            batch.add(messages.get(userId="me", id=message_id, format="raw"), request_id=message_id)
        try:
            execute(batch, http=self.service._http)
        except GoogleApiError as e:
            raise source_error(e, "reading messages") from e
        results.update(collector.received)
        return collector.failures


class _BatchCollector:
    """The callback of one batch: bodies read, and the parts that failed (graded)."""

    def __init__(self) -> None:
        self.received: dict[str, FetchedMessage] = {}
        self.failures: dict[str, GoogleApiError] = {}

    def __call__(self, request_id: str, response: dict[str, Any] | None, exception: Exception | None) -> None:
        if exception is not None:
            self.failures[request_id] = grade(exception)
            return
        try:
            raw = _decode_raw((response or {})["raw"])
        except (KeyError, TypeError, ValueError):
            self.received[request_id] = FetchedMessage(
                message_id=request_id, error="Gmail sent no readable body."
            )
            return
        assert response is not None
        self.received[request_id] = FetchedMessage(
            message_id=request_id,
            raw=raw,
            labels=tuple(response.get("labelIds", ())),
            thread_id=str(response.get("threadId", "")),
        )


def _part_error(error: GoogleApiError) -> str:
    if error.kind in (GoogleErrorKind.NOT_FOUND, GoogleErrorKind.GONE):
        return "The message is no longer in Gmail."
    return f"Gmail could not read this message: {error}"
