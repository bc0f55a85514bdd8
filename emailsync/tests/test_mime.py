"""Tests for emailsync.mime. Pure Python: no Django, no database, fixtures only from this tree."""

from __future__ import annotations

import email
import random
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from pathlib import Path

import pytest

from emailsync.mime import (
    CalendarInvite,
    MessageParseError,
    ParsedMessage,
    decode_bytes,
    decode_header_value,
    forwarded_headers,
    forwarded_region,
    html_to_text,
    is_forward_subject,
    parse_message,
    reply_text,
)
from emailsync.mime.message import MAX_TEXT_CHARS

FIXTURES = Path(__file__).parent / "fixtures"
TALON = FIXTURES / "talon_replies"


def load(name: str) -> ParsedMessage:
    return parse_message((FIXTURES / name).read_bytes())


def normalise(text: str) -> str:
    """Compare texts modulo trailing spaces per line and surrounding blank lines."""
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


# --------------------------------------------------------------------------- talon reply set

TALON_FILES = sorted(p.name for p in TALON.glob("*.eml"))
EXPECTED_FILES = {"iphone.eml": "iphone_reply_text", "sparrow.eml": "sparrow_reply_text"}
SHARE_BLOCK = "reply-quotations-share-block.eml"


def test_the_talon_fixture_set_is_complete() -> None:
    assert len(TALON_FILES) == 13
    assert (TALON / "LICENSE").is_file()


@pytest.mark.parametrize("name", [n for n in TALON_FILES if n != SHARE_BLOCK])
def test_it_strips_quoted_history_from_talon_replies(name: str) -> None:
    message = load(f"talon_replies/{name}")
    quote_free = reply_text(message.full_text, keep_signature=True)
    expected = (TALON / EXPECTED_FILES[name]).read_text() if name in EXPECTED_FILES else "Hello"
    assert normalise(quote_free) == normalise(expected)


@pytest.mark.parametrize("name", [n for n in TALON_FILES if n != SHARE_BLOCK])
def test_text_of_talon_replies_is_hello_once_signatures_are_gone(name: str) -> None:
    assert load(f"talon_replies/{name}").text == "Hello"


def test_it_cuts_the_yahoo_share_block_quote_without_leaving_a_from_line() -> None:
    text = load(f"talon_replies/{SHARE_BLOCK}").text
    assert text.startswith("Hi Katharine.")
    assert "Joe XXX" in text
    assert not any(line.lstrip().startswith("From") for line in text.splitlines())
    assert "New Booking Inquiry" not in text


# HTML alternatives of the talon replies: the stripper must also work on converted HTML, where quotes
# arrive as blockquotes. outlook.eml's HTML part really says something else than its plain part.
HTML_EXPECTED = {
    "android.eml": "Hello",
    "aol.eml": "Hello",
    "comcast.eml": "Hello",
    "gmail.eml": "Hello",
    "hotmail.eml": "Hello",
    "sparrow.eml": "Hello",
    "outlook.eml": "Allo! Follow up MIME!",
}


@pytest.mark.parametrize(("name", "expected"), sorted(HTML_EXPECTED.items()))
def test_it_strips_quoted_history_from_html_converted_replies(name: str, expected: str) -> None:
    msg = email.message_from_bytes((TALON / name).read_bytes(), policy=policy.default)
    html_part = msg.get_body(("html",))
    assert html_part is not None
    assert reply_text(html_to_text(html_part.get_content())) == expected


# --------------------------------------------------------------------------- reply_text on its own


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Apr 2, 2012 at 6:26 PM, Megan One <xxx@gmail.com> wrote:",
        "Am 02.04.2012 um 18:26 schrieb Megan One <xxx@gmail.com>:",
        "Le 2 avr. 2012 à 18:26, Megan One <xxx@gmail.com> a écrit :",
        "El 2 abr 2012, a las 18:26, Megan One escribió:",
        "Il giorno 2 apr 2012, alle ore 18:26, Megan One ha scritto:",
        "Op 2 apr. 2012 om 18:26 heeft Megan One het volgende geschreven/schreef:",
        "Em 2 de abr de 2012, às 18:26, Megan One escreveu:",
        "Den 2 apr 2012 kl. 18:26 skrev Megan One:",
        "W dniu 2.04.2012 o 18:26, Megan One napisał:",
    ],
)
def test_it_cuts_at_attribution_lines_in_several_languages(attribution: str) -> None:
    text = f"See you then.\n\n{attribution}\n\n> Can we meet Thursday?\n"
    assert reply_text(text) == "See you then."


def test_it_cuts_at_a_wrapped_attribution_line() -> None:
    text = "Sounds good.\n\nOn Mon, Apr 2, 2012 at 6:26 PM, A Very Long Name Indeed <\nlong.name@example.com> wrote:\n> Hi\n"
    assert reply_text(text) == "Sounds good."


def test_it_does_not_treat_prose_ending_in_wrote_colon_as_an_attribution() -> None:
    text = "This is what the author wrote:\nthe plan is fine."
    assert reply_text(text) == text


def test_it_cuts_outlook_header_blocks() -> None:
    text = "Fine by me.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\nTo: Alice\nSubject: Plan\n\nOld text"
    assert reply_text(text) == "Fine by me."
    text = "Fine by me.\n\nFrom: Bob <bob@x.org>\nSent: Monday, 3 March 2025 10:00\nTo: Alice\n\nOld text"
    assert reply_text(text) == "Fine by me."
    german = "Passt.\n\nVon: Bob <bob@x.org>\nGesendet: Montag, 3. März 2025 10:00\nAn: Alice\nBetreff: Plan\n\nAlt"
    assert reply_text(german) == "Passt."


def test_it_keeps_own_lines_that_merely_look_like_a_header() -> None:
    text = "From: the design team we need two reviewers.\nPlease volunteer by Friday."
    assert reply_text(text) == text


def test_it_removes_interleaved_quoted_lines_and_keeps_the_answers() -> None:
    text = "> Can you come Monday?\nYes.\n> And bring the slides?\nSure."
    assert reply_text(text) == "Yes.\nSure."


def test_it_removes_dash_dash_signatures_and_mobile_footers() -> None:
    assert reply_text("Call me at 5.\n\n-- \nJane Doe\nACME Corp\n+1 555 0100") == "Call me at 5."
    assert reply_text("Call me at 5.\n\nSent from my Android phone") == "Call me at 5."
    assert reply_text("Call me at 5.\n\nGet Outlook for iOS") == "Call me at 5."
    assert reply_text("Call me at 5.\n\nVon meinem iPhone gesendet") == "Call me at 5."


def test_it_keeps_a_long_tail_after_a_double_dash_line() -> None:
    # "--" followed by many lines is a separator in the body, not a signature.
    body = "Agenda\n--\n" + "\n".join(f"item {i}" for i in range(15))
    assert reply_text(body) == body


def test_it_keeps_sent_from_lines_that_are_not_at_the_end() -> None:
    text = "Sent via courier on Monday.\nPlease sign it.\nThen return it.\nBy Friday.\nThanks"
    assert reply_text(text) == text


def test_keep_signature_keeps_the_signature_but_still_strips_quotes() -> None:
    text = "Ok.\n\n-- \nJane\n\nOn Mon, 3 Mar 2025, Bob <b@x.org> wrote:\n> Hi"
    assert normalise(reply_text(text, keep_signature=True)) == "Ok.\n\n--\nJane"


def test_it_returns_nothing_for_a_reply_that_is_only_quoted_history() -> None:
    assert reply_text("-----Original Message-----\nFrom: Bob\nSent: Monday\nTo: Alice\n\nOld text") == ""


def test_it_keeps_forwarded_content_after_a_forward_marker() -> None:
    text = (
        "Please handle.\n\n---------- Forwarded message ---------\nFrom: X <x@y.z>\n\nPay invoice by Friday."
    )
    result = reply_text(text)
    assert result.startswith("Please handle.")
    assert "Pay invoice by Friday." in result


def test_it_ignores_a_forward_marker_inside_quoted_history() -> None:
    text = (
        "Done.\n\nOn Mon, 3 Mar 2025, Bob <b@x.org> wrote:\n> ---------- Forwarded message ---------\n> old"
    )
    assert reply_text(text) == "Done."


def test_forwarded_flag_turns_an_outlook_header_block_into_forwarded_content() -> None:
    text = "FYI\n\nFrom: Legal <l@x.org>\nSent: Monday\nTo: Alice\nSubject: Contract\n\nSign by 31 March."
    assert reply_text(text) == "FYI"
    assert "Sign by 31 March." in reply_text(text, forwarded=True)


def test_forwarded_region_splits_the_note_from_the_forwarded_messages_own_words() -> None:
    text = (
        "Can you take care of this?\n\n"
        "---------- Forwarded message ---------\n"
        "From: Legal <l@x.org>\nSubject: Contract\n\n"
        "Sign by 31 March.\n\n"
        "-- \nLegal team\n"
    )
    region = forwarded_region(text)
    assert region is not None
    assert text[: region.marker_start] == "Can you take care of this?\n\n"
    assert text[region.text_start : region.text_end] == "Sign by 31 March.\n\n"


def test_forwarded_region_ends_the_forwarded_words_at_their_own_quoted_history() -> None:
    text = (
        "---------- Forwarded message ---------\nFrom: Bob <b@x.org>\n\nBring the keys.\n"
        "On Mon, 3 Mar 2025, Ann <a@x.org> wrote:\n> Who has the keys?\n"
    )
    region = forwarded_region(text)
    assert region is not None
    assert text[region.text_start : region.text_end] == "Bring the keys.\n"


def test_forwarded_region_starts_below_apple_mails_header_block() -> None:
    # Apple Mail puts a blank line between the marker and the headers, and another before the words.
    text = (
        "FYI\n\nBegin forwarded message:\n\n"
        "From: Dana <dana@example.com>\nSubject: Offsite\nTo: Alice <alice@example.com>\n\n"
        "The offsite moves to 20 March, please book travel."
    )
    region = forwarded_region(text)
    assert region is not None
    assert text[region.text_start : region.text_end] == "The offsite moves to 20 March, please book travel."
    assert forwarded_headers(text, region) == {
        "from": "Dana <dana@example.com>",
        "to": "Alice <alice@example.com>",
    }


def test_forwarded_region_takes_an_outlook_header_block_as_a_forward_only_when_told() -> None:
    text = "FYI\n\nFrom: Legal <l@x.org>\nSent: Monday\nTo: Alice\nSubject: Contract\n\nSign by 31 March."
    assert forwarded_region(text) is None
    region = forwarded_region(text, forwarded=is_forward_subject("FW: Contract"))
    assert region is not None
    assert text[: region.marker_start] == "FYI\n\n"
    assert text[region.text_start : region.text_end] == "Sign by 31 March."
    assert forwarded_headers(text, region) == {"from": "Legal <l@x.org>", "to": "Alice"}
    assert not is_forward_subject("Re: Contract")


def test_forwarded_headers_reads_the_recipients_in_other_languages() -> None:
    text = (
        "Zur Info\n\n---------- Weitergeleitete Nachricht ---------\n"
        "Von: Dana <dana@example.com>\nDatum: 3. März 2025\nBetreff: Angebot\nAn: Sam <sam@example.com>\n"
        "Cc: Jo <jo@example.com>\n\nBitte das Angebot prüfen."
    )
    region = forwarded_region(text)
    assert region is not None
    assert forwarded_headers(text, region) == {
        "from": "Dana <dana@example.com>",
        "to": "Sam <sam@example.com>",
        "cc": "Jo <jo@example.com>",
    }
    assert text[region.text_start :] == "Bitte das Angebot prüfen."


@pytest.mark.parametrize(
    "text",
    [
        "Just a note, nothing forwarded.",
        "Done.\n\nOn Mon, 3 Mar 2025, Bob <b@x.org> wrote:\n> ---------- Forwarded message ---------\n> old",
        "See below.\n---------- Forwarded message ---------\nFrom: Bob <b@x.org>",
    ],
    ids=["no-forward", "marker-in-quoted-history", "headers-only"],
)
def test_forwarded_region_is_none_without_a_forward_of_its_own(text: str) -> None:
    assert forwarded_region(text) is None


# --------------------------------------------------------------------------- transfer encodings and charsets


def test_it_decodes_quoted_printable_bodies_including_soft_line_breaks() -> None:
    message = load("quoted_printable.eml")
    assert "It’s due to the board – thanks" in message.full_text
    assert "soft wrapped by the encoder so we test the soft line breaks properly." in message.full_text
    assert "=\n" not in message.full_text and "=E2" not in message.full_text


def test_it_decodes_base64_utf8_bodies() -> None:
    assert "können wir uns am Donnerstag um 15 Uhr treffen? Grüße, Zoë" in load("base64.eml").text


def test_it_decodes_a_declared_latin1_body_and_subject() -> None:
    message = load("latin1_declared.eml")
    assert message.subject == "Réunion à 14h"
    assert "La réunion est déplacée à 14h, salle Étoile." in message.text


def test_it_detects_undeclared_cp1252_bodies() -> None:
    assert load("cp1252_undeclared.eml").text == (
        "Hi Bob, the café budget is €40 – please confirm by Monday. It’s “urgent”, à bientôt, naïve Zoë."
    )


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("naïve".encode(), "iso-8859-1", "naïve"),  # UTF-8 mislabelled as latin-1
        ("“quoted”".encode("cp1252"), "iso-8859-1", "“quoted”"),  # cp1252 under a latin-1 label
        ("Grüße".encode(), "no-such-charset", "Grüße"),
        ("Grüße".encode(), "us-ascii", "Grüße"),
        ("Привет, как дела? Встреча завтра в 10 часов.".encode("cp1251"), None, "Привет, как дела? Встреча"),
        (b"\xff\xfe\x81\x00plain", "utf-8", "plain"),
    ],
)
def test_decode_bytes_never_raises_and_recovers_wrong_charsets(
    data: bytes, charset: str | None, expected: str
) -> None:
    assert expected in decode_bytes(data, charset)


def test_it_survives_a_broken_base64_body_with_a_bogus_charset() -> None:
    message = load("binary_body.eml")
    assert message.subject == "odd"
    assert isinstance(message.full_text, str)


# --------------------------------------------------------------------------- headers


def test_it_decodes_malformed_rfc2047_headers() -> None:
    message = load("broken_rfc2047.eml")
    # Encoded words glued to text, an unknown charset and split words across folded lines.
    assert message.subject == "Re: Übersicht und Pläne für März"
    assert message.sender == "j.mueller@example.de"
    assert message.sender_name == "Müller, Jürgen"
    assert message.to == ["bob@example.org"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?B?w6R?=", "ä"),  # missing base64 padding
        ('"=?utf-8?Q?Caf=C3=A9?=" <a@b.c>', '"Café" <a@b.c>'),  # inside quotes
        ("=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"),  # whitespace between words is dropped
        ("=?utf-8?Q?broken", "=?utf-8?Q?broken"),  # unterminated: left as is
        ("caf\udcc3\udca9", "café"),  # raw 8-bit header bytes (surrogate-escaped)
    ],
)
def test_decode_header_value_is_lenient(raw: str, expected: str) -> None:
    assert decode_header_value(raw) == expected


def test_it_extracts_basic_headers() -> None:
    message = load("quoted_printable.eml")
    assert message.message_id == "qp-1@example.com"
    assert message.sender == "alice@example.com"
    assert message.sender_name == "Alice Example"
    assert message.to == ["bob@example.org", "carol@example.net"]
    assert message.date == datetime(2025, 3, 4, 9, 15, tzinfo=timezone(timedelta(hours=1)))
    assert message.headers["content-transfer-encoding"] == "quoted-printable"


def test_it_extracts_threading_headers() -> None:
    message = load("talon_replies/apple_mail_2.eml")
    assert message.in_reply_to == "CABzQGhkMXDxUt_tSVQcg=43aniUhtsVfCZVzu-PG0kwS_uzqMw@mail.gmail.com"
    assert message.references == ["CABzQGhkMXDxUt_tSVQcg=43aniUhtsVfCZVzu-PG0kwS_uzqMw@mail.gmail.com"]


def test_a_message_without_date_has_date_none_and_empty_ids() -> None:
    message = load("no_date.eml")
    assert message.date is None
    assert message.message_id == ""
    assert message.sender_name == ""
    assert message.text == "Just a note."


@pytest.mark.parametrize(
    ("date_header", "expected"),
    [
        ("Mon, 2 Apr 2012 13:56:12 +0000 (UTC)", datetime(2012, 4, 2, 13, 56, 12, tzinfo=UTC)),
        ("Mon, 2 Apr 2012 13:56:12 -0000", datetime(2012, 4, 2, 13, 56, 12, tzinfo=UTC)),
        ("2012-04-02 13:56:12", datetime(2012, 4, 2, 13, 56, 12, tzinfo=UTC)),
        ("yesterday-ish", None),
        # A date that some clock cannot show (year 10000 in UTC, year 0 in New York) is no date.
        ("Fri, 31 Dec 9999 23:59:59 -1200", None),
        ("0001-01-01T00:00:00+14:00", None),
        ("0001-01-01T00:00:00Z", None),
        ("9999-12-31T12:00:00Z", None),
        ("Thu, 30 Dec 9999 10:00:00 -1200", datetime(9999, 12, 30, 22, 0, tzinfo=UTC)),
        ("0001-01-02T00:00:00Z", datetime(1, 1, 2, tzinfo=UTC)),
    ],
)
def test_dates_are_aware_or_none(date_header: str, expected: datetime | None) -> None:
    raw = f"From: a@b.c\r\nDate: {date_header}\r\nSubject: x\r\n\r\nbody\r\n".encode()
    parsed = parse_message(raw).date
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


# --------------------------------------------------------------------------- MIME structure


def test_it_prefers_text_plain_in_alternative() -> None:
    message = load("alternative.eml")
    assert message.full_text == "PLAIN version: agenda attached."
    assert message.html_only is False


def test_it_falls_back_to_html_when_the_plain_alternative_is_empty() -> None:
    message = load("alternative_empty_plain.eml")
    assert message.full_text == "Only the HTML part has words."
    assert message.html_only is True


def test_it_converts_html_only_mail_to_readable_text_without_hidden_content() -> None:
    message = load("html_only.eml")
    assert message.html_only is True
    assert "Team lunch on Thursday at 12:30 pm." in message.text
    assert "Please RSVP & bring ideas." in message.text
    assert "Pizza" in message.text and "1. Vote by Wednesday" in message.text
    for hidden in (
        "Preheader",
        "hidden comment",
        "Invisible block",
        "tracking",
        "color: red",
        "Ignore title",
    ):
        assert hidden not in message.full_text
    assert "<" not in message.full_text and "&amp;" not in message.full_text


ASKS_TABLE = """<html><body><p>Hi Sam,</p><p>Open items from Monday's review:</p>
<table border="1"><thead><tr><th>Task</th><th>Owner</th><th>Due</th></tr></thead>
<tbody><tr><td><b>Update</b> the pricing deck</td><td>Sam</td><td>Friday</td></tr>
<tr><td>Send the budget to finance</td><td>Priya</td><td>March 10</td></tr>
<tr><td>Book the offsite venue</td><td></td><td>next Tuesday</td></tr></tbody></table>
<p>Thanks,<br>Jo</p></body></html>"""


def test_a_data_table_comes_out_one_row_a_line_with_its_cells_separated() -> None:
    assert html_to_text(ASKS_TABLE) == (
        "Hi Sam,\n\nOpen items from Monday's review:\n\n"
        "Task | Owner | Due\n"
        "Update the pricing deck | Sam | Friday\n"
        "Send the budget to finance | Priya | March 10\n"
        "Book the offsite venue | | next Tuesday\n\n"
        "Thanks,\nJo"
    )


def test_a_table_cell_keeps_a_pipe_of_its_own_from_splitting_the_row() -> None:
    html = "<table><tr><td>Task</td><td>Due</td></tr><tr><td>Fix A|B test</td><td>Monday</td></tr></table>"
    assert html_to_text(html) == "Task | Due\nFix A/B test | Monday"


def test_layout_tables_keep_their_paragraphs() -> None:
    # The frame of most HTML mail: a table around a table, and cells that hold paragraphs.
    html = (
        "<table><tr><td><table><tr><td><p>Hello Sam,</p><p>Could you review the draft by Friday?</p></td>"
        "<td><p>Side note</p></td></tr></table></td></tr></table>"
        "<table><tr><td><p>" + "Long paragraph of news. " * 12 + "</p></td><td>x</td></tr>"
        "<tr><td>a</td><td>b</td></tr></table>"
    )
    text = html_to_text(html)
    assert "Could you review the draft by Friday?" in text
    assert " | " not in text


def test_it_ignores_attachments_and_does_not_duplicate_invites() -> None:
    message = load("calendar_invite.eml")
    assert message.full_text == "You have been invited to Design review."
    assert "ATTACHED NOTES" not in message.full_text and "PDF" not in message.full_text
    assert [invite.summary for invite in message.invites] == ["Design review", "Offsite"]


def test_it_parses_text_calendar_parts_into_aware_invites() -> None:
    review, offsite = load("calendar_invite.eml").invites
    assert isinstance(review, CalendarInvite)
    assert review.method == "REQUEST"
    assert review.location == "Room 4, Building B"
    assert review.start is not None and review.end is not None
    assert review.start.astimezone(UTC) == datetime(2025, 3, 12, 13, 0, tzinfo=UTC)
    assert review.end - review.start == timedelta(hours=1)
    assert review.all_day is False
    # All-day events (VALUE=DATE) become midnight in the message's zone.
    assert offsite.all_day is True
    assert offsite.start == datetime(2025, 3, 20, tzinfo=timezone(timedelta(hours=1)))


def test_an_invite_with_no_utc_instant_has_no_start_but_keeps_the_text() -> None:
    calendar = (
        "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:far@example.com\r\nSUMMARY:Far future\r\n"
        "DTSTART;TZID=America/New_York:99991231T230000\r\nDURATION:PT2H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    raw = (
        "From: a@example.com\r\nSubject: invite\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nSee you there.\r\n"
        f"--b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n{calendar}--b--\r\n"
    ).encode()

    message = parse_message(raw)

    assert [(invite.summary, invite.start, invite.end) for invite in message.invites] == [
        ("Far future", None, None)
    ]
    assert message.text == "See you there."


def test_a_broken_calendar_part_yields_no_invites_but_keeps_the_text() -> None:
    raw = (
        b"From: a@b.c\r\nSubject: inv\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
        b"--x\r\nContent-Type: text/plain\r\n\r\nSee invite\r\n"
        b"--x\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n--x--\r\n"
    )
    message = parse_message(raw)
    assert message.full_text == "See invite"
    assert all(invite.start is None for invite in message.invites)


# --------------------------------------------------------------------------- forwarded mail


def test_it_keeps_gmail_forwarded_content_in_text() -> None:
    message = load("forwarded_gmail.eml")
    assert message.forwarded is True
    assert message.text.startswith("Can you put this in my calendar?")
    assert "Your appointment is on 12 March at 9:00." in message.text
    assert "From: Smile Clinic <info@smile.example>" in message.text


def test_it_unquotes_apple_mail_forwarded_content() -> None:
    message = load("forwarded_apple.eml")
    assert message.forwarded is True
    assert "The offsite moves to 20 March, please book travel." in message.text
    assert not any(line.startswith(">") for line in message.text.splitlines())


def test_it_inlines_message_rfc822_attachments_as_forwarded_content() -> None:
    message = load("forwarded_rfc822.eml")
    assert message.forwarded is True
    assert "See the attached booking." in message.text
    assert "Your flight to Lisbon departs 20 March 07:40." in message.text
    assert "Subject: Flight booked" in message.text


def test_it_keeps_outlook_forwarded_content_when_the_subject_says_fw() -> None:
    message = load("outlook_forward.eml")
    assert message.forwarded is True
    assert "Please review before Friday." in message.text
    assert "The contract renewal must be signed by 31 March." in message.text


def test_a_plain_reply_is_not_marked_forwarded() -> None:
    assert load("talon_replies/gmail.eml").forwarded is False


# --------------------------------------------------------------------------- failure modes


def test_garbage_bytes_raise_message_parse_error_with_a_reason() -> None:
    with pytest.raises(MessageParseError, match="not an email"):
        load("garbage.bin")


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"just some words without headers\r\n"])
def test_input_without_headers_raises_message_parse_error(raw: bytes) -> None:
    with pytest.raises(MessageParseError):
        parse_message(raw)


def test_non_bytes_input_raises_message_parse_error() -> None:
    with pytest.raises(MessageParseError, match="bytes"):
        parse_message("From: a@b.c\r\n\r\nhi")  # type: ignore[arg-type]  # a str on purpose


@pytest.mark.parametrize(
    "raw",
    [
        b"From: a@b.c\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
        b"From: a@b.c\r\nContent-Type: multipart/alternative; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\n",
        b"From: <<<>>>\r\nTo: ,,,\r\nDate: Mon, 99 Foo 2012 99:99:99 +9999\r\nSubject: =?utf-8?B?!!!?=\r\n\r\nx\r\n",
        b'From: a@b.c\r\nContent-Type: text/plain; charset="\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n\xff\xfe\r\n',
        b"Subject: \xc3\xa9t\xe9\r\nFrom: \xff\xfe <a@b.c>\r\n\r\n\x80\x81\x82\r\n",
    ],
)
def test_malformed_messages_parse_without_crashing(raw: bytes) -> None:
    message = parse_message(raw)
    assert isinstance(message.full_text, str)
    assert isinstance(message.subject, str)


def test_the_text_read_for_tasks_is_capped_and_the_full_text_kept() -> None:
    body = "Could you send the figures by Friday? " + "Log line 42: all fine. " * 100_000
    raw = b"From: a@example.com\r\nSubject: log\r\nContent-Type: text/plain\r\n\r\n" + body.encode()

    message = parse_message(raw)

    assert len(message.text) == MAX_TEXT_CHARS
    assert message.text.startswith("Could you send the figures by Friday?")
    assert len(message.full_text) > 2_000_000


def test_randomly_corrupted_fixtures_never_raise_anything_but_message_parse_error() -> None:
    rnd = random.Random(20250304)  # fixed seed: a failure is reproducible
    sources = [path.read_bytes() for path in sorted(FIXTURES.rglob("*.eml"))]
    splices = [b"=?", b"?=", b"\r\n", b"--", b"\x00", b"=?utf-8?B?", b">", b"charset=zz;", b"boundary=x\r\n"]
    for _ in range(300):
        data = bytearray(rnd.choice(sources))
        for _ in range(rnd.randint(1, 15)):
            pos = rnd.randrange(len(data))
            roll = rnd.random()
            if roll < 0.4:
                data[pos] = rnd.randrange(256)
            elif roll < 0.7:
                data[pos:pos] = rnd.choice(splices)
            else:
                del data[pos : pos + rnd.randint(1, 50)]
        try:
            parse_message(bytes(data))
        except MessageParseError:
            pass
