"""The MIME walk: the readable text of a message, one branch of each alternative, attached messages inlined."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from email.message import Message

from .forwards import FORWARD_BANNER
from .headers import collapse, decode_header_value, first_raw, header_items
from .html_text import clean_text, html_to_text
from .invites import CalendarInvite, calendar_invites
from .parts import child_parts, content_type, decode_bytes, is_attachment, part_bytes, part_charset


@dataclass
class Body:
    chunks: list[str] = field(default_factory=list)
    used_plain: bool = False
    used_html: bool = False
    invites: list[CalendarInvite] = field(default_factory=list)
    attached_message: bool = False


def _render_attached_message(inner: Message, fallback_tz: tzinfo) -> tuple[str, list[CalendarInvite]]:
    headers = header_items(inner)
    lines = [FORWARD_BANNER]
    for name in ("from", "date", "subject", "to"):
        value = collapse(decode_header_value(first_raw(headers, name)))
        if value:
            lines.append(f"{name.capitalize()}: {value}")
    body = Body()
    collect_body(inner, body, fallback_tz)
    body.invites.extend(calendar_invites(inner, fallback_tz))
    return "\n".join(lines) + "\n\n" + "\n\n".join(body.chunks), body.invites


def _leaf_text(part: Message, ctype: str) -> str:
    text = decode_bytes(part_bytes(part), part_charset(part))
    if ctype == "text/html":
        return html_to_text(text)
    return clean_text(text)


def collect_body(part: Message, body: Body, fallback_tz: tzinfo) -> None:
    """Append the readable text of ``part`` to ``body``, choosing one branch of each alternative."""
    ctype = content_type(part)
    if ctype == "message/rfc822":
        for inner in child_parts(part)[:1]:
            text, invites = _render_attached_message(inner, fallback_tz)
            body.chunks.append(text)
            body.invites.extend(invites)
            body.attached_message = True
        return
    if part.is_multipart():
        children = child_parts(part)
        if ctype == "multipart/alternative":
            _collect_alternative(children, body, fallback_tz)
        else:
            for child in children:
                collect_body(child, body, fallback_tz)
        return
    if is_attachment(part) or ctype not in {"text/plain", "text/html"}:
        return
    text = _leaf_text(part, ctype)
    if text:
        body.chunks.append(text)
        if ctype == "text/plain":
            body.used_plain = True
        else:
            body.used_html = True


def _collect_alternative(children: list[Message], body: Body, fallback_tz: tzinfo) -> None:
    candidates: list[Body] = []
    for child in children:
        sub = Body()
        collect_body(child, sub, fallback_tz)
        if any(chunk.strip() for chunk in sub.chunks):
            candidates.append(sub)
    if not candidates:
        return
    # Prefer the sender's own plain text; an empty or missing text/plain falls back to HTML.
    chosen = next((c for c in candidates if c.used_plain and not c.used_html), candidates[-1])
    body.chunks.extend(chosen.chunks)
    body.invites.extend(chosen.invites)
    body.used_plain |= chosen.used_plain
    body.used_html |= chosen.used_html
    body.attached_message |= chosen.attached_message
