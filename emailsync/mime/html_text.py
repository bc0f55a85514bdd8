"""Email HTML to the plain text a reader sees, and the whitespace clean-up every body gets."""

from __future__ import annotations

import re

import html2text
from bs4 import BeautifulSoup, Comment

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


def clean_text(text: str) -> str:
    """Normalise newlines and spaces, remove invisible characters, squeeze blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _INVISIBLE_CHARS.sub("", text)
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
