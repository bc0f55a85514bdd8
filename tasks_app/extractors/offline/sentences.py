"""Cutting a body into sentences: running-text blocks, bullets, abbreviations, sign-offs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Sentence:
    text: str  # verbatim slice of the body
    start: int
    end: int


_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc", "ltd", "co",
    "corp", "approx", "no", "dept", "est", "a.m", "p.m", "u.s", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
}  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+|$)")
_BULLET = re.compile(r"^\s*(?:[-*•·]+|\d{1,2}[.)]|[a-z][.)])\s+")
# A sign-off: what follows is the author's name, not more requests.
_CLOSING = re.compile(
    r"^\s*(?:thanks|thank you|thx|cheers|best|best regards|kind regards|regards|warm regards|sincerely|"
    r"all the best|talk soon|br)[\s,.!]*$",
    re.IGNORECASE,
)


def _lines(body: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line, without its newline."""
    pos = 0
    for line in body.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        yield pos, pos + len(stripped)
        pos += len(line)


def _content_blocks(body: str) -> Iterator[tuple[int, int]]:
    """Spans of running text: blank lines, bullets and short lines end a block, a sign-off ends the text.

    The body arrives clean: the parser (``emailsync.mime.reply_text``) has already removed quoted history
    and signatures, so they are not looked for again here."""
    block_start: int | None = None
    block_end = 0
    for start, end in _lines(body):
        line = body[start:end]
        if _CLOSING.match(line):
            break
        if not line.strip():
            if block_start is not None:
                yield block_start, block_end
                block_start = None
            continue
        bullet = _BULLET.match(line)
        if bullet:
            if block_start is not None:
                yield block_start, block_end
            block_start, block_end = start + bullet.end(), end
            continue
        if block_start is None:
            block_start = start + (len(line) - len(line.lstrip()))
        block_end = end
        # A line that ends a sentence or is a salutation ("Hi Sam,") closes the block; a wrapped line
        # (no end punctuation) continues into the next.
        if re.search(r"[.!?:]\s*$", line) or (len(line) < 40 and line.rstrip().endswith(",")):
            yield block_start, block_end
            block_start = None
    if block_start is not None:
        yield block_start, block_end


def split_sentences(body: str) -> list[Sentence]:
    """Split ``body`` into sentences whose text is an exact slice of it."""
    sentences: list[Sentence] = []
    for block_start, block_end in _content_blocks(body):
        cursor = block_start
        for m in _SENTENCE_END.finditer(body, block_start, block_end):
            before = body[cursor : m.start()]
            last_word = re.search(r"([\w.]+)$", before)
            if m.group().startswith(".") and last_word:
                word = last_word.group(1).lower().rstrip(".")
                # "Dr. Smith", "e.g. this", "3.5": not the end of a sentence.
                if word in _ABBREVIATIONS or len(word) == 1 or body[m.end() : m.end() + 1].isdigit():
                    continue
            _append(sentences, body, cursor, m.end())
            cursor = m.end()
        _append(sentences, body, cursor, block_end)
    return sentences


def _append(sentences: list[Sentence], body: str, start: int, end: int) -> None:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    if end - start >= 3:
        sentences.append(Sentence(body[start:end], start, end))
