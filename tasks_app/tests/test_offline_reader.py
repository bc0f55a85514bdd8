"""The offline extractor reads for one person: mail with nothing for the reader gives no task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from pytest_django import Settings

from conftest import MailFolder, sync_in_foreground
from emailsync.models import Mailbox, SyncRun
from tasks_app.extractors import EmailForExtraction, ExtractedTask, Reader, Recipient
from tasks_app.extractors.offline import OfflineExtractor
from tasks_app.models import Task

NY = "America/New_York"
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo(NY))
ANA = Reader(names=("Ana Silva", "Ana"), addresses=("ana@northwind.example",))
ANA_ADDRESS = Recipient("ana@northwind.example", "Ana Silva")
MARIA = Recipient("maria.lopez@northwind.example", "Maria Lopez")
TOM = Recipient("tom@northwind.example", "")


def email(
    body: str,
    *,
    subject: str = "Hello",
    sender: str = "bo@northwind.example",
    reader: Reader = ANA,
    to: tuple[Recipient, ...] = (ANA_ADDRESS,),
    cc: tuple[Recipient, ...] = (),
) -> EmailForExtraction:
    return EmailForExtraction(
        id="e1",
        subject=subject,
        body=body,
        sender=sender,
        sent_at=WEDNESDAY,
        timezone=NY,
        reader=reader,
        to=to,
        cc=cc,
    )


def extract(body: str, **kwargs: object) -> list[ExtractedTask]:
    return OfflineExtractor().extract(email(body, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        "Hi Ana,\n\nFYI, the build is green again after the fix.\n\nLet me know if you have any questions.\n\nBo",
        "The Q3 close moved to the 12th. Let me know if you need anything else.",
        "Attached are the minutes from Monday. Let us know if we can help with anything.",
        "Here is the new rota. Let me know if there's anything I can do.",
        "The vendor list is updated. Let me know if this helps.",
        "The dashboard is live. Let me know if you run into any problems.",
    ],
)
def test_an_fyi_note_that_ends_in_a_courtesy_offer_gives_no_task(body: str) -> None:
    assert extract(body) == []


def test_a_let_me_know_that_asks_for_an_answer_is_still_a_task() -> None:
    assert len(extract("I booked the room for Thursday. Let me know if 3pm works.")) == 1


@pytest.mark.parametrize(
    "body",
    [
        "I'll send you the numbers by Friday.",
        "Thanks for the call. I will get the signed contract over to you tomorrow.",
        "We will ship the fix on Friday.",
        "I'm going to call the supplier this afternoon.",
    ],
)
@pytest.mark.parametrize("reader", [ANA, Reader()], ids=["reader in To", "reader unknown"])
def test_the_senders_own_promise_is_not_the_readers_task(body: str, reader: Reader) -> None:
    assert extract(body, reader=reader) == []


def test_a_promise_in_mail_the_reader_sent_is_the_readers_task_and_their_asks_are_not() -> None:
    tasks = extract(
        "I'll send you the numbers by Friday. Could you book the room for Monday?",
        sender="ana@northwind.example",
        to=(MARIA,),
    )
    assert [task.title for task in tasks] == ["Send the numbers"]
    assert tasks[0].kind == "deadline"


def test_something_the_sender_and_the_reader_do_together_is_a_meeting() -> None:
    [task] = extract("We can discuss the budget on Tuesday at 2pm.")
    assert task.kind == "meeting"


def test_a_request_to_another_recipient_by_name_is_not_the_readers_when_they_are_in_cc() -> None:
    assert extract("Maria, can you send the deck by Friday?", to=(MARIA,), cc=(ANA_ADDRESS,)) == []


def test_a_request_to_another_recipient_by_name_is_not_the_readers_in_to_either() -> None:
    assert extract("Maria, can you send the deck by Friday?", to=(MARIA, ANA_ADDRESS)) == []
    assert extract("Can you send the deck by Friday, Maria?", to=(MARIA, ANA_ADDRESS)) == []
    assert extract("@maria can you send the deck by Friday?", to=(MARIA, ANA_ADDRESS)) == []


def test_a_greeting_to_another_recipient_addresses_the_whole_email_to_them() -> None:
    body = "Hi Maria,\n\nCould you send the deck by Friday?\n\nBo"
    assert extract(body, to=(MARIA, ANA_ADDRESS)) == []


def test_a_request_that_names_the_reader_is_theirs_even_in_cc() -> None:
    [task] = extract("Ana, could you send the deck by Friday?", to=(MARIA,), cc=(ANA_ADDRESS,))
    assert task.title == "Send the deck"


def test_the_reader_named_in_a_later_sentence_wins_over_a_greeting_to_someone_else() -> None:
    body = "Hi Maria,\n\nPlease review the draft. Ana, could you book the room for Monday?\n\nBo"
    tasks = extract(body, to=(MARIA,), cc=(ANA_ADDRESS,))
    assert [task.title for task in tasks] == ["Book the room"]


def test_an_unaddressed_request_is_for_the_to_line_when_the_reader_is_only_in_cc() -> None:
    assert extract("Could you send the deck by Friday?", to=(MARIA,), cc=(ANA_ADDRESS,)) == []
    # Naming the reader as the one who receives it does not make it theirs.
    assert extract("Could you send the deck to Ana by Friday?", to=(MARIA,), cc=(ANA_ADDRESS,)) == []


@pytest.mark.parametrize(
    "body",
    ["It would be great if Ana could sign the lease by Friday.", "Could Ana sign the lease by Friday?"],
)
def test_a_sentence_that_gives_the_reader_in_cc_something_to_do_by_name_is_theirs(body: str) -> None:
    assert len(extract(body, to=(MARIA,), cc=(ANA_ADDRESS,))) == 1


@pytest.mark.parametrize(
    "body",
    ["Hi all,\n\nCould you send your slides by Friday?", "Everyone, please send your slides by Friday."],
)
def test_a_request_to_everyone_includes_the_reader_in_cc(body: str) -> None:
    assert len(extract(body, to=(MARIA,), cc=(ANA_ADDRESS,))) == 1


def test_an_unaddressed_request_stays_the_readers_in_to_and_through_a_list() -> None:
    assert len(extract("Could you send the deck by Friday?", to=(MARIA, ANA_ADDRESS))) == 1
    # The reader is on neither line (a list, an alias, a Bcc): the mail still speaks to its members.
    assert len(extract("Could you send the deck by Friday?", to=(TOM,))) == 1


def test_a_mailbox_that_is_a_word_does_not_make_every_sentence_name_the_reader() -> None:
    me = Reader(names=("Ana",), addresses=("me@northwind.example",))
    body = "Could you send me the deck by Friday?"
    assert extract(body, reader=me, to=(MARIA,), cc=(Recipient("me@northwind.example"),)) == []


@pytest.mark.parametrize(
    "body",
    [
        "Hi Ana, I lead partnerships at Flowly. Would you be open to a 15-minute demo next week?",
        "Hi Ana,\n\nI'd love to show you how Flowly can cut your close by two days. "
        "Could we set up a call on Thursday?",
        "Are you the right person to talk to about procurement tooling? Happy to send a short deck.",
        "I'm reaching out because our platform helps finance teams close faster. "
        "Can we book 20 minutes on Friday?",
    ],
)
def test_a_cold_sales_pitch_gives_no_task(body: str) -> None:
    assert extract(body, sender="sdr@flowly.example") == []


@pytest.mark.parametrize(
    ("sender", "body"),
    [
        ("bo@northwind.example", "Would you be open to a quick call on Friday at 3pm about the rota?"),
        (
            "bo@northwind.example",
            "I'm reaching out because our platform team moved the product demo. Could you send the slides?",
        ),
        ("client@acme.example", "Would you be open to moving our call to Friday at 3pm?"),
    ],
)
def test_a_colleague_or_client_asking_like_a_salesperson_still_gives_a_task(sender: str, body: str) -> None:
    assert len(extract(body, sender=sender)) == 1


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Automatic reply: Q3 numbers", "Please contact Dana for anything urgent."),
        ("Out of Office", "Please call my mobile if it cannot wait."),
        (
            "Re: Q3 numbers",
            "I am out of the office until Monday, March 9, with limited access to email. "
            "For urgent matters, please contact dana@northwind.example.",
        ),
    ],
)
def test_an_automatic_reply_gives_no_task(subject: str, body: str) -> None:
    assert extract(body, subject=subject) == []


def test_a_person_away_next_week_can_still_ask_for_something() -> None:
    assert len(extract("I'm on vacation next week. Could you cover the Friday call with Dana?")) == 1


def test_an_email_that_says_no_action_is_needed_gives_no_task() -> None:
    body = "The server moves on Saturday. You should see the new address on Monday; no action needed."
    assert extract(body) == []


def test_a_greeting_in_the_same_sentence_does_not_hide_the_ask() -> None:
    [task] = extract("Hi Ana: could you send the signed lease by Friday?")
    assert task.title == "Send the signed lease"


def test_a_sync_reads_mail_for_the_user_by_their_name_and_addresses(
    settings: Settings,
    user_factory: Callable[..., User],
    mailbox_factory: Callable[[User], tuple[Mailbox, MailFolder]],
) -> None:
    settings.TASK_EXTRACTOR = "offline"
    sam = user_factory("sam")
    sam.first_name, sam.last_name = "Sam", "Okafor"
    sam.save()
    _, folder = mailbox_factory(sam)
    others = '"Marco Li" <marco@example.com>'
    folder.add(
        body="Marco, please send the travel budget by Thursday.", to=others, headers={"Cc": "sam@example.com"}
    )
    folder.add(body="Please send the hotel list by Friday.", to=others, headers={"Cc": "sam@example.com"})
    folder.add(body="Sam, could you book the room for Monday?", to=others, headers={"Cc": "sam@example.com"})
    folder.add(body="I'll send you the signed lease by Friday.", to="sam@example.com")

    run = sync_in_foreground(sam)

    assert run.state == SyncRun.State.SUCCEEDED
    assert list(Task.objects.filter(user=sam).values_list("title", flat=True)) == ["Book the room"]
