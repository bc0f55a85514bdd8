"""Forwarded mail: how a forward is recognised, and where the forwarded message sits in a text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .quotes import quote_header

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
    """Where a forward sits in a message's text: ``text[:marker_start]`` is the forwarder's own note,
    ``text[text_start:]`` the forwarded message's own text (its header lines skipped)."""

    marker_start: int
    text_start: int


def forwarded_region(text: str) -> ForwardedRegion | None:
    """The first forward in ``text`` (as :func:`reply_text` keeps it), or None.

    A marker inside quoted history belongs to an older message and does not count. The forwarded text
    starts after the first blank line below the marker, where the forwarded headers end; a forward with
    no such line has no text of its own.
    """
    lines = text.split("\n")
    offset = 0
    for i, line in enumerate(lines):
        kind, _ = quote_header(lines, i)
        if kind == "forward":
            headers_end = _BLANK_LINE.search(text, offset + len(line))
            if headers_end is None:
                return None
            return ForwardedRegion(marker_start=offset, text_start=headers_end.end())
        if kind:
            return None
        offset += len(line) + 1
    return None


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
