"""The offline extractor on the shape of an email: tables and lists of asks, asks buried under long
release notes, and asks inside forwarded mail. Every email here was written for these tests."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emailsync.mime import parse_message
from tasks_app.extractors import MAX_TASKS_PER_EMAIL, EmailForExtraction, ExtractedTask, Reader, Recipient
from tasks_app.extractors.offline import OfflineExtractor, split_sentences

NY = "America/New_York"
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo(NY))  # Wednesday 4 March 2026
SAM = Reader(names=("Sam Lee", "Sam"), addresses=("sam@example.com",))
TO_SAM_AND_PRIYA = (Recipient("sam@example.com", "Sam Lee"), Recipient("priya@example.com", "Priya Shah"))
JO = "Jo Park <jo@example.com>"
UNKNOWN_READER = Reader()


def at(day: int, hour: int = 17) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=ZoneInfo(NY))


def extract(
    body: str,
    *,
    reader: Reader = UNKNOWN_READER,
    to: tuple[Recipient, ...] = (),
    subject: str = "Plans",
    sender: str = JO,
) -> list[ExtractedTask]:
    email = EmailForExtraction(
        id="e1",
        subject=subject,
        body=body,
        sender=sender,
        sent_at=WEDNESDAY,
        timezone=NY,
        reader=reader,
        to=to,
    )
    tasks = OfflineExtractor().extract(email)
    for task in tasks:
        assert task.evidence in body
    return tasks


def titles_and_dues(tasks: list[ExtractedTask]) -> list[tuple[str, dt.datetime | None]]:
    return [(task.title, task.due) for task in tasks]


def html_email_text(html: str) -> str:
    """The text the sync hands the extractor for an HTML-only email."""
    message = EmailMessage()
    message["From"] = JO
    message["To"] = "Sam Lee <sam@example.com>, Priya Shah <priya@example.com>"
    message["Subject"] = "Open items"
    message.set_content(html, subtype="html")
    return parse_message(message.as_bytes()).text


# --------------------------------------------------------------------------- tables

REVIEW_ITEMS_HTML = """<html><body>
<p>Hi Sam,</p>
<p>Here are the open items from Monday's review:</p>
<table border="1" cellpadding="4">
  <thead><tr><th>Task</th><th>Owner</th><th>Due</th></tr></thead>
  <tbody>
    <tr><td>Update the pricing deck</td><td>Sam</td><td>Friday</td></tr>
    <tr><td>Send the budget to finance</td><td>Priya</td><td>March 10</td></tr>
    <tr><td>Book the offsite venue</td><td></td><td>next Tuesday</td></tr>
    <tr><td>Confirm the caterer</td><td>Sam L.</td><td>Thu 3pm</td></tr>
  </tbody>
</table>
<p>Thanks,<br>Jo</p>
</body></html>"""


def test_an_html_table_of_asks_gives_one_task_per_row_of_the_reader_or_of_no_one() -> None:
    body = html_email_text(REVIEW_ITEMS_HTML)
    tasks = extract(body, reader=SAM, to=TO_SAM_AND_PRIYA)
    assert titles_and_dues(tasks) == [
        ("Update the pricing deck", at(6)),
        ("Book the offsite venue", at(10)),
        ("Confirm the caterer", at(5, 15)),
    ]
    assert tasks[0].evidence == "Update the pricing deck | Sam | Friday"
    assert [task.kind for task in tasks] == ["deadline"] * 3


def test_a_row_for_someone_else_is_theirs_whatever_the_readers_role() -> None:
    body = html_email_text(REVIEW_ITEMS_HTML)
    priya = Reader(names=("Priya Shah", "Priya"), addresses=("priya@example.com",))
    assert titles_and_dues(extract(body, reader=priya, to=TO_SAM_AND_PRIYA)) == [
        ("Send the budget to finance", at(10)),
        ("Book the offsite venue", at(10)),
    ]


def test_without_a_known_reader_the_greeting_says_whose_rows_they_are() -> None:
    body = html_email_text(REVIEW_ITEMS_HTML)
    assert [task.title for task in extract(body)] == [
        "Update the pricing deck",
        "Book the offsite venue",
        "Confirm the caterer",
    ]


def test_a_plain_text_markdown_table_is_read_like_an_html_one() -> None:
    body = (
        "Hi Sam,\n\nAs discussed, here is the launch plan:\n\n"
        "| Action item | Assigned to | Due date |\n"
        "|---|:---:|---|\n"
        "| Draft the press release | Sam | Mar 12 |\n"
        "| Approve the budget | Priya | Mar 10 |\n"
        "| Send the invites | TBD | next Friday |\n"
        "| Book a photographer | Sam | |\n\n"
        "Jo"
    )
    tasks = extract(body, reader=SAM, to=TO_SAM_AND_PRIYA)
    assert titles_and_dues(tasks) == [
        ("Draft the press release", at(12)),
        ("Send the invites", at(13)),
        ("Book a photographer", None),
    ]
    assert tasks[2].kind == "todo"


@pytest.mark.parametrize(
    "header",
    [
        "Action | Action by | Target date",  # minutes: "Action by" names who acts
        "Description | Task owner | Due date (EST)",
        "#  | To do | Responsible | When",
    ],
)
def test_table_headers_are_read_by_their_words(header: str) -> None:
    width = len(header.split("|"))
    rows = (
        ["Send the signed NDA", "Sam", "Friday"],
        ["Renew the lease", "Priya", "Monday"],
    )
    lines = [" | ".join((["1"] if width == 4 else []) + row) for row in rows]
    body = "Follow-ups:\n\n" + header + "\n" + "\n".join(lines) + "\n"
    assert titles_and_dues(extract(body, reader=SAM, to=TO_SAM_AND_PRIYA)) == [("Send the signed NDA", at(6))]


def test_an_agenda_is_not_a_table_of_asks() -> None:
    body = "Agenda for Friday:\n\nTime | Topic | Presenter\n10:00 | Review the budget | Sam\n11:00 | Plan Q3 | Priya\n"
    assert extract(body, reader=SAM) == []


def test_rows_marked_done_are_not_tasks() -> None:
    body = (
        "Where we are:\n\n"
        "Task | Owner | Due | Status\n"
        "Update the deck | Sam | Friday | Done\n"
        "Send the budget | Sam | Monday | Open\n"
    )
    assert titles_and_dues(extract(body, reader=SAM)) == [("Send the budget", at(9))]


def test_a_row_without_a_due_cell_takes_the_date_of_the_ask_above_the_table() -> None:
    body = (
        "Please take care of these by Friday:\n\n"
        "Renew the parking permit | Mar 20\n"
        "Pay the March invoice |\n"
        "Call the landlord | Thursday\n"
    )
    assert titles_and_dues(extract(body)) == [
        ("Renew the parking permit", at(20)),
        ("Pay the March invoice", at(6)),
        ("Call the landlord", at(5)),
    ]


def test_tables_that_are_not_asks_give_no_tasks() -> None:
    quote = (
        "Hi Sam,\n\nHere is the quote you asked for:\n\n"
        "Item | Qty | Price\nStanding desk | 2 | $800\nMonitor arm | 4 | $120\n\nJo"
    )
    assert extract(quote) == []
    # An owner's address is the reader's only if it is one of theirs, whatever its local part.
    table = "Task | Owner | Due\nSend the deck | sam@vendor.example | Friday\nBook travel | sam@example.com | Friday\n"
    assert [task.title for task in extract(table, reader=SAM)] == ["Book travel"]
    # Two lines with pipes under an ask are a signature, not a table of its asks.
    signed = (
        "Could you review the attached draft by Friday?\n\n"
        "Jo Park | Head of Sales | Acme\njo@acme.example | +1 555 0100\n"
    )
    assert titles_and_dues(extract(signed)) == [("Review the attached draft", at(6))]


def test_table_rows_are_single_sentences_with_their_cells_header_and_lead() -> None:
    body = "Open items:\nTask | Owner\nSend the deck. Today | Sam\n"
    header, row = [s for s in split_sentences(body) if s.role == "row"]
    assert row.text == "Send the deck. Today | Sam"
    assert (row.cells, row.header) == (("Send the deck. Today", "Sam"), ("Task", "Owner"))
    assert row.lead is not None and row.lead.text == "Open items:"
    assert header.cells == header.header


# --------------------------------------------------------------------------- lists


def test_each_item_under_an_ask_is_a_task_with_the_asks_date() -> None:
    body = (
        "Hi Sam,\n\n"
        "Could you do the following by Friday:\n"
        "- update the deck\n"
        "- send the budget\n"
        "- book the room for Monday\n\n"
        "Thanks,\nJo"
    )
    tasks = extract(body)
    assert titles_and_dues(tasks) == [
        ("Update the deck", at(6)),
        ("Send the budget", at(6)),
        ("Book the room", at(9)),
    ]
    assert all(task.kind == "deadline" for task in tasks)


def test_numbered_items_that_are_only_things_take_the_verb_of_the_ask() -> None:
    body = (
        "Hi Sam,\n\n"
        "Can you get these done before the board meeting on Monday?\n\n"
        "1. the expense report\n"
        "2) Book the hotel for Denver\n"
        "3. Review the Q2 forecast by Thursday\n\n"
        "Cheers\nJo"
    )
    assert titles_and_dues(extract(body)) == [
        ("Get the expense report done", at(9)),
        ("Book the hotel for Denver", at(9)),
        ("Review the Q2 forecast", at(5)),
    ]
    body = "Could you send me the following by Friday:\n* the signed NDA\n* your W-9\n* bank details for the wire\n"
    assert [task.title for task in extract(body)] == [
        "Send the signed NDA",
        "Send your W-9",
        "Send bank details for the wire",
    ]


def test_a_specific_ask_over_a_list_of_details_stays_one_task() -> None:
    body = "Could you review the draft contract by Friday?\n- the payment terms\n- the renewal clause\n"
    assert titles_and_dues(extract(body)) == [("Review the draft contract", at(6))]


def test_a_statement_is_not_a_thing_asked_for_and_a_label_is_not_a_person() -> None:
    body = "Could you check the following before Friday:\n- the room is booked\n- Budget: send the final numbers\n"
    assert titles_and_dues(extract(body)) == [("Send the final numbers", at(6))]


def test_items_assigned_to_someone_else_are_theirs() -> None:
    body = (
        "Hi both,\n\n"
        "Next steps from today's call:\n"
        "- Priya: send the revised budget to finance\n"
        "- Sam: book the offsite venue by Friday\n"
        "- Sam to update the pricing deck\n"
        "- Finalize the agenda (Priya)\n"
        "- @sam confirm the headcount\n\n"
        "Jo"
    )
    tasks = extract(body, reader=SAM, to=TO_SAM_AND_PRIYA)
    # "today's call" dates the notes, not the items: a heading's date is a due only after "by"/"before".
    assert titles_and_dues(tasks) == [
        ("Book the offsite venue", at(6)),
        ("Update the pricing deck", None),
        ("Confirm the headcount", None),
    ]
    assert tasks[0].evidence == "Sam: book the offsite venue by Friday"
    body = (
        "Could you do these by Friday:\n"
        "- send the deck to dana@vendor.example\n"
        "- renew the permit (ASAP)\n"
        "- call the caterer (Priya)\n"
    )
    assert [task.title for task in extract(body, reader=SAM, to=TO_SAM_AND_PRIYA)] == [
        "Send the deck to dana@vendor.example",
        "Renew the permit",
    ]
    body = "Action items for Priya:\n- send the revised budget\n- book the venue\n"
    assert extract(body, reader=SAM, to=TO_SAM_AND_PRIYA) == []


def test_notes_under_a_heading_that_asks_nothing_give_nothing() -> None:
    body = (
        "Hi all,\n\n"
        "Here are my notes from the planning call.\n\n"
        "- the budget is approved\n"
        "- Maria joins the team in May\n"
        "- Update the wiki with the new org chart\n\n"
        "Jo"
    )
    assert extract(body) == []


# --------------------------------------------------------------------------- asks after long content

CHANGES = [
    f"{verb} {what}"
    for verb in ("Fixed crash in", "Added support for", "Improved speed of", "Removed old")
    for what in ("export", "import", "sync", "login", "search", "the editor", "settings", "charts",
                 "PDF output", "CSV parsing")
]  # fmt: skip


def test_an_ask_after_forty_lines_of_release_notes_is_found_and_the_notes_are_not_tasks() -> None:
    body = (
        "Hi team,\n\nRelease 2.4 is ready. What's new:\n"
        + "\n".join(CHANGES)
        + "\nCan you sign off on the release by Thursday?\n\nThanks,\nJo"
    )
    assert len(CHANGES) == 40
    tasks = extract(body)
    assert titles_and_dues(tasks) == [("Sign off on the release", at(5))]
    assert tasks[0].evidence == "Can you sign off on the release by Thursday?"


def test_imperative_changelog_bullets_do_not_crowd_out_the_ask_below_them() -> None:
    entries = [
        "Fix crash in export",
        "Update dependencies",
        "Add dark mode",
        "Remove legacy sync",
        "Handle empty CSV files",
        "Improve search",
        "Check for updates on start",
    ]
    body = (
        "Release notes for 2.4\n\nBug fixes and changes:\n"
        + "".join(f"- {entry}\n" for entry in entries)
        + "\nCan you sign off on the release by Thursday?\n"
    )
    assert len(entries) > MAX_TASKS_PER_EMAIL
    assert titles_and_dues(extract(body)) == [("Sign off on the release", at(5))]


def test_an_item_that_asks_outright_counts_even_in_release_notes() -> None:
    body = "What's new in 2.4:\n- Added dark mode\n- Please check the export on Windows by Monday\n"
    assert titles_and_dues(extract(body)) == [("Check the export on Windows", at(9))]


def test_an_html_release_email_framed_in_layout_tables_gives_only_the_ask_at_its_end() -> None:
    entries = "".join(f"<li>{change}</li>" for change in CHANGES)
    body = html_email_text(
        "<table width='100%'><tr><td><table><tr><td>"
        f"<h2>What's new in 2.4</h2><ul>{entries}</ul>"
        "<h3>Bug fixes</h3><ul><li>Fix crash on start</li><li>Update translations</li></ul>"
        "<p>Can you sign off on the release by Thursday?</p>"
        "</td></tr></table></td></tr></table>"
    )
    assert titles_and_dues(extract(body)) == [("Sign off on the release", at(5))]


def test_an_html_list_under_an_ask_gives_one_task_per_item() -> None:
    body = html_email_text(
        "<p>Hi Sam,</p><p>Could you do the following by Friday:</p>"
        "<ul><li>update the deck</li><li>send the budget</li></ul><ol><li>Book the room for Monday</li></ol>"
        "<p>Thanks,<br>Jo</p>"
    )
    assert titles_and_dues(extract(body)) == [
        ("Update the deck", at(6)),
        ("Send the budget", at(6)),
        ("Book the room", at(9)),
    ]


def test_short_lines_without_punctuation_are_sentences_of_their_own() -> None:
    body = "Release 2.4\nFixed crash in export\nAdded dark mode\nThis wrapped sentence of prose runs on\nover two lines."
    assert [s.text for s in split_sentences(body)] == [
        "Release 2.4",
        "Fixed crash in export",
        "Added dark mode",
        "This wrapped sentence of prose runs on\nover two lines.",
    ]
    body = "Could you send the report to\nJo by Friday? And book\nthe room."
    assert [s.text for s in split_sentences(body)] == [
        "Could you send the report to\nJo by Friday?",
        "And book\nthe room.",
    ]


# --------------------------------------------------------------------------- forwards


def forward(note: str, headers: str, words: str) -> str:
    return f"{note}\n\n---------- Forwarded message ---------\n{headers}\n\n{words}\n"


DANA_TO_SAM = "From: Dana Wu <dana@vendor.example>\nDate: Tue, Mar 3, 2026 at 4:10 PM\nSubject: Contract\nTo: Sam Lee <sam@example.com>"
DANA_TO_JO = "From: Dana Wu <dana@vendor.example>\nDate: Tue, Mar 3, 2026 at 4:10 PM\nSubject: Contract\nTo: Jo Park <jo@example.com>"


def test_an_fyi_forward_of_a_message_written_to_the_reader_gives_its_ask() -> None:
    body = forward("FYI, see below.", DANA_TO_SAM, "Please send the signed contract by Monday.\n\nDana")
    tasks = extract(body, reader=SAM, subject="Fwd: Contract")
    assert titles_and_dues(tasks) == [("Send the signed contract", at(9))]
    assert tasks[0].evidence == "Please send the signed contract by Monday."


def test_a_forwarded_greeting_that_names_the_reader_makes_the_ask_theirs() -> None:
    headers = "From: Dana Wu <dana@vendor.example>\nSubject: Contract"
    body = forward(
        "FYI, see below.", headers, "Hi Sam,\n\nPlease send the signed contract by Monday.\n\nDana"
    )
    assert titles_and_dues(extract(body, reader=SAM, subject="Fwd: Contract")) == [
        ("Send the signed contract", at(9))
    ]
    # Outlook-style headers name the recipient without an address.
    headers = "From: Dana Wu <dana@vendor.example>\nTo: Sam Lee\nSubject: Contract"
    body = forward("FYI", headers, "Please send the signed contract by Monday.")
    assert [task.title for task in extract(body, reader=SAM)] == ["Send the signed contract"]


def test_an_fyi_forward_of_an_ask_made_to_the_forwarder_is_not_the_readers() -> None:
    body = forward("FYI, see below.", DANA_TO_JO, "Please send the signed contract by Monday.\n\nDana")
    assert extract(body, reader=SAM, subject="Fwd: Contract") == []
    # The greeting outranks the To line: the message was written to Jo even if Sam got a copy.
    body = forward("FYI", DANA_TO_SAM, "Hi Jo,\n\nPlease send the signed contract by Monday.")
    assert extract(body, reader=SAM) == []


def test_the_forwarders_own_ask_is_the_task_not_the_ask_they_forwarded() -> None:
    body = forward(
        "FYI, see below. Can you get me last year's contract by Friday?",
        DANA_TO_JO,
        "Hi Jo,\n\nPlease send the signed contract by Monday.",
    )
    assert titles_and_dues(extract(body, reader=SAM)) == [("Send last year's contract", at(6))]


def test_a_forward_of_the_readers_own_message_asks_them_nothing() -> None:
    headers = "From: Sam Lee <sam@example.com>\nSubject: Contract\nTo: Sam Lee <sam@example.com>"
    body = forward("FYI, this went out.", headers, "Please send the signed contract by Monday.")
    assert extract(body, reader=SAM) == []


def test_delegating_a_forward_still_makes_its_asks_the_readers_whoever_they_were_for() -> None:
    body = forward(
        "Could you handle this?", DANA_TO_JO, "Hi Jo,\n\nPlease send the signed contract by Monday."
    )
    assert titles_and_dues(extract(body, reader=SAM)) == [("Send the signed contract", at(9))]


def test_an_apple_mail_forward_to_the_reader_gives_its_ask_after_parsing() -> None:
    message = EmailMessage()
    message["From"] = JO
    message["To"] = "sam@example.com"
    message["Subject"] = "Fwd: Offsite"
    message.set_content(
        "FYI\n\nBegin forwarded message:\n\n"
        "From: Dana Wu <dana@vendor.example>\nSubject: Offsite\nDate: 3 March 2026 at 11:02:10 EST\n"
        "To: Sam Lee <sam@example.com>\n\n"
        "The offsite moves to 20 March. Please book your travel by Friday.\n"
    )
    body = parse_message(message.as_bytes()).text
    assert titles_and_dues(extract(body, reader=SAM, subject="Fwd: Offsite")) == [("Book your travel", at(6))]


def test_a_note_that_repeats_the_forwarded_ask_gives_it_once() -> None:
    body = forward(
        "Can you send the signed contract by Monday? See below.",
        DANA_TO_SAM,
        "Please send the signed contract by Monday.",
    )
    tasks = extract(body, reader=SAM)
    assert titles_and_dues(tasks) == [("Send the signed contract", at(9))]
    assert tasks[0].evidence == "Can you send the signed contract by Monday?"


def test_with_an_unknown_reader_a_forward_is_theirs_only_if_it_greets_whom_the_note_greets() -> None:
    words = "Hi Sam,\n\nPlease send the signed contract by Monday."
    assert [task.title for task in extract(forward("Hi Sam,\n\nFYI, see below.", DANA_TO_JO, words))] == [
        "Send the signed contract"
    ]
    assert extract(forward("FYI, see below.", DANA_TO_SAM, words)) == []


# --------------------------------------------------------------------------- any shape

_LINES = [
    "Hi Sam,",
    "Could you do the following by Friday:",
    "Notes from the call:",
    "Action items for Priya:",
    "- update the deck",
    "* the signed NDA",
    "1. Priya: send the budget by Monday",
    "2) @sam book the room",
    "   continued on an indented line",
    "Task | Owner | Due",
    "| Draft the memo | Sam | Mar 12 |",
    "|---|---|---|",
    "Send the budget | Priya | tomorrow",
    "Book travel | | next Tuesday | extra cell",
    "|",
    " | ",
    "Fixed crash in export",
    "Can you sign off on the release by Thursday?",
    "---------- Forwarded message ---------",
    "Begin forwarded message:",
    "From: Dana Wu <dana@vendor.example>",
    "To: Sam Lee <sam@example.com>",
    "Please send the signed contract by Monday.",
    "See below.",
    "",
    "Thanks,",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_LINES), st.text(max_size=40)), max_size=30))
def test_any_mix_of_lists_tables_and_forwards_gives_grounded_capped_tasks(lines: list[str]) -> None:
    body = "\n".join(lines)
    for reader in (UNKNOWN_READER, SAM):
        tasks = extract(body, reader=reader, to=TO_SAM_AND_PRIYA)  # checks every evidence is in the body
        assert len(tasks) <= MAX_TASKS_PER_EMAIL
        assert all(task.title.strip() for task in tasks)
    for sentence in split_sentences(body):
        assert body[sentence.start : sentence.end] == sentence.text
        assert sentence.lead is None or body[sentence.lead.start : sentence.lead.end] == sentence.lead.text


OUTLOOK_HEADERS = "________________________________\nFrom: Dana Wu <dana@vendor.example>\nSent: Tuesday, March 3, 2026 4:10 PM\n"


def test_an_outlook_forward_is_read_as_a_forward_when_the_subject_says_so() -> None:
    to_sam = f"FYI\n\n{OUTLOOK_HEADERS}To: Sam Lee\nSubject: Contract\n\nPlease send the signed contract by Monday.\n"
    assert titles_and_dues(extract(to_sam, reader=SAM, subject="FW: Contract")) == [
        ("Send the signed contract", at(9))
    ]
    to_jo = to_sam.replace("To: Sam Lee", "To: Jo Park")
    assert extract(to_jo, reader=SAM, subject="FW: Contract") == []
    # Without "FW:" the block is not known to be a forward: the text is read as one message.
    assert [task.title for task in extract(to_jo, reader=SAM, subject="Contract")] == [
        "Send the signed contract"
    ]
