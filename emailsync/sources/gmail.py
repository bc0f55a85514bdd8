"""Gmail as a mail source, through google-api-python-client with the user's own grant.

- First sync (no checkpoint): the checkpoint is taken first from ``users.getProfile`` (so nothing slips
  through), then the newest inbox messages of the last ``GMAIL_INITIAL_SYNC_DAYS`` days, at most
  ``GMAIL_INITIAL_SYNC_MAX`` of them. Never "all mail".
- Later syncs: ``users.history.list`` from the checkpoint, every page, messages added to the inbox only,
  deduplicated; the response's ``historyId`` becomes the next checkpoint even when nothing was added. A 404
  means the checkpoint is too old: ``STALE_CHECKPOINT``, and the sync service falls back to a full sync.
- Bodies: headers and labels first (``messages.get(format="metadata")`` with ``TRIAGE_HEADERS``), then
  ``messages.get(format="raw")`` only for the messages the sync wants (not bulk mail), each in batches of at
  most ``GMAIL_BATCH_SIZE`` (≤ 50) sent to ``GMAIL_BATCH_URI``. Parts that fail inside a batch are sent
  again in a new batch after a backoff.
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
from emailsync.sources import FailureKind, FetchedMessage, Listing, SourceError, WantsBody

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
# The headers read before a body (``format=metadata``): what decides bulk mail and the skip list, and what
# the receipt records.
TRIAGE_HEADERS = (
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "List-Unsubscribe",
    "List-Id",
    "Precedence",
    "Auto-Submitted",
)
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

    def fetch(
        self, message_ids: Sequence[str], *, wants_body: WantsBody | None = None
    ) -> Iterator[FetchedMessage]:
        ids = list(dict.fromkeys(message_ids))
        size = max(1, min(settings.GMAIL_BATCH_SIZE, 50))
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            if wants_body is None:
                yield from self._fetch_batch(chunk, "raw")
            else:
                yield from self._fetch_triaged(chunk, wants_body)

    def _fetch_triaged(self, ids: list[str], wants_body: WantsBody) -> Iterator[FetchedMessage]:
        """Headers and labels first (``format=metadata``), then the raw bodies of the messages ``wants_body``
        takes, each step one batch; handed over in the order of ``ids``. A source error after part of the
        work hands over what was read, in order, before it is raised."""
        heads: list[FetchedMessage] = []
        bodies: dict[str, FetchedMessage] = {}
        wanted: set[str] = set()
        try:
            heads.extend(self._fetch_batch(ids, "metadata"))
            wanted = {head.message_id for head in heads if not head.error and wants_body(head)}
            bodies.update((body.message_id, body) for body in self._fetch_batch(list(wanted), "raw"))
        except SourceError:
            yield from _in_order(heads, wanted, bodies)
            raise
        yield from _in_order(heads, wanted, bodies)

    def _fetch_batch(self, ids: list[str], format_: str) -> Iterator[FetchedMessage]:
        results: dict[str, FetchedMessage] = {}
        pending = ids
        round_number = 0
        while pending:
            failures = self._send_batch(pending, results, format_)
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

    def _send_batch(
        self, ids: list[str], results: dict[str, FetchedMessage], format_: str
    ) -> dict[str, GoogleApiError]:
        """Send one batch of ``messages.get`` (``format_`` "raw", or "metadata" for the headers that decide
        bulk mail; ``execute`` retries the whole batch). Fills ``results`` and returns the parts that failed
        inside the batch."""
        messages = self.service.users().messages()
        collector = _BatchCollector()
        batch = BatchHttpRequest(callback=collector, batch_uri=settings.GMAIL_BATCH_URI)
        for message_id in ids:
            if format_ == "metadata":
                request = messages.get(
                    userId="me", id=message_id, format="metadata", metadataHeaders=list(TRIAGE_HEADERS)
                )
            else:
                request = messages.get(userId="me", id=message_id, format="raw")
            batch.add(request, request_id=message_id)
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
        if response and "raw" not in response and "payload" in response:
            self.received[request_id] = _headers_only(request_id, response)
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


def _in_order(
    heads: list[FetchedMessage], wanted: set[str], bodies: dict[str, FetchedMessage]
) -> Iterator[FetchedMessage]:
    """Each message as read: headers-only unless its body was wanted. Stops at the first wanted body not
    read (a source error): the rest stay pending."""
    for head in heads:
        if head.message_id not in wanted:
            yield head
        elif head.message_id in bodies:
            yield bodies[head.message_id]
        else:
            return


def _headers_only(message_id: str, response: dict[str, Any]) -> FetchedMessage:
    """A ``format=metadata`` answer as a headers-only message: its headers as an RFC 5322 header block."""
    headers = response["payload"].get("headers", [])
    block = "".join(f"{header.get('name', '')}: {header.get('value', '')}\r\n" for header in headers)
    return FetchedMessage(
        message_id=message_id,
        raw=(block + "\r\n").encode("utf-8", "surrogateescape"),
        labels=tuple(response.get("labelIds", ())),
        thread_id=str(response.get("threadId", "")),
        headers_only=True,
    )


def _part_error(error: GoogleApiError) -> str:
    if error.kind in (GoogleErrorKind.NOT_FOUND, GoogleErrorKind.GONE):
        return "The message is no longer in Gmail."
    return f"Gmail could not read this message: {error}"
