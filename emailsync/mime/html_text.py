"""Email HTML to the plain text a reader sees, and the whitespace clean-up every body gets."""

from __future__ import annotations

import re

import html2text
from bs4 import BeautifulSoup, Comment, Tag

_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$)",
    re.IGNORECASE,
)
_INVISIBLE_CHARS = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u034f\u00ad]")


def _is_hidden(tag: object) -> bool:
    attrs = getattr(tag, "attrs", None)
    if not attrs:
        return False
    style = attrs.get("style")
    if isinstance(style, str) and _HIDDEN_STYLE.search(style):
        return True
    return "hidden" in attrs or str(attrs.get("type", "")).lower() == "hidden"


def html_to_text(html: str) -> str:
    """Readable plain text from email HTML; drops scripts, styles, comments and hidden elements.

    Block quotes come out as "> " lines so :func:`reply_text` can strip them like plain-text quotes.
    """
    soup = BeautifulSoup(html, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(["script", "style", "head", "title", "noscript", "template", "meta"]):
        tag.decompose()
    # Hidden preheaders/tracking text are invisible to the reader, so they are not the message.
    for tag in soup.find_all(_is_hidden):
        if not getattr(tag, "decomposed", False):
            tag.decompose()
    _flatten_data_tables(soup)
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.unicode_snob = True
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_links = True
    converter.ignore_tables = True
    converter.single_line_break = False
    try:
        text = converter.handle(str(soup))
    except Exception:
        text = soup.get_text("\n")
    # html2text writes Markdown; undo the markup that would read as noise in plain text.
    text = re.sub(r"(?m)^(\s*)\\([-+])", r"\1\2", text)
    text = re.sub(r"(?m)^(\s*\d+)\\\.", r"\1.", text)
    text = re.sub(r"(?m)^#{1,6} (?=\S)", "", text)
    text = re.sub(r"(?m)^\s*(\* ){2}\*\s*$", "", text)
    return clean_text(text)


# A data table's cell holds a short phrase; a layout table's cell holds paragraphs of the message.
_MAX_CELL_CHARS = 200
CELL_SEPARATOR = " | "


def _rows(table: Tag) -> list[list[Tag]]:
    """The rows of ``table`` (not of tables inside it), each as its cells."""
    rows: list[list[Tag]] = []
    for row in table.find_all("tr"):
        if row.find_parent("table") is table:
            rows.append([cell for cell in row.find_all(["td", "th"], recursive=False)])
    return rows


def _cell_text(cell: Tag) -> str:
    return " ".join(cell.get_text(" ").split()).replace("|", "/")


def _flatten_data_tables(soup: BeautifulSoup) -> None:
    """Write each data table as one line per row, cells joined by " | " ("Update the deck | Sam | Friday").

    html2text, told to ignore tables, runs a row's cells together ("Update the deckSamFriday"). A data
    table is one with no table inside it, at least two rows of two or more filled cells, and only short
    cells; layout tables (the usual frame of HTML mail) are left to html2text, which writes their
    paragraphs as paragraphs."""
    for table in soup.find_all("table"):
        if table.find("table") is not None:
            continue
        rows = [[_cell_text(cell) for cell in cells] for cells in _rows(table)]
        rows = [cells for cells in rows if any(cells)]
        if sum(1 for cells in rows if sum(1 for text in cells if text) >= 2) < 2:
            continue
        if any(len(text) > _MAX_CELL_CHARS for cells in rows for text in cells):
            continue
        block = soup.new_tag("p")
        for index, cells in enumerate(rows):
            if index:
                block.append(soup.new_tag("br"))
            block.append(CELL_SEPARATOR.join(cells).strip())
        table.replace_with(block)


def clean_text(text: str) -> str:
    """Normalise newlines and spaces, remove invisible characters, squeeze blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _INVISIBLE_CHARS.sub("", text)
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
