"""Every way a Google call can fail, graded once into ``GoogleApiError(kind, status, reason, retry_after)``.

The seams (Gmail in ``emailsync.sources.gmail``, Calendar in ``tasks_app.calendars.google``) map ``kind`` onto their
own errors and never look at ``HttpError``, ``httplib2`` or ``socket``.
"""

from __future__ import annotations

import email.utils
import enum
import json
import socket
from typing import Any

import httplib2
from django.utils import timezone
from googleapiclient.errors import BatchError, HttpError

# A 403 with one of these reasons is a rate limit, not a refusal (Gmail and Calendar spell them differently).
RATE_LIMIT_REASONS = frozenset(
    {
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "quotaExceeded",
        "RATE_LIMIT_EXCEEDED",
        "RESOURCE_EXHAUSTED",
    }
)
# A 403 with one of these reasons means the grant lacks a scope: only signing in again can fix it.
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "PERMISSION_DENIED"})
NETWORK_ERRORS = (socket.timeout, TimeoutError, ConnectionError, OSError, httplib2.HttpLib2Error)


class GoogleErrorKind(enum.StrEnum):
    RATE_LIMITED = "rate_limited"  # 429 or a rate-limit 403: slow down, honour retry_after
    UNAVAILABLE = "unavailable"  # 5xx or a malformed batch reply: may clear by itself
    NO_ANSWER = "no_answer"  # timeout or cut connection: the request may or may not have been applied
    NOT_FOUND = "not_found"  # 404
    GONE = "gone"  # 410: deleted
    CONFLICT = "conflict"  # 409: e.g. an event id that is taken
    UNAUTHORIZED = "unauthorized"  # 401, or 403 for a scope the grant lacks
    REFUSED = "refused"  # any other 4xx: the same request fails again
    GRANT_LOST = "grant_lost"  # no usable grant: never connected, disconnected, or invalid_grant
    TOKEN_UNAVAILABLE = "token_unavailable"  # the token endpoint could not renew the access token just now
    TOKEN_REFUSED = "token_refused"  # the token endpoint refused for another reason than a lost grant
    SERVER_MISCONFIGURED = "server_misconfigured"  # our configuration (token keys): an administrator's job


# The opening words of the message for an HTTP answer of each kind.
_HTTP_PHRASES = {
    GoogleErrorKind.RATE_LIMITED: "Google rate-limited the request",
    GoogleErrorKind.UNAVAILABLE: "Google failed",
    GoogleErrorKind.NOT_FOUND: "Google found nothing there",
    GoogleErrorKind.GONE: "It is gone from Google",
    GoogleErrorKind.CONFLICT: "It already exists at Google",
    GoogleErrorKind.UNAUTHORIZED: "Google refused our access",
}


class GoogleApiError(Exception):
    """A Google call failed. ``status`` is the HTTP status when Google answered (None otherwise), ``reason``
    Google's own reason word (``rateLimitExceeded``, ``notFound``...), ``retry_after`` the seconds Google
    asked us to wait. The message is a sentence a user may see."""

    def __init__(
        self,
        message: str,
        *,
        kind: GoogleErrorKind,
        status: int | None = None,
        reason: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    @classmethod
    def from_http_error(cls, error: HttpError) -> GoogleApiError:
        status = int(error.resp.status)
        reason = http_error_reason(error)
        if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS):
            kind = GoogleErrorKind.RATE_LIMITED
        elif status >= 500:
            kind = GoogleErrorKind.UNAVAILABLE
        elif status == 401 or (status == 403 and reason in SCOPE_REASONS):
            kind = GoogleErrorKind.UNAUTHORIZED
        else:
            kind = {
                404: GoogleErrorKind.NOT_FOUND,
                409: GoogleErrorKind.CONFLICT,
                410: GoogleErrorKind.GONE,
            }.get(status, GoogleErrorKind.REFUSED)
        phrase = _HTTP_PHRASES.get(kind, "Google refused the request")
        return cls(
            f"{phrase} (HTTP {status} {reason}".rstrip() + ").",
            kind=kind,
            status=status,
            reason=reason,
            retry_after=retry_after_seconds(error.resp.get("retry-after"))
            if kind is GoogleErrorKind.RATE_LIMITED
            else None,
        )

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again soon may succeed."""
        return self.kind in (
            GoogleErrorKind.RATE_LIMITED,
            GoogleErrorKind.UNAVAILABLE,
            GoogleErrorKind.NO_ANSWER,
        )


def grade(error: BaseException) -> GoogleApiError:
    """The ``GoogleApiError`` for anything googleapiclient or httplib2 raised (or passed to a batch
    callback). Errors that are not Google's (a bug of ours) are not graded: they are raised again."""
    if isinstance(error, GoogleApiError):
        return error
    if isinstance(error, HttpError):
        return GoogleApiError.from_http_error(error)
    if isinstance(error, BatchError):
        # A reply that is not a well-formed multipart answer: a proxy, a cut connection.
        return GoogleApiError(
            f"Google sent a malformed batch reply ({error.reason}).",
            kind=GoogleErrorKind.UNAVAILABLE,
            status=int(error.resp.status) if error.resp is not None else None,
        )
    if isinstance(error, NETWORK_ERRORS):
        return GoogleApiError(
            f"Google could not be reached ({type(error).__name__}).", kind=GoogleErrorKind.NO_ANSWER
        )
    raise error


def http_error_reason(error: HttpError) -> str:
    """Google's reason word: ``error.errors[0].reason``, else the first ``error.details`` reason (newer
    APIs), else ``error.status`` (``RESOURCE_EXHAUSTED``)."""
    try:
        data = json.loads(error.content or b"{}")
    except (ValueError, TypeError):
        return ""
    body: Any = data.get("error", {}) if isinstance(data, dict) else {}
    if not isinstance(body, dict):
        return ""
    for key in ("errors", "details"):
        entries = body.get(key)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and entry.get("reason"):
                    return str(entry["reason"])
    return str(body.get("status", ""))


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
