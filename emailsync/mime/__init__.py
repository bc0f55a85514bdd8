"""Turn raw RFC 5322 email bytes into clean, typed data.

Pure Python (no Django). The parser is deliberately forgiving: real mailboxes contain
wrong charsets, broken encoded-words and odd MIME trees, and one bad message must never
stop a sync. :class:`MessageParseError` is raised only for input that is not an email at all.

One module per job: ``decoding`` (charsets), ``parts`` (MIME leaves), ``headers``, ``html_text``,
``invites`` (calendar parts), ``quotes`` (reply stripping), ``forwards``, ``body`` (the MIME walk) and
``message`` (``parse_message``).
"""

from __future__ import annotations

from .decoding import decode_bytes
from .forwards import (
    ForwardedRegion,
    forwarded_headers,
    forwarded_region,
    has_forward_marker,
    is_forward_subject,
)
from .headers import decode_header_value
from .html_text import clean_text, html_to_text
from .invites import CalendarInvite
from .message import MessageParseError, ParsedMessage, parse_headers, parse_message
from .quotes import reply_text

__all__ = [
    "CalendarInvite",
    "ForwardedRegion",
    "MessageParseError",
    "ParsedMessage",
    "clean_text",
    "decode_bytes",
    "decode_header_value",
    "forwarded_headers",
    "forwarded_region",
    "has_forward_marker",
    "html_to_text",
    "is_forward_subject",
    "parse_headers",
    "parse_message",
    "reply_text",
]
