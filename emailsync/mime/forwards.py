"""Forwarded mail: how a forward is recognised, and where the forwarded message sits in a text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .quotes import _HEADER_LINE, own_words_end, quote_header

# How the parser introduces a message/rfc822 attachment in the text, like Gmail does a forward.
FORWARD_BANNER = "---------- Forwarded message ---------"


def has_forward_marker(text: str) -> bool:
    lines = text.split("\n")
    for i in range(len(lines)):
        kind, _ = quote_header(lines, i)
        if kind == "forward":
            return True
        if kind:
            return False  # markers inside quoted history belong to an older message
    return False


FORWARD_SUBJECT = re.compile(r"^\s*(\[[^\]]*\]\s*)?(fwd?|wg|tr|rv|enc)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class ForwardedRegion:
    """Where a forward sits in a message's text (offsets into it): ``text[:marker_start]`` is the
    forwarder's own note, ``text[text_start:text_end]`` the forwarded message's own words, without its
    header lines and without its quoted history and signature."""

    marker_start: int
    text_start: int
    text_end: int


def is_forward_subject(subject: str) -> bool:
    """Whether ``subject`` marks a forward ("Fwd:", "FW:", "WG:", "TR:", "RV:", "ENC:")."""
    return bool(FORWARD_SUBJECT.match(subject))


def forwarded_region(text: str, *, forwarded: bool = False) -> ForwardedRegion | None:
    """The first forward in ``text`` (as :func:`reply_text` keeps it), or None.

    With ``forwarded=True`` (the subject says it is a forward) an Outlook "From:/Sent:" header block or an
    "Original Message" separator starts the forward too, as in :func:`reply_text`.

    A marker inside quoted history belongs to an older message and does not count. The forwarded
    message's words start below its header lines ("From:", "To:", "Subject:"…, which Apple Mail puts
    after a blank line), or, with no header lines, after the first blank line below the marker; a forward
    with no words of its own gives None.
    """
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for i in range(len(lines)):
        kind, _ = quote_header(lines, i)
        if not kind:
            continue
        if kind != "forward" and not (forwarded and kind in {"outlook", "separator"}):
            return None  # quoted history comes first: any marker below it is an older message's
        first = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), len(lines))
        after_headers = first
        while after_headers < len(lines) and _HEADER_LINE.match(lines[after_headers]):
            after_headers += 1
        if after_headers > first:
            begin = next((j for j in range(after_headers, len(lines)) if lines[j].strip()), None)
        else:
            blank = next((j for j in range(i + 1, len(lines)) if not lines[j].strip()), None)
            begin = blank + 1 if blank is not None else None
        if begin is None or begin >= len(lines):
            return None
        end = own_words_end(lines, begin)
        text_end = min(starts[end], len(text)) if end < len(lines) else len(text)
        return ForwardedRegion(marker_start=starts[i], text_start=starts[begin], text_end=text_end)
    return None


# The forwarded message's header names, in the languages the forward markers are recognised in.
_HEADER_NAMES = {
    "from": re.compile(r"from|von|de|van|od|från|fra|от|da", re.IGNORECASE),
    "to": re.compile(r"to|an|à|a|para|aan|till|til|do|кому", re.IGNORECASE),
    "cc": re.compile(r"cc|kopie", re.IGNORECASE),
}


def forwarded_headers(text: str, region: ForwardedRegion) -> dict[str, str]:
    """The forwarded message's From, To and Cc lines as written ("Sam Lee <sam@example.com>"), keyed
    "from", "to" and "cc"; a header the forward does not show is absent."""
    headers: dict[str, str] = {}
    for line in text[region.marker_start : region.text_start].split("\n"):
        m = re.match(r"^\s*\*?([^\W\d_]+)\s*:\*?\s*(.*)$", line)
        if not m:
            continue
        for key, names in _HEADER_NAMES.items():
            if names.fullmatch(m.group(1)) and key not in headers:
                headers[key] = m.group(2).strip()
    return headers
