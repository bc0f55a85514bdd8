"""Gmail API v1, the parts the product reads: getProfile, messages.list/get, attachments.get, history.list.

Paths are the ones google-api-python-client builds from the gmail v1 discovery document with
`client_options={"api_endpoint": <server root>}`: `/gmail/v1/users/{userId}/...`.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.message
import html
import json
import re
import shlex
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .fake_google_state import (
    Call,
    FakeUser,
    Reply,
    StoredMessage,
    api_error,
    bad_request,
    not_found,
    route,
)

if TYPE_CHECKING:
    from .fake_google import FakeGoogle

READ_SCOPES = {
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://mail.google.com/",
}
FORMATS = ("full", "metadata", "minimal", "raw")
# Gmail reads dates in queries as midnight Pacific time.
_QUERY_ZONE = zoneinfo.ZoneInfo("America/Los_Angeles")
_CATEGORIES = {
    "primary": "CATEGORY_PERSONAL",
    "personal": "CATEGORY_PERSONAL",
    "social": "CATEGORY_SOCIAL",
    "promotions": "CATEGORY_PROMOTIONS",
    "updates": "CATEGORY_UPDATES",
    "forums": "CATEGORY_FORUMS",
}
_UNITS = {"d": 86_400, "m": 30 * 86_400, "y": 365 * 86_400}

Predicate = Callable[[StoredMessage], bool]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _mailbox(call: Call) -> FakeUser:
    """`userId` is `me` or the account's own address; anything else is delegation, which Google refuses."""
    assert call.user is not None
    if call.params["userId"] not in ("me", call.user.email):
        raise api_error(403, "forbidden", f"Delegation denied for {call.user.email}")
    return call.user


def _token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _untoken(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise bad_request("Invalid pageToken") from None


def get_profile(google: FakeGoogle, call: Call) -> Reply:
    user = _mailbox(call)
    with google.lock:
        live = user.live_messages()
        return Reply.json(
            200,
            {
                "emailAddress": user.email,
                "messagesTotal": len(live),
                "threadsTotal": len({message.thread_id for message in live}),
                "historyId": str(user.history_id),
            },
        )


def _date_bound(value: str) -> float:
    if value.isdigit():
        return float(value)
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", value)
    if not match:
        raise bad_request(f"Invalid date in query: {value}")
    year, month, day = (int(part) for part in match.groups())
    return dt.datetime(year, month, day, tzinfo=_QUERY_ZONE).timestamp()


def _term(term: str, now: float) -> tuple[Predicate, bool]:
    """One query term as a predicate, and whether it names spam or trash (which then count)."""
    operator, _, value = term.partition(":")
    operator, value = operator.lower(), value.lower()
    if operator == "in" and value == "anywhere":
        return (lambda m: True), True
    if operator in ("in", "label"):
        label = (
            value.upper()
            if value.upper()
            in ("INBOX", "SPAM", "TRASH", "SENT", "DRAFT", "STARRED", "IMPORTANT", "UNREAD", "CHAT")
            else term.partition(":")[2]
        )
        return (lambda m: label in m.label_ids), label in ("SPAM", "TRASH")
    if operator == "category" and value in _CATEGORIES:
        category = _CATEGORIES[value]
        return (lambda m: category in m.label_ids), False
    if operator == "is" and value in ("unread", "read", "starred", "important"):
        label = "UNREAD" if value in ("unread", "read") else value.upper()
        wanted = value != "read"
        return (lambda m: (label in m.label_ids) == wanted), False
    if operator in ("newer_than", "older_than"):
        match = re.fullmatch(r"(\d+)([dmy])", value)
        if not match:
            raise bad_request(f"Invalid {operator} value in query: {value}")
        cutoff_ms = (now - int(match.group(1)) * _UNITS[match.group(2)]) * 1000
        if operator == "newer_than":
            return (lambda m: m.internal_date_ms >= cutoff_ms), False
        return (lambda m: m.internal_date_ms < cutoff_ms), False
    if operator in ("after", "before"):
        bound_ms = _date_bound(value) * 1000
        if operator == "after":
            return (lambda m: m.internal_date_ms >= bound_ms), False
        return (lambda m: m.internal_date_ms < bound_ms), False
    # Free text and other operators need Gmail's search index; refuse loudly rather than answer wrongly.
    raise bad_request(f"The fake Google does not implement the search term {term!r}")


def _negate(predicate: Predicate) -> Predicate:
    return lambda message: not predicate(message)


def _query(q: str, now: float) -> tuple[list[Predicate], bool]:
    predicates: list[Predicate] = []
    names_spam_or_trash = False
    for raw_term in shlex.split(q):
        negated = raw_term.startswith("-")
        predicate, names = _term(raw_term.lstrip("-"), now)
        names_spam_or_trash |= names and not negated
        predicates.append(_negate(predicate) if negated else predicate)
    return predicates, names_spam_or_trash


def list_messages(google: FakeGoogle, call: Call) -> Reply:
    user = _mailbox(call)
    label_ids = call.args("labelIds")
    predicates, names_spam_or_trash = _query(call.arg("q") or "", google.clock())
    include_spam_trash = (
        call.flag("includeSpamTrash") or names_spam_or_trash or bool({"SPAM", "TRASH"} & set(label_ids))
    )
    page_size = call.int_arg("maxResults", 100, 500)
    with google.lock:
        matching = [
            message
            for message in user.live_messages()
            if all(label in message.label_ids for label in label_ids)
            and (include_spam_trash or not {"SPAM", "TRASH"} & set(message.label_ids))
            and all(predicate(message) for predicate in predicates)
        ]
    # Newest first; the page token is the sort key of the last message sent, so mail arriving between
    # pages neither shifts nor repeats what follows.
    matching.sort(key=lambda m: (m.internal_date_ms, m.id), reverse=True)
    if call.arg("pageToken"):
        after = tuple(_untoken(call.arg("pageToken") or ""))
        matching = [m for m in matching if (m.internal_date_ms, m.id) < after]
    page = matching[:page_size]
    result: dict[str, Any] = {}
    if page:
        result["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
    if len(matching) > page_size:
        result["nextPageToken"] = _token([page[-1].internal_date_ms, page[-1].id])
    result["resultSizeEstimate"] = len(matching)
    return Reply.json(200, result)


def _decoded(part: email.message.Message) -> bytes:
    """A leaf's body with its Content-Transfer-Encoding undone, as Gmail hands it out."""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _children(part: email.message.Message) -> list[email.message.Message]:
    payload = part.get_payload()
    return (
        [child for child in payload if isinstance(child, email.message.Message)]
        if isinstance(payload, list)
        else []
    )


def _snippet(message: email.message.Message) -> str:
    text = ""
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html") and not part.get_filename():
            text = _decoded(part).decode(part.get_content_charset() or "utf-8", "replace")
            if part.get_content_type() == "text/html":
                text = html.unescape(re.sub(r"<[^>]+>", " ", text))
            break
    text = " ".join(text.split())[:200]
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def attachment_id(message_id: str, part_id: str) -> str:
    return "ANGjdJ" + _b64(f"{message_id}:{part_id}".encode()).rstrip("=")


def _payload(message_id: str, part: email.message.Message, part_id: str) -> dict[str, Any]:
    """One node of Gmail's parsed MIME tree: headers as written, bodies decoded and base64url-encoded."""
    node: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": [
            {"name": name, "value": re.sub(r"\r?\n(?=[ \t])", "", str(value))} for name, value in part.items()
        ],
    }
    children = _children(part)
    if part.get_content_maintype() == "multipart" and children:
        prefix = f"{part_id}." if part_id else ""
        node["body"] = {"size": 0}
        node["parts"] = [
            _payload(message_id, child, f"{prefix}{index}") for index, child in enumerate(children)
        ]
        return node
    data = (
        children[0].as_bytes() if part.get_content_type() == "message/rfc822" and children else _decoded(part)
    )
    node["body"] = {"size": len(data)}
    if node["filename"]:
        node["body"]["attachmentId"] = attachment_id(message_id, part_id)
    else:
        node["body"]["data"] = _b64(data)
    return node


def _find_message(user: FakeUser, message_id: str) -> StoredMessage:
    if not re.fullmatch(r"[0-9a-f]{1,24}", message_id):
        raise bad_request("Invalid id value")
    message = user.messages.get(message_id)
    if message is None or message.deleted:
        raise not_found()
    return message


def get_message(google: FakeGoogle, call: Call) -> Reply:
    user = _mailbox(call)
    format_ = call.arg("format", "full") or "full"
    if format_ not in FORMATS:
        raise bad_request(
            f"Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.Format), \"{format_}\""
        )
    with google.lock:
        message = _find_message(user, call.params["id"])
        parsed = message.parsed
        result: dict[str, Any] = {
            "id": message.id,
            "threadId": message.thread_id,
            "labelIds": list(message.label_ids),
            "snippet": _snippet(parsed),
            "sizeEstimate": len(message.raw),
            "historyId": str(message.history_id),
            "internalDate": str(message.internal_date_ms),
        }
    if format_ == "raw":
        result["raw"] = _b64(message.raw)
    elif format_ == "full":
        result["payload"] = _payload(message.id, parsed, "")
    elif format_ == "metadata":
        wanted = {name.lower() for name in call.args("metadataHeaders")}
        result["payload"] = {
            "partId": "",
            "mimeType": parsed.get_content_type(),
            "filename": "",
            "headers": [
                {"name": name, "value": value}
                for name, value in message.headers()
                if not wanted or name.lower() in wanted
            ],
            "body": {"size": 0},
        }
    return Reply.json(200, result)


def get_attachment(google: FakeGoogle, call: Call) -> Reply:
    user = _mailbox(call)
    with google.lock:
        message = _find_message(user, call.params["messageId"])
        tree = _payload(message.id, message.parsed, "")
    stack = [tree]
    while stack:
        node = stack.pop()
        stack.extend(node.get("parts", []))
        if node["body"].get("attachmentId") == call.params["id"]:
            part = _part_by_id(message.parsed, node["partId"])
            data = _decoded(part)
            return Reply.json(200, {"size": len(data), "data": _b64(data)})
    raise not_found()


def _part_by_id(message: email.message.Message, part_id: str) -> email.message.Message:
    part = message
    for index in part_id.split(".") if part_id else []:
        part = _children(part)[int(index)]
    return part


_HISTORY_KEYS = {
    "messageAdded": "messagesAdded",
    "messageDeleted": "messagesDeleted",
    "labelAdded": "labelsAdded",
    "labelRemoved": "labelsRemoved",
}
_HISTORY_TYPES = tuple(_HISTORY_KEYS)


def list_history(google: FakeGoogle, call: Call) -> Reply:
    user = _mailbox(call)
    raw_start = call.arg("startHistoryId")
    if raw_start is None:
        raise bad_request("Required parameter: startHistoryId", "required")
    if not raw_start.isdigit():
        raise bad_request(f"Invalid value for startHistoryId: {raw_start}")
    start = int(raw_start)
    types = call.args("historyTypes") or list(_HISTORY_TYPES)
    for kind in types:
        if kind not in _HISTORY_TYPES:
            raise bad_request(f"Invalid value for historyTypes: {kind}")
    label = call.arg("labelId")
    page_size = call.int_arg("maxResults", 100, 500)
    with google.lock:
        if start < user.oldest_valid_history_id:
            raise not_found()
        after = int(_untoken(call.arg("pageToken") or "")) if call.arg("pageToken") else start
        records = [
            record
            for record in user.history
            if record.id > after
            and record.kind in types
            and (label is None or label in record.label_ids or label in record.changed_labels)
        ]
        current = user.history_id
    page = records[:page_size]
    result: dict[str, Any] = {}
    if page:
        result["history"] = [_history_json(record) for record in page]
    if len(records) > page_size:
        result["nextPageToken"] = _token(page[-1].id)
    result["historyId"] = str(current)
    return Reply.json(200, result)


def _history_json(record: Any) -> dict[str, Any]:
    message = {"id": record.message_id, "threadId": record.thread_id}
    change: dict[str, Any] = {"message": {**message, "labelIds": list(record.label_ids)}}
    if record.kind in ("labelAdded", "labelRemoved"):
        change["labelIds"] = list(record.changed_labels)
    key = _HISTORY_KEYS[record.kind]
    return {"id": str(record.id), "messages": [message], key: [change]}


ROUTES = [
    route("GET", "/gmail/v1/users/{userId}/profile", "gmail.users.getProfile", get_profile, READ_SCOPES),
    route(
        "GET", "/gmail/v1/users/{userId}/messages", "gmail.users.messages.list", list_messages, READ_SCOPES
    ),
    route(
        "GET", "/gmail/v1/users/{userId}/messages/{id}", "gmail.users.messages.get", get_message, READ_SCOPES
    ),
    route(
        "GET",
        "/gmail/v1/users/{userId}/messages/{messageId}/attachments/{id}",
        "gmail.users.messages.attachments.get",
        get_attachment,
        READ_SCOPES,
    ),
    route("GET", "/gmail/v1/users/{userId}/history", "gmail.users.history.list", list_history, READ_SCOPES),
]
