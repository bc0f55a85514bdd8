"""Leaf payloads and the shape of a MIME tree, read without trusting the headers that describe them."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from email.message import Message

from .decoding import PARSE_ERRORS, decode_bytes

__all__ = ["content_type", "decode_bytes", "is_attachment", "part_bytes", "part_charset"]


def _transfer_decode(payload: bytes, cte: str) -> bytes:
    cte = cte.strip().lower()
    if cte == "base64":
        cleaned = re.sub(rb"[^A-Za-z0-9+/=]", b"", payload)
        cleaned = cleaned.rstrip(b"=")
        cleaned += b"=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return payload
    if cte == "quoted-printable":
        return quopri.decodestring(payload)
    return payload


def part_bytes(part: Message) -> bytes:
    """The decoded (transfer-encoding removed) payload of a leaf part."""
    try:
        payload = part.get_payload(decode=True)
    except PARSE_ERRORS:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        raw_bytes = raw.encode("ascii", errors="surrogateescape")
        return _transfer_decode(raw_bytes, str(part.get("content-transfer-encoding", "")))
    return b""


def part_charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except PARSE_ERRORS:
        return None


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except PARSE_ERRORS:
        return "text/plain"


def is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
    except PARSE_ERRORS:
        disposition = None
    return disposition == "attachment"


def child_parts(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
