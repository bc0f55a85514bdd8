"""Turn raw RFC 5322 email bytes into clean, typed data.

Pure Python (no Django). The parser is deliberately forgiving: real mailboxes contain
wrong charsets, broken encoded-words and odd MIME trees, and one bad message must never
stop a sync. :class:`MessageParseError` is raised only for input that is not an email at all.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from email import policy
from email.errors import MessageError
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

import html2text
from bs4 import BeautifulSoup, Comment
from charset_normalizer import from_bytes
from dateutil import parser as dateutil_parser

__all__ = [
    "CalendarInvite",
    "MessageParseError",
    "ParsedMessage",
    "decode_bytes",
    "decode_header_value",
    "html_to_text",
    "parse_message",
    "reply_text",
]


# What the email package and friends raise on malformed input (header parsing, payload decoding).
_PARSE_ERRORS = (
    ValueError,
    TypeError,
    LookupError,
    IndexError,
    AttributeError,
    AssertionError,
    MessageError,
)


class MessageParseError(Exception):
    """The input cannot be handled as an email message; ``str(e)`` says why."""


@dataclass(frozen=True)
class CalendarInvite:
    """One VEVENT from a text/calendar part. Datetimes are timezone-aware."""

    summary: str
    start: datetime | None
    end: datetime | None
    location: str
    method: str  # REQUEST, CANCEL, REPLY, PUBLISH... ("" if absent)
    all_day: bool = False
    uid: str = ""


@dataclass
class ParsedMessage:
    message_id: str
    subject: str
    sender: str
    sender_name: str
    to: list[str]
    date: datetime | None
    in_reply_to: str
    references: list[str]
    headers: dict[str, str]
    full_text: str
    text: str
    html_only: bool
    forwarded: bool
    invites: list[CalendarInvite] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- bytes and charsets

# WHATWG maps these labels to windows-1252: senders that say latin-1 routinely use cp1252 curly
# quotes and dashes (0x80-0x9f), which real latin-1 would turn into invisible control characters.
_CP1252_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp819"}
_CHARSET_ALIASES = {"utf8": "utf-8", "unicode-1-1-utf-8": "utf-8", "x-unknown": "", "unknown-8bit": ""}


def _normalise_charset(charset: str | None) -> str:
    if not charset:
        return ""
    name = charset.strip().strip("\"'").lower()
    name = name.split("*", 1)[0]  # RFC 2231 language suffix, e.g. "utf-8*en"
    return _CHARSET_ALIASES.get(name, name)


def _guess_decode(data: bytes) -> str:
    """Decode bytes whose charset is unknown: UTF-8 if valid, else charset-normalizer's best guess."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    try:
        as_cp1252 = data.decode("cp1252")
    except UnicodeDecodeError:
        as_cp1252 = None
    if best is None:
        return as_cp1252 if as_cp1252 is not None else data.decode("latin-1")
    if as_cp1252 is not None:
        # On short texts charset-normalizer ranks several single-byte codepages as equally likely
        # (cp1250, cp775, ...). Western European mail is by far the most common undeclared 8-bit
        # case, so cp1252 wins unless the detector found something clearly less chaotic.
        cp1252_match = from_bytes(data, cp_isolation=["cp1252"]).best()
        if cp1252_match is not None and cp1252_match.chaos <= best.chaos + 0.01:
            return as_cp1252
    return str(best)


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode a body or header byte string. Never raises.

    A declared charset is trusted when the bytes are valid in it; otherwise (missing, unknown or
    wrong charset) the encoding is guessed.
    """
    name = _normalise_charset(charset)
    if not data:
        return ""
    if name in _CP1252_ALIASES:
        if data.isascii():
            return data.decode("ascii")
        if name in {"us-ascii", "ascii"}:
            # 8-bit bytes under an ASCII label: the label is wrong, so guess.
            return _guess_decode(data)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")
        # Valid UTF-8 labelled latin-1 is a common mislabel; UTF-8 multibyte sequences are
        # practically never meaningful latin-1 text.
        return data.decode("utf-8")
    if name:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    return _guess_decode(data)


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


def _part_bytes(part: Message) -> bytes:
    """The decoded (transfer-encoding removed) payload of a leaf part."""
    try:
        payload = part.get_payload(decode=True)
    except _PARSE_ERRORS:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        raw_bytes = raw.encode("ascii", errors="surrogateescape")
        return _transfer_decode(raw_bytes, str(part.get("content-transfer-encoding", "")))
    return b""


def _part_charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except _PARSE_ERRORS:
        return None


# --------------------------------------------------------------------------- headers

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


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _raw_headers(msg: Message) -> list[tuple[str, str]]:
    try:
        return [(str(name), str(value)) for name, value in msg.raw_items()]
    except _PARSE_ERRORS:
        return []


def _first_raw(headers: list[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def _strip_id(value: str) -> str:
    return value.strip().strip("<>").strip()


def _message_ids(value: str) -> list[str]:
    found = re.findall(r"<([^<>\s]+)>", value)
    return found or [tok for tok in (t.strip("<>,") for t in value.split()) if tok]


_EMAIL_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def _addresses(raw: str) -> list[tuple[str, str]]:
    """(display name, lowercased address) pairs; names decoded after splitting so commas survive."""
    unfolded = re.sub(r"\r?\n[ \t]*", " ", raw)
    if re.search(r"[\udc80-\udcff]", unfolded):
        unfolded = decode_header_value(unfolded)
    pairs: list[tuple[str, str]] = []
    try:
        parsed = getaddresses([unfolded])
    except _PARSE_ERRORS:
        parsed = []
    for name, addr in parsed:
        if "@" in addr:
            pairs.append((_collapse(decode_header_value(name)).strip("\"'"), addr.strip().lower()))
    if not pairs:
        # getaddresses gives up on some malformed lists; scavenge bare addresses instead.
        pairs = [("", a.lower()) for a in _EMAIL_RE.findall(decode_header_value(unfolded))]
    return pairs


def _parse_date(value: str) -> datetime | None:
    value = _collapse(value)
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
    return parsed


# --------------------------------------------------------------------------- HTML

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


# --------------------------------------------------------------------------- calendar


def _as_aware(value: object, fallback_tz: tzinfo) -> tuple[datetime | None, bool]:
    """Convert an iCalendar DTSTART/DTEND value to an aware datetime (and whether it is all-day)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            # Floating time: the organiser's wall clock; the message's zone is the best hint.
            return value.replace(tzinfo=fallback_tz), False
        return value, False
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=fallback_tz), True
    return None, False


def _parse_calendar(
    data: bytes, charset: str | None, part_method: str, fallback_tz: tzinfo
) -> list[CalendarInvite]:
    from icalendar import Calendar  # local: only needed for messages with invites

    try:
        calendar = Calendar.from_ical(decode_bytes(data, charset or "utf-8"))
    except Exception:
        return []
    method = str(calendar.get("method", "") or part_method).strip().upper()
    invites: list[CalendarInvite] = []
    for event in calendar.walk("VEVENT"):
        try:
            start, all_day = _as_aware(event.decoded("dtstart", None), fallback_tz)
            end, _ = _as_aware(event.decoded("dtend", None), fallback_tz)
            if end is None and start is not None and "duration" in event:
                end = start + event.decoded("duration")
        except _PARSE_ERRORS:
            start, end, all_day = None, None, False
        invites.append(
            CalendarInvite(
                summary=_collapse(str(event.get("summary", ""))),
                start=start,
                end=end,
                location=_collapse(str(event.get("location", ""))),
                method=method,
                all_day=all_day,
                uid=str(event.get("uid", "")).strip(),
            )
        )
    return invites


# --------------------------------------------------------------------------- MIME walk

_FORWARD_BANNER = "---------- Forwarded message ---------"


@dataclass
class _Body:
    chunks: list[str] = field(default_factory=list)
    used_plain: bool = False
    used_html: bool = False
    invites: list[CalendarInvite] = field(default_factory=list)
    attached_message: bool = False


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except _PARSE_ERRORS:
        return "text/plain"


def _is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
    except _PARSE_ERRORS:
        disposition = None
    return disposition == "attachment"


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _iter_calendar_parts(part: Message) -> Iterator[Message]:
    ctype = _content_type(part)
    if ctype == "message/rfc822":
        return  # an attached message's invites belong to that message, gathered with its body
    if ctype in {"text/calendar", "application/ics"}:
        yield part
    for child in _children(part):
        yield from _iter_calendar_parts(child)


def _render_attached_message(inner: Message, fallback_tz: tzinfo) -> tuple[str, list[CalendarInvite]]:
    headers = _raw_headers(inner)
    lines = [_FORWARD_BANNER]
    for name in ("from", "date", "subject", "to"):
        value = _collapse(decode_header_value(_first_raw(headers, name)))
        if value:
            lines.append(f"{name.capitalize()}: {value}")
    body = _Body()
    _collect_body(inner, body, fallback_tz)
    body.invites.extend(_calendar_invites(inner, fallback_tz))
    return "\n".join(lines) + "\n\n" + "\n\n".join(body.chunks), body.invites


def _leaf_text(part: Message, ctype: str) -> str:
    text = decode_bytes(_part_bytes(part), _part_charset(part))
    if ctype == "text/html":
        return html_to_text(text)
    return clean_text(text)


def _collect_body(part: Message, body: _Body, fallback_tz: tzinfo) -> None:
    """Append the readable text of ``part`` to ``body``, choosing one branch of each alternative."""
    ctype = _content_type(part)
    if ctype == "message/rfc822":
        for inner in _children(part)[:1]:
            text, invites = _render_attached_message(inner, fallback_tz)
            body.chunks.append(text)
            body.invites.extend(invites)
            body.attached_message = True
        return
    if part.is_multipart():
        children = _children(part)
        if ctype == "multipart/alternative":
            _collect_alternative(children, body, fallback_tz)
        else:
            for child in children:
                _collect_body(child, body, fallback_tz)
        return
    if _is_attachment(part) or ctype not in {"text/plain", "text/html"}:
        return
    text = _leaf_text(part, ctype)
    if text:
        body.chunks.append(text)
        if ctype == "text/plain":
            body.used_plain = True
        else:
            body.used_html = True


def _collect_alternative(children: list[Message], body: _Body, fallback_tz: tzinfo) -> None:
    candidates: list[_Body] = []
    for child in children:
        sub = _Body()
        _collect_body(child, sub, fallback_tz)
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


def _calendar_invites(msg: Message, fallback_tz: tzinfo) -> list[CalendarInvite]:
    invites: list[CalendarInvite] = []
    for part in _iter_calendar_parts(msg):
        try:
            part_method = str(part.get_param("method") or "")
        except _PARSE_ERRORS:
            part_method = ""
        invites.extend(_parse_calendar(_part_bytes(part), _part_charset(part), part_method, fallback_tz))
    return invites


def _dedupe(invites: list[CalendarInvite]) -> list[CalendarInvite]:
    # Google and Outlook attach the same event twice (inline text/calendar and invite.ics).
    seen: set[tuple[object, ...]] = set()
    unique: list[CalendarInvite] = []
    for invite in invites:
        key = (invite.uid, invite.summary, invite.start, invite.end, invite.method)
        if key not in seen:
            seen.add(key)
            unique.append(invite)
    return unique


# --------------------------------------------------------------------------- reply stripping

_WROTE_VERB = re.compile(
    r"(wrote|writes|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|schreef|escreveu|skrev|"
    r"napisał\(a\)|napisał|napisała|napisal|написал\(а\)|написала|написал|kirjoitti|írta|yazdı|"
    r"kirjutas|napsal|写道|寫道|(?:schrieb|skrev|schreef|geschreven)\b[^:]{0,80})\s*[:：]\s*$",
    re.IGNORECASE,
)
_WROTE_START = re.compile(r"^(-+\s*)?(On|Am|Le|El|Il|Op|Em|Den|W dniu|Dne|Pada|在)\b", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(Original Message|Original|Ursprüngliche Nachricht|Originalnachricht|Message d'origine|"
    r"Mensaje original|Messaggio originale|Oorspronkelijk bericht|Mensagem original|Ursprungligt meddelande|"
    r"Oprindelig meddelelse|Opprinnelig melding|Wiadomość oryginalna|Исходное сообщение|"
    r"Reply message|Reply Message)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FORWARD_MARKER = re.compile(
    r"^\s*(-{2,}\s*(Forwarded message|Forwarded Message|Weitergeleitete Nachricht|Message transféré|"
    r"Mensaje reenviado|Messaggio inoltrato|Doorgestuurd bericht|Mensagem encaminhada|Vidarebefordrat meddelande|"
    r"Videresendt meddelelse|Wiadomość przekazana|Пересылаемое сообщение)\s*-{2,}|"
    r"Begin forwarded message\s*:?|Anfang der weitergeleiteten Nachricht\s*:?|"
    r"Début du message (réexpédié|transféré)\s*:?|Inicio del mensaje reenviado\s*:?|"
    r"Inizio messaggio inoltrato\s*:?|Doorgestuurd bericht\s*:?)\s*$",
    re.IGNORECASE,
)
_FROM_KEYS = r"From|Von|De|Van|Od|Från|Fra|От|Da|Lähettäjä|Feladó|Kimden"
_OTHER_KEYS = (
    r"Sent|Date|To|Subject|Cc|Gesendet|Datum|An|Betreff|Envoyé|À|A|Objet|Enviado|Enviada|Fecha|Para|"
    r"Asunto|Assunto|Inviato|Data|Oggetto|Verzonden|Aan|Onderwerp|Skickat|Till|Ämne|Sendt|Til|Emne|"
    r"Wysłano|Wysłane|Do|Temat|Отправлено|Кому|Тема|Дата"
)
_FROM_LINE = re.compile(rf"^\s*\*?(?:{_FROM_KEYS})\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_LINE = re.compile(rf"^\s*\*?(?:{_FROM_KEYS}|{_OTHER_KEYS})\s*:", re.IGNORECASE)
_RULE = re.compile(r"^\s*(_{10,}|-{10,})\s*$")
_SIG_DELIMITER = re.compile(r"^--\s*$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(Sent from my .{1,40}|Sent from (Mail|Outlook|Yahoo Mail|Gmail|Samsung|ProtonMail|Proton Mail|"
    r"my mobile|Mobile).{0,40}|Sent with .{1,40}|Sent via .{1,40}|Get Outlook for .{1,20}|"
    r"Envoyé de mon .{1,30}|Envoyé depuis .{1,30}|Von meinem .{1,30} gesendet|Gesendet von .{1,30}|"
    r"Enviado desde mi .{1,30}|Enviado do meu .{1,30}|Inviato da(l mio)? .{1,30}|Verzonden (met|vanaf) .{1,30}|"
    r"Skickat från min .{1,30}|Отправлено с .{1,30}|Wysłane z .{1,30})\s*$",
    re.IGNORECASE,
)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _wrote_header_span(lines: list[str], i: int) -> int:
    """Number of lines (1-3) forming an "On <date>, <who> wrote:" header at ``i``, or 0."""
    if not lines[i].strip() or _is_quoted(lines[i]):
        return 0
    for span in (1, 2, 3):
        chunk = lines[i : i + span]
        if len(chunk) < span or any(not line.strip() or _is_quoted(line) for line in chunk):
            return 0
        joined = " ".join(line.strip() for line in chunk)
        if len(joined) > 300:
            return 0
        if span > 1 and not (_WROTE_START.match(chunk[0].strip()) or re.search(r"\d|@", chunk[0])):
            return 0  # a wrapped attribution starts with its date or name, not with prose like "Hello"
        if _WROTE_VERB.search(joined) and (_WROTE_START.match(joined) or re.search(r"\d|@", joined)):
            return span
    return 0


def _outlook_header_span(lines: list[str], i: int) -> int:
    """Lines of a "From: ... Sent: ... To: ... Subject:" block starting at ``i`` (maybe after a rule)."""
    start = i
    if _RULE.match(lines[i]):
        start = i + 1
        while start < len(lines) and start <= i + 2 and not lines[start].strip():
            start += 1
        if start >= len(lines) or not _HEADER_LINE.match(lines[start]):
            return 0
    if not _HEADER_LINE.match(lines[start]):
        return 0
    block = lines[start : start + 6]
    keys = [line for line in block if _HEADER_LINE.match(line)]
    has_from = any(_FROM_LINE.match(line) for line in block)
    if has_from and len(keys) >= 2:
        end = start
        while end < len(lines) and _HEADER_LINE.match(lines[end]):
            end += 1
        return end - i
    return 0


def _quote_header(lines: list[str], i: int) -> tuple[str, int]:
    """Classify line ``i``: ("wrote"|"separator"|"outlook"|"forward"|"", span)."""
    line = lines[i]
    if _is_quoted(line):
        return "", 0
    if _FORWARD_MARKER.match(line):
        return "forward", 1
    if _SEPARATOR.match(line):
        return "separator", 1
    span = _wrote_header_span(lines, i)
    if span:
        return "wrote", span
    span = _outlook_header_span(lines, i)
    if span:
        return "outlook", span
    return "", 0


def _has_content(lines: list[str]) -> bool:
    return any(line.strip() and not _is_quoted(line) for line in lines)


def _strip_signature(lines: list[str]) -> list[str]:
    # "-- " delimiter: cut at the earliest one followed by a signature-sized tail.
    for i, line in enumerate(lines):
        if _SIG_DELIMITER.match(line) and sum(1 for tail in lines[i + 1 :] if tail.strip()) <= 10:
            lines = lines[:i]
            break
    # "Sent from my iPhone" style lines only count near the end, where clients put them.
    content_idx = [i for i, line in enumerate(lines) if line.strip()]
    for i in content_idx[-3:]:
        if _MOBILE_SIGNATURE.match(lines[i]):
            lines = [*lines[:i], "", *lines[i + 1 :]]
    return lines


def _finish(lines: list[str]) -> str:
    return clean_text("\n".join(line.rstrip() for line in lines))


def _strip_reply_lines(lines: list[str], keep_signature: bool, forwarded: bool) -> str:
    for i in range(len(lines)):
        kind, span = _quote_header(lines, i)
        if not kind:
            continue
        if kind == "forward" or (forwarded and kind in {"outlook", "separator"}):
            own = _strip_reply_lines(lines[:i], keep_signature, False)
            fwd = lines[i:]
            body = fwd[1:]
            # Apple Mail quotes the whole forwarded message with "> "; the quoting is not history here.
            if body and all(_is_quoted(line) for line in body if line.strip()):
                fwd = [fwd[0]] + [re.sub(r"^\s*> ?", "", line) for line in body]
            return "\n\n".join(part for part in (own, _finish(fwd)) if part)
        head = lines[:i]
        if _has_content(head):
            return _strip_reply_lines(head, keep_signature, False)
        if kind == "wrote":
            # Bottom-posting: the attribution and quote come first, the reply follows.
            return _strip_reply_lines(lines[i + span :], keep_signature, False)
        return ""
    kept = [line for line in lines if not _is_quoted(line)]
    if not keep_signature:
        kept = _strip_signature(kept)
    return _finish(kept)


def reply_text(text: str, *, keep_signature: bool = False, forwarded: bool = False) -> str:
    """The author's own words: ``text`` without quoted history and (by default) the signature.

    Content after a forward marker ("---------- Forwarded message ---------", "Begin forwarded
    message:") is kept, because for a forward it is what the user is being asked about. With
    ``forwarded=True`` (e.g. the subject starts with "Fwd:") an Outlook "From:/Sent:" header block or
    "Original Message" separator is treated as a forward marker too.
    """
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return _strip_reply_lines(normalised.split("\n"), keep_signature, forwarded)


def _has_forward_marker(text: str) -> bool:
    lines = text.split("\n")
    for i in range(len(lines)):
        kind, _ = _quote_header(lines, i)
        if kind == "forward":
            return True
        if kind:
            return False  # markers inside quoted history belong to an older message
    return False


_FORWARD_SUBJECT = re.compile(r"^\s*(\[[^\]]*\]\s*)?(fwd?|wg|tr|rv|enc)\s*:", re.IGNORECASE)


# --------------------------------------------------------------------------- entry point


def _parse_structure(raw: bytes) -> Message:
    try:
        return BytesParser(policy=policy.default).parsebytes(raw)
    except _PARSE_ERRORS:
        # policy.default can raise on some malformed headers; compat32 is more tolerant.
        return BytesParser(policy=policy.compat32).parsebytes(raw)


def _looks_like_email(headers: list[tuple[str, str]]) -> bool:
    names = {name.lower() for name, _ in headers}
    known = {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "received",
        "mime-version",
        "content-type",
        "return-path",
        "delivered-to",
        "cc",
        "sender",
        "reply-to",
    }
    return bool(names & known)


def _build(msg: Message) -> ParsedMessage:
    raw_headers = _raw_headers(msg)
    if not _looks_like_email(raw_headers):
        raise MessageParseError("no email headers found (not an RFC 5322 message)")

    headers: dict[str, str] = {}
    for name, value in raw_headers:
        # First occurrence wins: for the headers bulk detection needs, the topmost is the sender's.
        headers.setdefault(name.lower(), _collapse(decode_header_value(value)))

    senders = _addresses(_first_raw(raw_headers, "from"))
    sender_name, sender = senders[0] if senders else ("", "")
    message_date = _parse_date(_first_raw(raw_headers, "date"))
    fallback_tz: tzinfo = message_date.tzinfo if message_date and message_date.tzinfo else UTC

    body = _Body()
    _collect_body(msg, body, fallback_tz)
    invites = _dedupe(_calendar_invites(msg, fallback_tz) + body.invites)
    full_text = clean_text("\n\n".join(body.chunks))
    subject = _collapse(headers.get("subject", ""))
    forwarded = (
        body.attached_message or _has_forward_marker(full_text) or bool(_FORWARD_SUBJECT.match(subject))
    )

    return ParsedMessage(
        message_id=_strip_id(headers.get("message-id", "")),
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        to=[addr for _, addr in _addresses(_first_raw(raw_headers, "to"))],
        cc=[addr for _, addr in _addresses(_first_raw(raw_headers, "cc"))],
        date=message_date,
        in_reply_to=next(iter(_message_ids(headers.get("in-reply-to", ""))), ""),
        references=_message_ids(headers.get("references", "")),
        headers=headers,
        full_text=full_text,
        text=reply_text(full_text, forwarded=forwarded),
        html_only=body.used_html and not body.used_plain,
        forwarded=forwarded,
        invites=invites,
    )


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw email bytes. Raises :class:`MessageParseError` only if the input is not an email."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise MessageParseError(f"expected raw message bytes, got {type(raw).__name__}")
    data = bytes(raw)
    if not data.strip():
        raise MessageParseError("empty message")
    if b"\x00" in data[:2048] and not _looks_like_email(_raw_headers(_parse_structure(data))):
        raise MessageParseError("binary data, not an email message")
    try:
        return _build(_parse_structure(data))
    except MessageParseError:
        raise
    except Exception:
        # Something in policy.default's lazy header/MIME handling blew up: retry with compat32,
        # which keeps headers as plain strings.
        fallback = BytesParser(policy=policy.compat32).parsebytes(data)
    try:
        return _build(fallback)
    except MessageParseError:
        raise
    except Exception as exc:
        raise MessageParseError(f"unreadable message structure: {type(exc).__name__}: {exc}") from exc
