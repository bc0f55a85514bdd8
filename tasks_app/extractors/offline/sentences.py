"""Cutting a body into sentences: running-text blocks, bullets, table rows, abbreviations, sign-offs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

# "text": running text; "item": the first sentence of a bullet or numbered item; "row": a table row.
SentenceRole = Literal["text", "item", "row"]


@dataclass(frozen=True)
class Sentence:
    text: str  # verbatim slice of the body
    start: int
    end: int
    role: SentenceRole = "text"
    # For items and rows: the sentence that introduces the list or table ("Could you do the following by
    # Friday:"), None when nothing does (the list follows a greeting, or opens the body).
    lead: Sentence | None = None
    cells: tuple[str, ...] = ()  # for rows: the row's cells, stripped
    header: tuple[str, ...] = ()  # for rows: the cells of the table's first row
    # For the second ask of a sentence cut in two ("I'll upload the files on Thursday, and send you the PDF
    # by Friday"): the words that make the first part an ask or a promise ("I'll "), which the second shares.
    speaker: str = ""


_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc", "ltd", "co",
    "corp", "approx", "no", "dept", "est", "a.m", "p.m", "u.s", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
    "incl", "excl", "inkl", "bzw", "ca", "ggf", "evtl", "usw", "z.b", "u.a", "vgl", "nr", "cf", "resp",
    "p.ej", "aprox", "env",
}  # fmt: skip
_GERMAN_MONTH = re.compile(
    r"\s+(?:januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+|$)")
_BULLET = re.compile(r"^\s*(?:[-–—*•·]+|\d{1,2}[.)]|[a-z][.)])\s+")
# A sign-off: what follows is the author's name, not more requests.
_CLOSING = re.compile(
    r"^\s*(?:thanks|thank you|thx|cheers|best|best regards|kind regards|regards|warm regards|sincerely|"
    r"all the best|talk soon|br)[\s,.!]*$",
    re.IGNORECASE,
)
# The rule under a Markdown table's header ("---|:---:|---").
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)+\|?\s*$")
# A line shorter than this that ends without punctuation is a line of its own (a heading, a changelog
# entry) when the next line starts like a new one; wrapped prose runs to the wrap width (~72).
_SHORT_LINE = 50


def table_cells(line: str) -> tuple[str, ...]:
    """The cells of a " | "-separated line; a Markdown table's outer pipes ("| a | b |") are not cells."""
    text = line.strip()
    if text.startswith("|") and text.endswith("|") and len(text) > 1:
        text = text[1:-1]
    if "|" not in text:
        return ()
    return tuple(cell.strip() for cell in text.split("|"))


def _lines(body: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line, without its newline."""
    pos = 0
    for line in body.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        yield pos, pos + len(stripped)
        pos += len(line)


def _table_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines that are rows of a table: two or more consecutive lines of cells."""
    rows: set[int] = set()
    run: list[int] = []
    for index, line in enumerate([*lines, ""]):
        if len(table_cells(line)) >= 2 or (run and _TABLE_RULE.match(line)):
            run.append(index)
            continue
        if len(run) >= 2:
            rows.update(run)
        run = []
    return rows


# A line ending like this is a sentence broken by hand ("Could you send the report to" / "Jo by Friday?").
_CARRIES_ON = re.compile(
    r"\b(?:the|a|an|to|of|for|with|and|or|but|in|on|at|by|from|about|please|your|our|my|his|her|their|"
    r"this|that|these|those|is|are|was|were|be|will|can|could|would|should|you|we|i|if|so|than)\s*$",
    re.IGNORECASE,
)


def _starts_a_line_of_its_own(line: str, role: SentenceRole) -> bool:
    text = line.lstrip()
    if role == "item" and text and text != line and not _BULLET.match(line):
        return False  # an indented line under an item carries on the item
    return bool(text) and (text[0].isupper() or text[0].isdigit() or bool(_BULLET.match(line)))


def _content_blocks(body: str) -> Iterator[tuple[int, int, SentenceRole]]:
    """Spans of running text, items and table rows: blank lines, bullets, table rows and short lines end a
    block, a sign-off ends the text.

    The body arrives clean: the parser (``emailsync.mime.reply_text``) has already removed quoted history
    and signatures, so they are not looked for again here."""
    spans = list(_lines(body))
    lines = [body[start:end] for start, end in spans]
    rows = _table_lines(lines)
    block_start: int | None = None
    block_end = 0
    block_role: SentenceRole = "text"
    for index, (start, end) in enumerate(spans):
        line = lines[index]
        if _CLOSING.match(line):
            break
        if index in rows or not line.strip():
            if block_start is not None:
                yield block_start, block_end, block_role
                block_start = None
            if index in rows and not _TABLE_RULE.match(line):
                indent = len(line) - len(line.lstrip())
                yield start + indent, end - (len(line) - len(line.rstrip())), "row"
            continue
        bullet = _BULLET.match(line)
        if bullet:
            if block_start is not None:
                yield block_start, block_end, block_role
            block_start, block_end, block_role = start + bullet.end(), end, "item"
        else:
            if block_start is None:
                block_start, block_role = start + (len(line) - len(line.lstrip())), "text"
            block_end = end
        # A line that ends a sentence or is a salutation ("Hi Sam,") closes the block; so does a short line
        # followed by one that starts afresh ("Fixed crash in export" / "Added dark mode"). A wrapped line
        # (no end punctuation) continues into the next.
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if (
            re.search(r"[.!?:]\s*$", line)
            or (len(line) < 40 and line.rstrip().endswith(","))
            or (
                len(line.strip()) < _SHORT_LINE
                and not _CARRIES_ON.search(line)
                and _starts_a_line_of_its_own(following, block_role)
            )
        ):
            yield block_start, block_end, block_role
            block_start = None
    if block_start is not None:
        yield block_start, block_end, block_role


def _lead_of(previous: Sentence | None, body: str, start: int) -> Sentence | None:
    """The sentence that introduces a list or table starting at ``start``: the last sentence before it, at
    most one blank line above. (A greeting leads into nothing: it neither asks nor informs.)"""
    if previous is None or previous.role != "text" or body[previous.end : start].count("\n") > 2:
        return None
    return previous


def split_sentences(body: str) -> list[Sentence]:
    """Split ``body`` into sentences whose text is an exact slice of it.

    A bullet or numbered item's first sentence has the role "item", a table row (two or more lines of
    " | "-separated cells) is one sentence with the role "row"; both carry the sentence that leads into
    their list or table."""
    sentences: list[Sentence] = []
    lead: Sentence | None = None  # of the list or table being read
    header: tuple[str, ...] = ()  # of the table being read
    previous_role: SentenceRole = "text"
    for block_start, block_end, role in _content_blocks(body):
        if role != "text" and previous_role == "text":
            lead = _lead_of(sentences[-1] if sentences else None, body, block_start)
        if role == "row":
            cells = table_cells(body[block_start:block_end])
            header = header if previous_role == "row" else cells
            text = body[block_start:block_end]
            sentences.append(Sentence(text, block_start, block_end, "row", lead, cells, header))
            previous_role = role
            continue
        previous_role = role
        first = len(sentences)
        cursor = block_start
        for m in _SENTENCE_END.finditer(body, block_start, block_end):
            before = body[cursor : m.start()]
            last_word = re.search(r"([\w.'’]+)$", before)  # "at Lupe's." ends on a word, not an initial
            if m.group().startswith(".") and last_word:
                word = last_word.group(1).lower().rstrip(".")
                # "Dr. Smith", "e.g. this", "3.5": not the end of a sentence.
                if word in _ABBREVIATIONS or len(word) == 1 or body[m.end() : m.end() + 1].isdigit():
                    continue
                # "bis Mittwoch, 11. November": a German ordinal day, not the end of a sentence.
                if word.isdigit() and len(word) <= 2 and _GERMAN_MONTH.match(body, m.end()):
                    continue
                # "bis zum 18.11. einen Entwurf schicken": a day.month. date goes on in lower case.
                if re.fullmatch(r"\d{1,2}\.\d{1,2}(?:\.\d{2,4})?", word) and re.match(
                    r"\s+[a-zäöüß]", body[m.end() :]
                ):
                    continue
            _append(sentences, body, cursor, m.end())
            cursor = m.end()
        _append(sentences, body, cursor, block_end)
        if role == "item" and len(sentences) > first:
            item = sentences[first]
            sentences[first] = Sentence(item.text, item.start, item.end, "item", lead)
    return sentences


def _append(sentences: list[Sentence], body: str, start: int, end: int) -> None:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    if end - start >= 3:
        sentences.append(Sentence(body[start:end], start, end))
