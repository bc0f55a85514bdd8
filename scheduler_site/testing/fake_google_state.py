"""The data behind the fake Google: users, their mailboxes and calendars, and Google's error shapes.

Everything here is plain data guarded by one lock owned by `FakeGoogle`; the HTTP handlers in
`fake_google_gmail`, `fake_google_calendar` and `fake_google_oauth` read and change it.
"""

from __future__ import annotations

import copy
import datetime as dt
import email
import email.message
import email.policy
import email.utils
import http
import itertools
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fake_google import FakeGoogle
    from .fake_google_oauth import Grant

SCOPE_OPENID = "openid"
SCOPE_EMAIL = "https://www.googleapis.com/auth/userinfo.email"
SCOPE_PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
SCOPE_GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
SCOPE_CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events"
# What the product asks for at sign-in; `FakeGoogle.grant()` uses it by default.
DEFAULT_SCOPES = (SCOPE_OPENID, SCOPE_EMAIL, SCOPE_PROFILE, SCOPE_GMAIL_READONLY, SCOPE_CALENDAR_EVENTS)
# Google accepts the short names at the authorize endpoint and reports the long ones.
SCOPE_ALIASES = {"email": SCOPE_EMAIL, "profile": SCOPE_PROFILE}

SYSTEM_LABELS = frozenset(
    {
        "INBOX",
        "SPAM",
        "TRASH",
        "UNREAD",
        "STARRED",
        "IMPORTANT",
        "SENT",
        "DRAFT",
        "CHAT",
        "CATEGORY_PERSONAL",
        "CATEGORY_SOCIAL",
        "CATEGORY_PROMOTIONS",
        "CATEGORY_UPDATES",
        "CATEGORY_FORUMS",
    }
)
DEFAULT_LABELS = ("INBOX", "UNREAD", "CATEGORY_PERSONAL")

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class Reply:
    """One HTTP answer: status, body and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(payload, indent=2).encode(), headers=dict(headers or {}))


@dataclass
class Call:
    """One request as a handler sees it, whether it came over HTTP or inside a batch."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route's path template
    user: FakeUser | None = None
    grant: Grant | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "false").lower() == "true"

    def int_arg(self, name: str, default: int, maximum: int) -> int:
        raw = self.arg(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(f"Invalid value for {name}: {raw}") from None
        if value < 1:
            raise bad_request(f"Invalid value for {name}: {raw}")
        return min(value, maximum)

    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.body or b"{}")
        except ValueError:
            raise api_error(400, "parseError", "Parse Error") from None
        if not isinstance(body, dict):
            raise api_error(400, "parseError", "Parse Error")
        return body

    def form(self) -> dict[str, str]:
        """Form fields from an urlencoded or JSON body, then the query string (OAuth endpoints take all)."""
        fields = {name: values[0] for name, values in self.query.items()}
        if self.headers.get("content-type", "").startswith("application/json") and self.body:
            try:
                fields.update({k: str(v) for k, v in json.loads(self.body).items()})
            except (ValueError, AttributeError):
                pass
        else:
            fields.update(dict(urllib.parse.parse_qsl(self.body.decode("utf-8", "replace"))))
        return fields


Handler = Callable[["FakeGoogle", Call], Reply]


@dataclass(frozen=True)
class Route:
    """`name` is Google's method id (`gmail.users.messages.get`); faults and the request log use it.

    `scopes` is None for endpoints without a bearer token, else the scopes of which the token needs one.
    """

    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler
    scopes: frozenset[str] | None = None


def route(
    method: str, template: str, name: str, handler: Handler, scopes: Iterable[str] | None = None
) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(
        method, re.compile(f"^{regex}$"), name, handler, None if scopes is None else frozenset(scopes)
    )


class GoogleError(Exception):
    """An error answer in Google's own shape; raised by handlers, turned into a `Reply` by the server."""

    def __init__(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {payload}")
        self.status = status
        self.payload = payload
        self.headers = dict(headers or {})

    def reply(self) -> Reply:
        return Reply.json(self.status, self.payload, self.headers)


def api_error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    headers: dict[str, str] | None = None,
    **detail: str,
) -> GoogleError:
    """The error body Google's JSON APIs send: `{"error": {"code", "message", "errors": [...], "status"}}`."""
    item = {"message": message, "domain": domain, "reason": reason, **detail}
    body = {"code": status, "message": message, "errors": [item]}
    if status in _STATUS_NAMES:
        body["status"] = _STATUS_NAMES[status]
    return GoogleError(status, {"error": body}, headers)


def not_found() -> GoogleError:
    return api_error(404, "notFound", "Requested entity was not found.")


def bad_request(message: str, reason: str = "invalidArgument") -> GoogleError:
    return api_error(400, reason, message)


def unauthenticated() -> GoogleError:
    return api_error(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
        "other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        location="Authorization",
        locationType="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
    )


# The bodies `FakeGoogle.fail()` sends unless told otherwise: what Google sends for these statuses.
_DEFAULT_FAILURES: dict[int, tuple[str, str, str]] = {
    400: ("badRequest", "Bad Request", "global"),
    401: ("authError", "Invalid Credentials", "global"),
    403: ("userRateLimitExceeded", "User Rate Limit Exceeded", "usageLimits"),
    404: ("notFound", "Requested entity was not found.", "global"),
    429: ("rateLimitExceeded", "Too many concurrent requests for user.", "usageLimits"),
    500: ("backendError", "Backend Error", "global"),
    503: ("backendError", "The service is currently unavailable.", "global"),
}


def injected_error(status: int, *, reason: str | None = None, message: str | None = None) -> GoogleError:
    default_reason, default_message, domain = _DEFAULT_FAILURES.get(
        status, ("backendError" if status >= 500 else "badRequest", http.HTTPStatus(status).phrase, "global")
    )
    if reason == "rateLimitExceeded" and status == 403:
        default_message = "Rate Limit Exceeded"
    return api_error(status, reason or default_reason, message or default_message, domain=domain)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value)


def _crlf(raw: bytes) -> bytes:
    """Gmail stores and returns messages with CRLF line ends, whatever the sender used."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


@dataclass
class StoredMessage:
    """One Gmail message as the mailbox holds it."""

    id: str
    thread_id: str
    raw: bytes
    label_ids: list[str]
    internal_date_ms: int
    history_id: int
    deleted: bool = False

    @property
    def parsed(self) -> email.message.Message:
        # compat32 keeps header values exactly as written, which is what Gmail returns.
        return email.message_from_bytes(self.raw, policy=email.policy.compat32)

    def headers(self) -> list[tuple[str, str]]:
        return [(name, _unfold(str(value))) for name, value in self.parsed.items()]


@dataclass
class HistoryRecord:
    id: int
    kind: str  # messageAdded, messageDeleted, labelAdded or labelRemoved
    message_id: str
    thread_id: str
    label_ids: list[str]  # the message's labels right after the change
    changed_labels: list[str]


class FakeUser:
    """One Google account: a Gmail mailbox with history, and a primary calendar.

    Build it with `FakeGoogle.add_user()`; the methods below change state the way mail arriving or the
    user acting in Gmail would, recording history like Gmail does.
    """

    def __init__(
        self,
        *,
        email_address: str,
        name: str,
        sub: str,
        time_zone: str,
        first_history_id: int,
        lock: threading.RLock,
        new_message_id: Callable[[], str],
        clock: Callable[[], float],
    ) -> None:
        self.email = email_address
        self.name = name
        self.sub = sub
        self.time_zone = time_zone
        self.messages: dict[str, StoredMessage] = {}
        self.history: list[HistoryRecord] = []
        self.history_id = first_history_id
        # A startHistoryId below this is answered with 404, like an id older than Gmail keeps.
        self.oldest_valid_history_id = first_history_id
        self.events: dict[str, dict[str, Any]] = {}
        self.consented_clients: set[str] = set()
        self._lock = lock
        self._new_message_id = new_message_id
        self._clock = clock
        self._etags = itertools.count(1)

    def __repr__(self) -> str:
        return f"<FakeUser {self.email}>"

    @property
    def given_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def family_name(self) -> str:
        return self.name.split(" ", 1)[1] if " " in self.name else ""

    def add_message(
        self,
        raw: bytes | str | email.message.Message,
        *,
        labels: Iterable[str] = DEFAULT_LABELS,
        thread_id: str | None = None,
        internal_date: dt.datetime | None = None,
    ) -> StoredMessage:
        """Deliver a message: it gets an id, a thread, an internalDate and a `messageAdded` history record.

        `internal_date` defaults to the message's Date header, else now.
        """
        if isinstance(raw, email.message.Message):
            raw = raw.as_bytes()
        elif isinstance(raw, str):
            raw = raw.encode()
        label_ids = _check_labels(labels)
        raw = _crlf(raw)
        if internal_date is None:
            date_header = email.message_from_bytes(raw, policy=email.policy.compat32).get("Date")
            parsed = email.utils.parsedate_to_datetime(date_header) if date_header else None
            internal_date = (
                parsed if parsed and parsed.tzinfo else dt.datetime.fromtimestamp(self._clock(), dt.UTC)
            )
        with self._lock:
            message_id = self._new_message_id()
            message = StoredMessage(
                id=message_id,
                thread_id=thread_id or message_id,
                raw=raw,
                label_ids=label_ids,
                internal_date_ms=int(internal_date.timestamp() * 1000),
                history_id=0,
            )
            self.messages[message_id] = message
            message.history_id = self._record("messageAdded", message, [])
            return message

    def add_labels(self, message_id: str, labels: Iterable[str]) -> None:
        with self._lock:
            message = self._message(message_id)
            added = [label for label in _check_labels(labels) if label not in message.label_ids]
            message.label_ids.extend(added)
            if added:
                self._record("labelAdded", message, added)

    def remove_labels(self, message_id: str, labels: Iterable[str]) -> None:
        with self._lock:
            message = self._message(message_id)
            removed = [label for label in labels if label in message.label_ids]
            message.label_ids = [label for label in message.label_ids if label not in removed]
            if removed:
                self._record("labelRemoved", message, removed)

    def delete_message(self, message_id: str) -> None:
        """Delete for good (not trash): later gets answer 404 and history records `messageDeleted`."""
        with self._lock:
            message = self._message(message_id)
            message.deleted = True
            self._record("messageDeleted", message, [])

    def prune_history(self, *, before: int | None = None) -> None:
        """Forget history up to `before` (default: all of it), as Gmail does after about a week.

        A later `history.list` with a `startHistoryId` below that point is answered with 404.
        """
        with self._lock:
            cutoff = self.history_id if before is None else before
            self.history = [record for record in self.history if record.id > cutoff]
            self.oldest_valid_history_id = max(self.oldest_valid_history_id, cutoff)

    def live_messages(self) -> list[StoredMessage]:
        with self._lock:
            return [message for message in self.messages.values() if not message.deleted]

    def calendar_events(self, *, include_cancelled: bool = False) -> list[dict[str, Any]]:
        """A copy of the primary calendar's events, for assertions."""
        with self._lock:
            return [
                copy.deepcopy(event)
                for event in self.events.values()
                if include_cancelled or event["status"] != "cancelled"
            ]

    def add_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Put an event on the calendar without going through the API (e.g. existing busy time)."""
        from .fake_google_calendar import event_create

        with self._lock:
            return copy.deepcopy(event_create(self, event))

    def next_etag(self) -> str:
        return f'"{3_100_000_000_000_000 + next(self._etags)}"'

    def now(self) -> float:
        return self._clock()

    def _message(self, message_id: str) -> StoredMessage:
        message = self.messages.get(message_id)
        if message is None or message.deleted:
            raise KeyError(f"{self.email} has no message {message_id}")
        return message

    def _record(self, kind: str, message: StoredMessage, changed: list[str]) -> int:
        self.history_id += 1
        self.history.append(
            HistoryRecord(
                id=self.history_id,
                kind=kind,
                message_id=message.id,
                thread_id=message.thread_id,
                label_ids=list(message.label_ids),
                changed_labels=list(changed),
            )
        )
        return self.history_id


def _check_labels(labels: Iterable[str]) -> list[str]:
    result = list(dict.fromkeys(labels))
    for label in result:
        if label not in SYSTEM_LABELS and not label.startswith("Label_"):
            raise ValueError(f"{label!r} is neither a Gmail system label nor a user label id (Label_...)")
    return result
