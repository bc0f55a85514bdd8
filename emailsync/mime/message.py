"""``parse_message``: raw RFC 5322 bytes to a :class:`ParsedMessage`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from email import policy
from email.message import Message
from email.parser import BytesParser

from .body import Body, collect_body
from .decoding import PARSE_ERRORS
from .forwards import FORWARD_SUBJECT, has_forward_marker
from .headers import (
    addresses,
    collapse,
    decode_header_value,
    first_raw,
    header_items,
    message_ids,
    parse_date,
    strip_id,
)
from .html_text import clean_text
from .invites import CalendarInvite, calendar_invites, dedupe_invites
from .quotes import reply_text


class MessageParseError(Exception):
    """The input cannot be handled as an email message; ``str(e)`` says why."""


@dataclass
class ParsedMessage:
    message_id: str
    subject: str
    sender: str
    sender_name: str
    to: list[str]
    date: datetime | None
    in_reply_to: str
    references: list[str]
    headers: dict[str, str]
    full_text: str
    text: str
    html_only: bool
    forwarded: bool
    invites: list[CalendarInvite] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    # Display names of the To and Cc addresses, by address (an address without a name is absent), so the
    # extractor can tell "Bob, could you…" is for bob@ and not for the reader.
    recipient_names: dict[str, str] = field(default_factory=dict)


def _parse_structure(raw: bytes) -> Message:
    try:
        return BytesParser(policy=policy.default).parsebytes(raw)
    except PARSE_ERRORS:
        # policy.default can raise on some malformed headers; compat32 is more tolerant.
        return BytesParser(policy=policy.compat32).parsebytes(raw)


def _looks_like_email(headers: list[tuple[str, str]]) -> bool:
    names = {name.lower() for name, _ in headers}
    known = {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "received",
        "mime-version",
        "content-type",
        "return-path",
        "delivered-to",
        "cc",
        "sender",
        "reply-to",
    }
    return bool(names & known)


def _build(msg: Message, *, with_body: bool = True) -> ParsedMessage:
    raw_headers = header_items(msg)
    if not _looks_like_email(raw_headers):
        raise MessageParseError("no email headers found (not an RFC 5322 message)")

    headers: dict[str, str] = {}
    for name, value in raw_headers:
        # First occurrence wins: for the headers bulk detection needs, the topmost is the sender's.
        headers.setdefault(name.lower(), collapse(decode_header_value(value)))

    senders = addresses(first_raw(raw_headers, "from"))
    to = addresses(first_raw(raw_headers, "to"))
    cc = addresses(first_raw(raw_headers, "cc"))
    sender_name, sender = senders[0] if senders else ("", "")
    message_date = parse_date(first_raw(raw_headers, "date"))
    fallback_tz: tzinfo = message_date.tzinfo if message_date and message_date.tzinfo else UTC

    body = Body()
    invites: list[CalendarInvite] = []
    if with_body:
        collect_body(msg, body, fallback_tz)
        invites = dedupe_invites(calendar_invites(msg, fallback_tz) + body.invites)
    full_text = clean_text("\n\n".join(body.chunks))
    subject = collapse(headers.get("subject", ""))
    forwarded = body.attached_message or has_forward_marker(full_text) or bool(FORWARD_SUBJECT.match(subject))

    return ParsedMessage(
        message_id=strip_id(headers.get("message-id", "")),
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        to=[addr for _, addr in to],
        date=message_date,
        in_reply_to=next(iter(message_ids(headers.get("in-reply-to", ""))), ""),
        references=message_ids(headers.get("references", "")),
        headers=headers,
        full_text=full_text,
        text=reply_text(full_text, forwarded=forwarded),
        html_only=body.used_html and not body.used_plain,
        forwarded=forwarded,
        invites=invites,
        cc=[addr for _, addr in cc],
        recipient_names={addr: name for name, addr in reversed(to + cc) if name},
    )


def parse_headers(raw: bytes) -> ParsedMessage:
    """Parse the header block of raw email bytes (all of a message, or its headers alone) and leave the body
    unread: the text fields are empty. Cheap enough to decide whether the body is worth reading (bulk
    mail is not). Raises :class:`MessageParseError` if the headers are not an email's."""
    data = bytes(raw)
    for parse_policy in (policy.default, policy.compat32):
        try:
            return _build(
                BytesParser(policy=parse_policy).parsebytes(data, headersonly=True), with_body=False
            )
        except MessageParseError:
            raise
        except Exception as exc:
            failure = exc
    raise MessageParseError(f"unreadable headers: {type(failure).__name__}: {failure}") from failure


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw email bytes. Raises :class:`MessageParseError` only if the input is not an email."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise MessageParseError(f"expected raw message bytes, got {type(raw).__name__}")
    data = bytes(raw)
    if not data.strip():
        raise MessageParseError("empty message")
    if b"\x00" in data[:2048] and not _looks_like_email(header_items(_parse_structure(data))):
        raise MessageParseError("binary data, not an email message")
    try:
        return _build(_parse_structure(data))
    except MessageParseError:
        raise
    except Exception:
        # Something in policy.default's lazy header/MIME handling blew up: retry with compat32,
        # which keeps headers as plain strings.
        fallback = BytesParser(policy=policy.compat32).parsebytes(data)
    try:
        return _build(fallback)
    except MessageParseError:
        raise
    except Exception as exc:
        raise MessageParseError(f"unreadable message structure: {type(exc).__name__}: {exc}") from exc
