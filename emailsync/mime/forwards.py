"""Forwarded mail: how a forward is recognised, and where the forwarded message sits in a text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .quotes import own_words_end, quote_header

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


def forwarded_region(text: str) -> ForwardedRegion | None:
    """The first forward in ``text`` (as :func:`reply_text` keeps it), or None.

    A marker inside quoted history belongs to an older message and does not count. The forwarded
    message's words start after the first blank line below the marker, where its headers end; a forward
    with no such line has no words of its own and gives None.
    """
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for i in range(len(lines)):
        kind, _ = quote_header(lines, i)
        if not kind:
            continue
        if kind != "forward":
            return None  # quoted history comes first: any marker below it is an older message's
        blank = next((j for j in range(i + 1, len(lines)) if not lines[j].strip()), None)
        if blank is None:
            return None
        end = own_words_end(lines, blank + 1)
        text_end = min(starts[end], len(text)) if end < len(lines) else len(text)
        return ForwardedRegion(marker_start=starts[i], text_start=starts[blank + 1], text_end=text_end)
    return None
