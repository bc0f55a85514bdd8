"""Bytes to text: charsets (declared, wrong or missing) and the errors malformed mail raises."""

from __future__ import annotations

from email.errors import MessageError

from charset_normalizer import from_bytes

# What the email package and friends raise on malformed input (header parsing, payload decoding).
PARSE_ERRORS = (
    ValueError,
    TypeError,
    LookupError,
    IndexError,
    AttributeError,
    AssertionError,
    MessageError,
)


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
