"""Hypothesis strategies for raw email: generated messages, then mutated.

The messages are assembled as bytes by hand rather than with ``email.message.EmailMessage``, which would
refuse most of what real mailboxes contain: wrong or unknown charsets, payloads that do not match their
transfer encoding, broken or missing boundaries, RFC 2047 words that do not decode, dates that are not
dates, huge headers, binary parts, deep nesting. A mutation step then damages the bytes further (flipped
bytes, spliced MIME syntax, truncation), as a disk, a relay or a careless client would.
"""

from __future__ import annotations

import base64
import datetime as dt
import quopri
from dataclasses import dataclass

from hypothesis import strategies as st

CHARSETS = [
    "utf-8",
    "UTF-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "iso-8859-15",
    "koi8-r",
    "shift_jis",
    "euc-jp",
    "gb2312",
    "big5",
    "utf-16",
    "utf-7",
    "x-unknown",
    "unknown-8bit",
    "no-such-charset",
    "utf-8*en",
    '"utf-8',
    "",
]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "BASE64", "x-uuencode", "bogus"]
TEXT_TYPES = ["text/plain", "text/html", "text/calendar", "text/enriched"]
OTHER_TYPES = ["application/octet-stream", "image/png", "application/pdf", "message/delivery-status"]
MULTIPART_TYPES = ["multipart/mixed", "multipart/alternative", "multipart/related", "multipart/x-weird"]

# Text with the characters that make charset and header handling interesting.
_ALPHABET = st.characters(codec="utf-8", exclude_categories=["Cs"])
texts = st.text(_ALPHABET, max_size=200) | st.sampled_from(
    [
        "Could you send the report by Friday 5pm?",
        "Let's meet next Tuesday at 10:00 CET for 30 minutes.",
        "Réunion demain à 15h — merci !",
        "会議は金曜日です。",
        "Привет, можешь прислать отчёт?",
        "<p>Please <b>review</b> the contract by Dec 3</p><script>alert(1)</script>",
        "",
        "\r\n\r\n",
        "=?utf-8?B?",
        "--boundary--",
    ]
)


def _encode_text(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset.strip('"').split("*")[0] or "utf-8")
    except (LookupError, UnicodeError):
        return text.encode("utf-8", "surrogatepass")


def _transfer_encode(data: bytes, encoding: str, *, broken: bool) -> bytes:
    lowered = encoding.lower()
    if lowered == "base64":
        encoded = base64.encodebytes(data)
        return encoded[: len(encoded) // 2] + b"!!not*base64" if broken else encoded
    if lowered == "quoted-printable":
        encoded = quopri.encodestring(data)
        return encoded + b"=Z9=\r\n=" if broken else encoded
    return data


@st.composite
def encoded_words(draw: st.DrawFn) -> str:
    """An RFC 2047 word: well formed, or with a bad charset, bad encoding letter or undecodable payload."""
    text = draw(texts)
    charset = draw(st.sampled_from(CHARSETS)) or "utf-8"
    letter = draw(st.sampled_from(["B", "Q", "b", "q", "X"]))
    data = _encode_text(text, charset)
    if letter.lower() == "b":
        payload = base64.b64encode(data).decode()
    else:
        payload = quopri.encodestring(data, header=True).decode("ascii", "replace")
    if draw(st.booleans()):
        payload = draw(st.sampled_from(["!!!", "", "====", "=ZZ", payload[:3], payload + "?"]))
    return f"=?{charset}?{letter}?{payload}?="


header_texts = st.lists(st.one_of(texts, encoded_words()), min_size=0, max_size=4).map(" ".join)

dates = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)).map(
        lambda d: d.strftime("%a, %d %b %Y %H:%M:%S ") + "-0500"
    ),
    st.sampled_from(
        [
            "Mon, 99 Foo 2012 99:99:99 +9999",
            "Tue, 1 Jan 0000 00:00:00 +0000",
            "Fri, 31 Dec 9999 23:59:59 -1200",
            "Sat, 1 Jan 0001 00:00:00 +1400",
            "yesterday",
            "2026-02-30T25:61:00Z",
            "Mon, 2 Mar 2026 10:00:00 (CET)",
            "1 Jan 1970 00:00:00 GMT+99",
            "",
            "\x00",
        ]
    ),
    texts,
)

_NAMES = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30)
address = st.builds(
    lambda name, local, domain: f'"{name}" <{local}@{domain}>' if name else f"{local}@{domain}",
    _NAMES,
    st.from_regex(r"[a-z0-9._+-]{1,20}", fullmatch=True),
    st.sampled_from(["example.com", "example.org", "mail.example.net", "x", "[127.0.0.1]", ""]),
)
address_lists = st.one_of(
    st.lists(address, max_size=5).map(", ".join),
    st.sampled_from(["<<<>>>", ",,,", "undisclosed-recipients:;", "", "@", "a@b@c"]),
    texts,
)


@dataclass
class Part:
    """One MIME node, rendered by :func:`render`."""

    content_type: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    children: list[Part] | None = None
    boundary: str = ""
    # How the multipart's boundaries are damaged: "", "no-close", "mismatch", "missing-param", "in-body".
    damage: str = ""


@st.composite
def leaf_parts(draw: st.DrawFn) -> Part:
    ctype = draw(st.sampled_from(TEXT_TYPES + OTHER_TYPES + ["message/rfc822", "garbage", ""]))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    if ctype in OTHER_TYPES:
        data = draw(st.binary(max_size=300))
    elif ctype == "text/calendar":
        data = draw(
            st.sampled_from(
                [
                    b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261201T150000Z\r\nDTEND:20261201T153000Z\r\n"
                    b"SUMMARY:Review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                    b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=Nowhere/Else:99999999T999999\r\n"
                    b"END:VCALENDAR\r\n",
                    b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=America/New_York:99991231T230000\r\n"
                    b"DURATION:PT2H\r\nSUMMARY:Far\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                    b"BEGIN:VEVENT\r\n",
                ]
            )
        ) + _encode_text(draw(texts), charset)
    elif ctype == "message/rfc822":
        data = draw(flat_messages())
    else:
        data = _encode_text(draw(texts), charset)
    headers = [("Content-Type", f"{ctype}; charset={charset}" if ctype else f"; charset={charset}")]
    headers.append(("Content-Transfer-Encoding", encoding))
    if draw(st.booleans()):
        disposition = draw(
            st.sampled_from(["attachment", "inline", 'attachment; filename="=?utf-8?Q?x?="', "?"])
        )
        headers.append(("Content-Disposition", disposition))
    body = _transfer_encode(data, encoding, broken=draw(st.booleans()))
    return Part(ctype, headers, body=body)


def _multipart(children: st.SearchStrategy[list[Part]]) -> st.SearchStrategy[Part]:
    return st.builds(
        lambda ctype, kids, boundary, damage: Part(
            ctype,
            [("Content-Type", f'{ctype}; boundary="{boundary}"')],
            children=kids,
            boundary=boundary,
            damage=damage,
        ),
        st.sampled_from(MULTIPART_TYPES),
        children,
        st.sampled_from(["b1", "==_Part_0", "x", "simple boundary", "--", "a" * 70]),
        st.sampled_from(["", "", "", "no-close", "mismatch", "missing-param", "in-body"]),
    )


mime_trees = st.recursive(leaf_parts(), lambda inner: _multipart(st.lists(inner, max_size=4)), max_leaves=8)


def render(part: Part) -> bytes:
    """The bytes of a part: its headers, a blank line, its body (or its children between boundaries)."""
    headers = list(part.headers)
    if part.children is not None and part.damage == "missing-param":
        headers = [("Content-Type", part.content_type)]
    head = b"".join(f"{name}: {value}\r\n".encode("utf-8", "surrogatepass") for name, value in headers)
    if part.children is None:
        return head + b"\r\n" + part.body
    boundary = part.boundary.encode()
    written = b"wrong-boundary" if part.damage == "mismatch" else boundary
    body = b"This is a multi-part message in MIME format.\r\n"
    for child in part.children:
        body += b"\r\n--" + written + b"\r\n" + render(child)
        if part.damage == "in-body":
            body += b"\r\n--" + boundary + b"-- inside the text\r\n"
    if part.damage != "no-close":
        body += b"\r\n--" + written + b"--\r\n"
    return head + b"\r\n" + body


def _top_headers(draw: st.DrawFn) -> bytes:
    headers = [
        ("From", draw(address_lists)),
        ("To", draw(address_lists)),
        ("Subject", draw(header_texts)),
        ("Date", draw(dates)),
        (
            "Message-ID",
            draw(
                st.sampled_from(["<a@example.com>", "", "<<>>", "no angle brackets", "<" + "x" * 600 + ">"])
            ),
        ),
    ]
    if draw(st.booleans()):
        headers.append(("Cc", draw(address_lists)))
    if draw(st.booleans()):
        headers.append(("In-Reply-To", draw(texts)))
        headers.append(("References", draw(texts)))
    if draw(st.booleans()):
        headers.append(("List-Unsubscribe", "<mailto:unsubscribe@example.com>"))
    if draw(st.booleans()):
        # A huge header: folded, or one endless line.
        size = draw(st.integers(1_000, 200_000))
        fold = draw(st.booleans())
        word = "word\r\n " if fold else "word "
        headers.append(
            (draw(st.sampled_from(["Subject", "X-Huge", "To", "Received"])), word * (size // len(word)))
        )
    if draw(st.booleans()):
        headers.append(
            (draw(st.sampled_from(["X-Odd", "x", "Content-Type ", "A" * 200])), draw(header_texts))
        )
    draw(st.randoms()).shuffle(headers)
    out = b""
    for name, value in headers:
        if draw(st.integers(0, 9)) == 0:
            # Raw 8-bit bytes in a header, in a legacy charset, as old clients send them.
            out += (
                name.encode()
                + b": "
                + _encode_text(value, draw(st.sampled_from(["latin-1", "cp1251", "shift_jis"])))
                + b"\r\n"
            )
        else:
            out += f"{name}: {value}\r\n".encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        out += b"MIME-Version: 1.0\r\n"
    return out


@st.composite
def flat_messages(draw: st.DrawFn) -> bytes:
    """A message with one text body (used inside message/rfc822 parts, where recursion must stop)."""
    return _top_headers(draw) + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + draw(texts).encode()


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """A whole message: top headers, then a MIME tree."""
    return _top_headers(draw) + render(draw(mime_trees))


SPLICES = [
    b"=?",
    b"?=",
    b"\r\n",
    b"\r\n\r\n",
    b"--",
    b"\x00",
    b"=?utf-8?B?",
    b">",
    b"charset=zz;",
    b"boundary=x\r\n",
    b"\xff\xfe",
    b"\n.\n",
]


@st.composite
def mutated(draw: st.DrawFn, source: st.SearchStrategy[bytes]) -> bytes:
    """``source``'s bytes damaged by a few flips, splices and cuts (or left whole)."""
    data = bytearray(draw(source))
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "splice", "cut", "truncate"]))
        if action == "flip":
            data[position] = draw(st.integers(0, 255))
        elif action == "splice":
            data[position:position] = draw(st.sampled_from(SPLICES))
        elif action == "cut":
            del data[position : position + draw(st.integers(1, 64))]
        else:
            del data[position:]
    return bytes(data)


any_message = st.one_of(mutated(messages()), st.binary(max_size=400))


def nested_message(depth: int) -> bytes:
    """A message whose MIME tree is ``depth`` multiparts deep, with one text part at the bottom."""
    part = Part(
        "text/plain", [("Content-Type", "text/plain; charset=utf-8")], body=b"Could you call me back?"
    )
    for level in range(depth):
        part = Part(
            "multipart/mixed",
            [("Content-Type", f'multipart/mixed; boundary="b{level}"')],
            children=[part],
            boundary=f"b{level}",
        )
    return b"From: a@example.com\r\nTo: b@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" + render(
        part
    )
