"""Reply stripping: the author's own words without quoted history and signature.

This is the project's one reply stripper. The parser runs it once per message (``ParsedMessage.text``);
extractors receive that text and do not strip again. It was measured against mail-parser-reply on the
talon fixtures and the expectations in ``emailsync/tests/test_mime.py`` and kept: the library misses
forwards, interleaved quotes, mobile footers and several languages' attributions.
"""

from __future__ import annotations

import re

from .html_text import clean_text

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


def quote_header(lines: list[str], i: int) -> tuple[str, int]:
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
        kind, span = quote_header(lines, i)
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


def own_words_end(lines: list[str], start: int) -> int:
    """Index of the first line from ``start`` on where the author's own words stop: a quoted line, the
    header of quoted or forwarded history, or a signature. ``len(lines)`` if they run to the end.

    For text that :func:`reply_text` keeps as it is, such as a forwarded message inside a forward.
    """
    for i in range(start, len(lines)):
        line = lines[i]
        if _is_quoted(line) or _SIG_DELIMITER.match(line) or _MOBILE_SIGNATURE.match(line):
            return i
        if quote_header(lines, i)[0]:
            return i
    return len(lines)


def reply_text(text: str, *, keep_signature: bool = False, forwarded: bool = False) -> str:
    """The author's own words: ``text`` without quoted history and (by default) the signature.

    Content after a forward marker ("---------- Forwarded message ---------", "Begin forwarded
    message:") is kept, because for a forward it is what the user is being asked about. With
    ``forwarded=True`` (e.g. the subject starts with "Fwd:") an Outlook "From:/Sent:" header block or
    "Original Message" separator is treated as a forward marker too.
    """
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return _strip_reply_lines(normalised.split("\n"), keep_signature, forwarded)
