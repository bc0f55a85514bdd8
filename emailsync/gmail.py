"""Gmail as a mail source, through google-api-python-client with the user's own grant.

- First sync (no checkpoint): the checkpoint is taken first from ``users.getProfile`` (so nothing slips
  through), then the newest inbox messages of the last ``GMAIL_INITIAL_SYNC_DAYS`` days, at most
  ``GMAIL_INITIAL_SYNC_MAX`` of them. Never "all mail".
- Later syncs: ``users.history.list`` from the checkpoint, every page, messages added to the inbox only,
  deduplicated; the response's ``historyId`` becomes the next checkpoint even when nothing was added. A 404
  means the checkpoint is too old: ``STALE_CHECKPOINT``, and the sync service falls back to a full sync.
- Bodies: ``messages.get(format="raw")`` in batches of at most ``GMAIL_BATCH_SIZE`` (≤ 50) sent to
  ``GMAIL_BATCH_URI``. Parts that fail inside a batch are sent again in a new batch after a backoff.
- Errors: every call has ``num_retries``; what is left after the retries is graded: 429 and rate-limit 403
  → ``RATE_LIMITED`` with Retry-After (this mailbox backs off), 5xx and timeouts → ``TRANSIENT``, a lost
  grant → ``NEEDS_RECONNECT``.

A source is built per sync, with its own HTTP connection: httplib2 is not thread-safe.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import random
import socket
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httplib2
from django.conf import settings
from django.utils import timezone
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest

from accounts.google_auth import GoogleAuthError, GrantLost, ServerMisconfigured, google_service
from emailsync.models import Mailbox
from emailsync.sources import FailureKind, FetchedMessage, Listing, SourceError

logger = logging.getLogger(__name__)

INBOX = "INBOX"
RATE_LIMIT_REASONS = {
    "rateLimitExceeded",
    "userRateLimitExceeded",
    "RATE_LIMIT_EXCEEDED",
    "RESOURCE_EXHAUSTED",
}
SCOPE_REASONS = {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "PERMISSION_DENIED"}
# Longest wait between batch rounds spent inside the worker; a longer Retry-After defers the mailbox.
MAX_INLINE_WAIT_SECONDS = 10.0
HISTORY_PAGE_SIZE = 500
NETWORK_ERRORS = (socket.timeout, TimeoutError, ConnectionError, OSError, httplib2.HttpLib2Error)


def _reason(error: HttpError) -> str:
    try:
        data = json.loads(error.content or b"{}")
        body = data.get("error", {}) if isinstance(data, dict) else {}
        if not isinstance(body, dict):
            return ""
        errors = body.get("errors") or []
        if errors and isinstance(errors[0], dict) and errors[0].get("reason"):
            return str(errors[0]["reason"])
        return str(body.get("status", ""))
    except (ValueError, AttributeError):
        return ""


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def is_rate_limited(error: HttpError) -> bool:
    status = error.resp.status
    return status == 429 or (status == 403 and _reason(error) in RATE_LIMIT_REASONS)


def _is_retryable(error: HttpError) -> bool:
    return is_rate_limited(error) or error.resp.status >= 500


def source_error(error: HttpError, what: str) -> SourceError:
    status = error.resp.status
    if is_rate_limited(error):
        return SourceError(
            f"Gmail rate-limited {what} (HTTP {status}).",
            kind=FailureKind.RATE_LIMITED,
            retry_after=retry_after_seconds(error.resp.get("retry-after")),
        )
    if status >= 500:
        return SourceError(f"Gmail failed while {what} (HTTP {status}).", kind=FailureKind.TRANSIENT)
    if status == 401 or (status == 403 and _reason(error) in SCOPE_REASONS):
        return SourceError(
            f"Gmail refused our access while {what} (HTTP {status}: {_reason(error) or 'unauthorized'}).",
            kind=FailureKind.NEEDS_RECONNECT,
        )
    return SourceError(f"Gmail refused {what} (HTTP {status} {_reason(error)}).", kind=FailureKind.PERMANENT)


def _auth_source_error(error: GoogleAuthError) -> SourceError:
    if isinstance(error, GrantLost):
        return SourceError(str(error), kind=FailureKind.NEEDS_RECONNECT)
    if isinstance(error, ServerMisconfigured):
        return SourceError(str(error), kind=FailureKind.SERVER_MISCONFIGURED)
    return SourceError(str(error), kind=FailureKind.TRANSIENT if error.transient else FailureKind.PERMANENT)


def _sleep_backoff(round_number: int, at_least: float = 0.0) -> None:
    # Jitter spreads the retries of many workers.
    base = random.uniform(0.5, 1.0) * 2**round_number * settings.GOOGLE_RETRY_BASE_MS / 1000
    time.sleep(max(base, at_least))


def _decode_raw(raw: str) -> bytes:
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


class GmailSource:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self._service: Any = None

    @property
    def service(self) -> Any:
        if self._service is None:
            try:
                self._service = google_service(
                    user=self.mailbox.user, api="gmail", version="v1", endpoint=settings.GMAIL_API_ENDPOINT
                )
            except GoogleAuthError as e:
                raise _auth_source_error(e) from e
        return self._service

    def _execute(self, request: Any, what: str) -> dict[str, Any]:
        try:
            result: dict[str, Any] = request.execute(num_retries=settings.GOOGLE_NUM_RETRIES)
        except HttpError as e:
            raise source_error(e, what) from e
        except GoogleAuthError as e:
            raise _auth_source_error(e) from e
        except NETWORK_ERRORS as e:
            raise SourceError(
                f"Gmail could not be reached while {what} ({type(e).__name__}).", kind=FailureKind.TRANSIENT
            ) from e
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
                response = request.execute(num_retries=settings.GOOGLE_NUM_RETRIES)
            except HttpError as e:
                if e.resp.status == 404:
                    raise SourceError(
                        f"Gmail no longer has the changes since history id {checkpoint} (HTTP 404).",
                        kind=FailureKind.STALE_CHECKPOINT,
                    ) from e
                raise source_error(e, "listing new messages") from e
            except GoogleAuthError as e:
                raise _auth_source_error(e) from e
            except NETWORK_ERRORS as e:
                raise SourceError(
                    f"Gmail could not be reached while listing new messages ({type(e).__name__}).",
                    kind=FailureKind.TRANSIENT,
                ) from e
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
                if message_id in failures and _is_retryable(failures[message_id])
            ]
            for message_id, error in failures.items():
                if message_id not in retry:
                    results[message_id] = FetchedMessage(message_id=message_id, error=_part_error(error))
            if not retry:
                break
            round_number += 1
            waits = [
                retry_after_seconds(failures[m].resp.get("retry-after")) or 0.0
                for m in retry
                if is_rate_limited(failures[m])
            ]
            wait = max(waits, default=0.0)
            rate_limited = any(is_rate_limited(failures[m]) for m in retry)
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
            _sleep_backoff(round_number, at_least=wait)
            pending = retry
        for message_id in ids:
            if message_id in results:
                yield results[message_id]

    def _send_batch(self, ids: list[str], results: dict[str, FetchedMessage]) -> dict[str, HttpError]:
        """Send one batch of ``messages.get(format=raw)``, retrying the whole batch on 5xx, rate limits and
        network errors. Fills ``results`` and returns the parts that failed inside the batch."""
        messages = self.service.users().messages()
        attempts = settings.GOOGLE_NUM_RETRIES + 1
        for attempt in range(attempts):
            collector = _BatchCollector()
            batch = BatchHttpRequest(callback=collector, batch_uri=settings.GMAIL_BATCH_URI)
            for message_id in ids:
                batch.add(messages.get(userId="me", id=message_id, format="raw"), request_id=message_id)
            try:
                batch.execute(http=self.service._http)
            except BatchError as e:
                # A reply that is not a well-formed multipart answer (a proxy, a cut connection).
                if attempt == attempts - 1:
                    raise SourceError(
                        f"Gmail sent a malformed batch reply while reading messages: {e.reason}",
                        kind=FailureKind.TRANSIENT,
                    ) from e
                _sleep_backoff(attempt + 1)
                continue
            except HttpError as e:
                if not _is_retryable(e) or attempt == attempts - 1:
                    raise source_error(e, "reading messages") from e
                wait = retry_after_seconds(e.resp.get("retry-after")) or 0.0
                if wait > MAX_INLINE_WAIT_SECONDS:
                    raise source_error(e, "reading messages") from e
                _sleep_backoff(attempt + 1, at_least=wait)
                continue
            except GoogleAuthError as e:
                raise _auth_source_error(e) from e
            except NETWORK_ERRORS as e:
                if attempt == attempts - 1:
                    raise SourceError(
                        f"Gmail could not be reached while reading messages ({type(e).__name__}).",
                        kind=FailureKind.TRANSIENT,
                    ) from e
                _sleep_backoff(attempt + 1)
                continue
            results.update(collector.received)
            return collector.failures
        raise AssertionError("unreachable")  # pragma: no cover


class _BatchCollector:
    """The callback of one batch: bodies read, and the parts that failed with an HTTP error."""

    def __init__(self) -> None:
        self.received: dict[str, FetchedMessage] = {}
        self.failures: dict[str, HttpError] = {}

    def __call__(self, request_id: str, response: dict[str, Any] | None, exception: Exception | None) -> None:
        if exception is not None:
            if isinstance(exception, HttpError):
                self.failures[request_id] = exception
            else:
                self.received[request_id] = FetchedMessage(message_id=request_id, error=str(exception)[:500])
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


def _part_error(error: HttpError) -> str:
    status = error.resp.status
    if status in (404, 410):
        return "The message is no longer in Gmail."
    return f"Gmail could not read this message (HTTP {status} {_reason(error)})."
