"""Header values: RFC 2047 encoded words, raw 8-bit bytes, addresses, message ids and dates."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import warnings
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from dateutil import parser as dateutil_parser

from .decoding import PARSE_ERRORS, decode_bytes

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
# Whitespace between two encoded words is not displayed (RFC 2047 section 6.2).
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")


def _decode_encoded_word(match: re.Match[str]) -> str:
    charset, encoding, text = match.group(1), match.group(2).lower(), match.group(3)
    try:
        if encoding == "b":
            cleaned = text.rstrip("=")
            data = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        else:
            data = quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return decode_bytes(data, charset)


def decode_header_value(value: str | bytes | None) -> str:
    """Decode a raw header value leniently: RFC 2047 words anywhere, raw 8-bit bytes, folding."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = decode_bytes(value)
    else:
        value = str(value)
        # email stores raw 8-bit header bytes as surrogate escapes.
        if re.search(r"[\udc80-\udcff]", value):
            value = decode_bytes(value.encode("utf-8", errors="surrogateescape"))
    value = re.sub(r"\r?\n[ \t]*", " ", value)
    value = _BETWEEN_WORDS.sub(r"\1\2", value)
    # Unlike email.header, decode encoded words glued to text or inside quotes: clients do that.
    value = _ENCODED_WORD.sub(_decode_encoded_word, value)
    return value.replace("\x00", "")


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def header_items(msg: Message) -> list[tuple[str, str]]:
    try:
        return [(str(name), str(value)) for name, value in msg.raw_items()]
    except PARSE_ERRORS:
        return []


def first_raw(headers: list[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def strip_id(value: str) -> str:
    return value.strip().strip("<>").strip()


def message_ids(value: str) -> list[str]:
    found = re.findall(r"<([^<>\s]+)>", value)
    return found or [tok for tok in (t.strip("<>,") for t in value.split()) if tok]


_EMAIL_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def addresses(raw: str) -> list[tuple[str, str]]:
    """(display name, lowercased address) pairs; names decoded after splitting so commas survive."""
    unfolded = re.sub(r"\r?\n[ \t]*", " ", raw)
    if re.search(r"[\udc80-\udcff]", unfolded):
        unfolded = decode_header_value(unfolded)
    pairs: list[tuple[str, str]] = []
    try:
        parsed = getaddresses([unfolded])
    except PARSE_ERRORS:
        parsed = []
    for name, addr in parsed:
        if "@" in addr:
            pairs.append((collapse(decode_header_value(name)).strip("\"'"), addr.strip().lower()))
    if not pairs:
        # getaddresses gives up on some malformed lists; scavenge bare addresses instead.
        pairs = [("", a.lower()) for a in _EMAIL_RE.findall(decode_header_value(unfolded))]
    return pairs


def parse_date(value: str) -> datetime | None:
    value = collapse(value)
    if not value:
        return None
    parsed: datetime | None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is None:
        try:
            # dateutil warns (and will later raise) on unknown zone names; either way: no zone -> UTC.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = dateutil_parser.parse(re.sub(r"\([^)]*\)", "", value), fuzzy=True)
        except (ValueError, OverflowError, TypeError, LookupError):
            return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        # "-0000" or no zone at all: UTC is the only defensible reading.
        parsed = parsed.replace(tzinfo=UTC)
    return within_every_zone(parsed)


# No zone is more than a day from UTC: an instant between these has a date on every clock.
_FIRST_INSTANT = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LAST_INSTANT = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def within_every_zone(moment: datetime) -> datetime | None:
    """``moment``, or None when some clock cannot show it: "31 Dec 9999 23:00 -1200" is in year 10000 in UTC,
    where every time is stored (each save of its receipt would fail), and "1 Jan 0001 00:00 UTC" is in year 0
    in New York (the page showing it would fail). Such a date is no date."""
    try:
        instant = moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment if _FIRST_INSTANT <= instant <= _LAST_INSTANT else None
