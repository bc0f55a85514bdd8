"""The offline extractor: which sentences become tasks, and what the tasks look like."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from django.utils.module_loading import import_string

from emailsync.mime import parse_message
from tasks_app.extractors import (
    EXTRACTORS,
    MAX_TASKS_PER_EMAIL,
    MAX_TITLE_LENGTH,
    EmailForExtraction,
    ExtractedTask,
    Reader,
    get_extractor,
)
from tasks_app.extractors.offline import OfflineExtractor, split_sentences

NY = "America/New_York"
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo(NY))


def email(
    body: str, subject: str = "Hello", sender: str = "Alex Kim <alex@example.com>"
) -> EmailForExtraction:
    return EmailForExtraction(
        id="e1", subject=subject, body=body, sender=sender, sent_at=WEDNESDAY, timezone=NY
    )


def extract(body: str, **kwargs: str) -> list[ExtractedTask]:
    return OfflineExtractor().extract(email(body, **kwargs))


def only(body: str, **kwargs: str) -> ExtractedTask:
    tasks = extract(body, **kwargs)
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_it_turns_a_request_with_a_deadline_into_a_deadline_task() -> None:
    task = only("Could you send me the Q3 report by Friday EOD?")
    assert task.kind == "deadline"
    assert task.title == "Send the Q3 report"
    assert task.due == dt.datetime(2026, 3, 6, 17, 0, tzinfo=ZoneInfo(NY))
    assert task.due_phrase == "Friday EOD"


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("Please review the contract before Monday.", "Review the contract"),
        ("Can you send the slides to Maria?", "Send the slides to Maria"),
        ("I need you to sign the NDA by 3/12.", "Sign the NDA"),
        ("Make sure to book the room for tomorrow.", "Book the room"),
    ],
)
def test_it_writes_a_short_imperative_title(body: str, title: str) -> None:
    assert only(body).title == title


def test_the_readers_own_commitments_in_mail_they_sent_are_tasks() -> None:
    sent = replace(
        email("I'll send the revised deck on Monday.", sender="alex@example.com"),
        reader=Reader(addresses=("alex@example.com",)),
    )
    [task] = OfflineExtractor().extract(sent)
    assert task.title == "Send the revised deck"
    assert task.kind == "deadline"
    # Monday 9 March is after the DST change: still 17:00 local.
    assert task.due is not None and task.due.replace(tzinfo=None) == dt.datetime(2026, 3, 9, 17, 0)


def test_a_direct_question_to_the_reader_is_a_todo_to_answer() -> None:
    task = only("Which hotel did you book?")
    assert (task.title, task.kind, task.due) == ("Answer Alex: which hotel did you book", "todo", None)
    assert task.extra["intent"] == ["question"]


def test_a_request_without_a_date_is_a_todo() -> None:
    task = only("Could you forward the invoice to accounting?")
    assert task.kind == "todo"
    assert task.due is None


def test_a_proposed_meeting_with_a_time_is_a_meeting_in_the_stated_zone() -> None:
    task = only("Let's meet tomorrow at 3pm PT for a 30-minute call to discuss the budget.")
    assert task.kind == "meeting"
    assert task.due == dt.datetime(2026, 3, 5, 15, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert task.duration_minutes == 30


def test_a_meeting_time_range_gives_the_duration() -> None:
    task = only("Are you free Tuesday 2pm-3pm?")
    assert task.kind == "meeting"
    assert task.duration_minutes == 60
    assert task.title == "Meeting with Alex"


@pytest.mark.parametrize(
    ("body", "minutes"),
    [
        ("Can we schedule a call tomorrow at 10am for an hour?", 60),
        ("Let's do a 1h review on Friday at 2pm.", 60),
        ("Can we meet Monday at 11am for half an hour?", 30),
        ("Let's meet on Monday at 10:30.", None),
    ],
)
def test_it_reads_the_stated_meeting_duration(body: str, minutes: int | None) -> None:
    task = only(body)
    assert task.kind == "meeting"
    assert task.duration_minutes == minutes


@pytest.mark.parametrize(
    ("body", "priority"),
    [
        ("Please send the figures ASAP.", "high"),
        ("This is urgent: please call the bank today.", "high"),
        ("Please update the wiki whenever, no rush.", "low"),
        ("Please update the wiki.", "normal"),
    ],
)
def test_it_sets_priority_from_the_words_used(body: str, priority: str) -> None:
    assert only(body).priority == priority


def test_urgency_in_the_next_sentence_or_the_subject_raises_priority() -> None:
    assert extract("Could you send the contract today? It's urgent.")[0].priority == "high"
    assert only("Please send the contract.", subject="URGENT: contract").priority == "high"


@pytest.mark.parametrize(
    "body",
    [
        "Click here to claim your reward.",
        "Act now to keep your life on the go!",
        "To ensure delivery, please add news@shop.example to your address book.",
        "If you no longer wish to receive these emails, unsubscribe here.",
        "Thanks for your help yesterday.",
        "The quarterly numbers look good.",
    ],
)
def test_it_ignores_marketing_and_purely_informative_sentences(body: str) -> None:
    assert extract(body) == []


def test_evidence_is_a_verbatim_substring_of_the_body() -> None:
    body = (
        "Hi Sam,\n\n"
        "Thanks for the update.  Could you send me the Q3 report\n"
        "by Friday EOD?\tAlso, let's meet   tomorrow at 3pm.\n"
        "- Please book the room\n"
        "* Bring the slides on Friday.\n"
    )
    tasks = extract(body)
    assert len(tasks) == 4
    for task in tasks:
        assert task.evidence in body
    assert tasks[0].evidence == "Could you send me the Q3 report\nby Friday EOD?"
    assert tasks[2].evidence == "Please book the room"


def parsed_body(body: str) -> str:
    """``body`` as the sync hands it over: sent as a mail and read back by the parser."""
    message = EmailMessage()
    message["From"] = "Alex Kim <alex@example.com>"
    message["To"] = "me@example.com"
    message["Subject"] = "Re: Plans"
    message.set_content(body)
    return parse_message(message.as_bytes()).text


def test_quoted_text_and_signatures_never_reach_the_extractor() -> None:
    body = (
        "Sounds good, I'll call you tomorrow morning.\n\n"
        "> Could you send the contract by Friday?\n"
        "> Please also book the venue.\n\n"
        "--\n"
        "Alex Kim | Please consider the environment before printing\n"
    )
    tasks = extract(parsed_body(body))
    assert [task.evidence for task in tasks] == ["Sounds good, I'll call you tomorrow morning."]


def test_what_follows_an_on_date_wrote_line_never_reaches_the_extractor() -> None:
    body = (
        "Let me know if Friday works.\n\nOn Mon, Mar 2, 2026 at 9:00 AM Bo <bo@x.com> wrote:\nPlease call me."
    )
    assert [task.evidence for task in extract(parsed_body(body))] == ["Let me know if Friday works."]


def test_it_never_returns_more_than_the_cap() -> None:
    body = " ".join(f"Please send item number {n}." for n in range(20))
    assert len(extract(body)) == MAX_TASKS_PER_EMAIL


def test_it_keeps_titles_within_the_limit() -> None:
    long_request = "Please " + " ".join(["review"] + ["the very long appendix section"] * 20) + "."
    task = only(long_request)
    assert len(task.title) <= MAX_TITLE_LENGTH


def test_it_does_not_repeat_the_same_task() -> None:
    assert len(extract("Please send the report. Please send the report.")) == 1


def test_it_does_not_split_sentences_at_abbreviations_or_decimals() -> None:
    body = "Please ask Dr. Smith about the 3.5 release, e.g. the API. Thanks."
    texts = [sentence.text for sentence in split_sentences(body)]
    assert texts == ["Please ask Dr. Smith about the 3.5 release, e.g. the API.", "Thanks."]


def test_it_is_deterministic() -> None:
    body = "Can you send the numbers tomorrow morning? Let's meet Friday at noon."
    assert extract(body) == extract(body)


def test_the_registry_returns_the_offline_extractor_by_default() -> None:
    assert get_extractor().name == "offline"
    assert get_extractor(None).name == "offline"
    assert isinstance(get_extractor("offline"), OfflineExtractor)


def test_every_extractor_name_resolves_to_a_class_that_says_whether_it_is_metered() -> None:
    classes = {name: import_string(path) for name, path in EXTRACTORS.items()}

    assert {name: cls.metered for name, cls in classes.items()} == {"offline": False, "claude": True}
    assert all(callable(cls.from_settings) for cls in classes.values())


def test_the_registry_rejects_an_unknown_name_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown task extractor 'gpt'.*offline"):
        get_extractor("gpt")


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("Small favour before you head out: could you water the plants?", "Water the plants"),
        (
            "Totally fine if this slips, but when you have a moment could you tidy the shared folder?",
            "Tidy the shared folder",
        ),
        ("Since the lease ends soon, please book the movers.", "Book the movers"),
    ],
)
def test_it_drops_the_scene_setting_before_the_ask(body: str, title: str) -> None:
    assert only(body).title == title


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("Please file the permit by Monday so we can start digging.", "File the permit"),
        ("Please order two spare chargers - ideally the fast ones.", "Order two spare chargers"),
        ("Please collect the keys (the blue set, not the red one) today.", "Collect the keys"),
        ("Please water the ferns, otherwise they will wilt.", "Water the ferns"),
    ],
)
def test_it_leaves_reasons_and_asides_out_of_the_title(body: str, title: str) -> None:
    assert only(body).title == title


@pytest.mark.parametrize(
    ("body", "subject", "title"),
    [
        ("Can you sign it today?", "Re: Lease renewal for unit 4", "Sign: Lease renewal for unit 4"),
        (
            "Could you take care of this one?",
            "Fwd: Parking permit for the van",
            "Handle: Parking permit for the van",
        ),
        (
            "Can you get me your thoughts by Friday?",
            "Garden plan - thoughts?",
            "Send your thoughts on Garden plan",
        ),
    ],
)
def test_it_names_a_pointed_at_object_from_the_subject(body: str, subject: str, title: str) -> None:
    assert only(body, subject=subject).title == title


def test_it_turns_getting_something_over_to_the_reader_into_sending_it() -> None:
    assert only("Could you get the signed lease over to me by Thursday?").title == "Send the signed lease"


@pytest.mark.parametrize("body", ["Enjoy the long weekend!", "Enjoy!"])
def test_good_wishes_are_not_tasks(body: str) -> None:
    assert extract(body) == []


@pytest.mark.parametrize(
    ("body", "subject", "title"),
    [
        (
            "Can we do a call Friday at 10am?",
            "Quick call about the fleet contract",
            "Call with Alex about the fleet contract",
        ),
        (
            "Could we have a chat on Monday at 9am to go over the survey results?",
            "Hello",
            "Chat with Alex to go over the survey results",
        ),
        (
            "Can we set up a short sync Friday at 3pm? I want to discuss the hiring freeze.",
            "Sync?",
            "Sync with Alex about the hiring freeze",
        ),
        ("Let's block an hour on Thursday at 2pm for the vendor review.", "Hello", "Vendor review with Alex"),
    ],
)
def test_it_titles_a_meeting_by_its_topic(body: str, subject: str, title: str) -> None:
    task = extract(body, subject=subject)[0]
    assert task.kind == "meeting"
    assert task.title == title


@pytest.mark.parametrize(
    ("body", "minutes"),
    [
        ("We could have a quick 20-minute catch-up on Thursday at 10am.", 20),
        ("Could we meet Friday 1pm-2pm to sort out the seating for the spring gala?", 60),
    ],
)
def test_a_proposed_meeting_with_a_time_is_a_meeting_with_its_duration(body: str, minutes: int) -> None:
    task = only(body)
    assert task.kind == "meeting"
    assert task.duration_minutes == minutes


def test_an_ask_about_a_meeting_is_a_deadline_not_the_meeting() -> None:
    task = only("Could you confirm the seating plan for the awards dinner by Friday at 2pm?")
    assert task.kind == "deadline"
    assert task.title == "Confirm the seating plan for the awards dinner"
    assert task.due == dt.datetime(2026, 3, 6, 14, 0, tzinfo=ZoneInfo(NY))


def test_a_zone_named_after_my_time_is_the_zone_of_the_time() -> None:
    task = only("Can we talk on Friday at 9am my time (JST)?")
    assert task.due == dt.datetime(2026, 3, 6, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.mark.parametrize(
    "body",
    [
        "Could you send the floor plans by Monday? I mostly care about the second floor; the rest I can sketch.",
        "Let's meet Thursday at 11am to pick the tiles. I'll bring the samples.",
        "Let's meet Tuesday at 9am to review the pilot. The room is booked. Please bring your sketches.",
    ],
)
def test_a_follow_on_detail_stays_part_of_the_task_before_it(body: str) -> None:
    assert len(extract(body)) == 1


def test_a_follow_on_sentence_with_its_own_date_is_a_task_of_its_own() -> None:
    assert len(extract("Could you send the floor plans? Are the permits ready by Friday?")) == 2


def test_what_we_need_to_do_is_context_for_the_ask_after_it() -> None:
    task = only("Now that the grant is approved, we need to hire. Please draft the job ad by Friday.")
    assert task.title == "Draft the job ad"


def test_two_asks_in_one_sentence_are_two_tasks() -> None:
    body = "Please send me the budget by Tuesday noon, and can we do a 45-minute review Thursday at 3pm?"
    deadline, meeting = extract(body)
    assert (deadline.kind, deadline.title) == ("deadline", "Send the budget")
    assert deadline.due == dt.datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo(NY))
    assert (meeting.kind, meeting.duration_minutes) == ("meeting", 45)
    assert meeting.due == dt.datetime(2026, 3, 5, 15, 0, tzinfo=ZoneInfo(NY))
    assert deadline.evidence in body and meeting.evidence in body


def test_a_delegated_forward_becomes_the_forwarded_ask() -> None:
    body = (
        "Could you handle this?\n\n"
        "---------- Forwarded message ---------\n"
        "From: Clinic <desk@clinic.example>\n"
        "Subject: Forms\n\n"
        "We can see you on the 10th. Please return the intake form by March 9.\n"
    )
    task = only(body, subject="Fwd: Forms")
    assert task.title == "Return the intake form"
    assert task.due == dt.datetime(2026, 3, 9, 17, 0, tzinfo=ZoneInfo(NY))
    assert task.evidence in body


def test_only_the_forwarded_messages_own_words_give_the_delegated_ask() -> None:
    body = (
        "Could you handle this?\n\n"
        "---------- Forwarded message ---------\n"
        "From: Clinic <desk@clinic.example>\n"
        "Subject: Forms\n\n"
        "Please return the intake form by March 9.\n\n"
        "On Mon, Mar 2, 2026 at 9:00 AM Bo <bo@x.com> wrote:\n"
        "> Please send your insurance card by March 6.\n"
    )
    task = only(parsed_body(body), subject="Fwd: Forms")
    assert task.title == "Return the intake form"


def test_the_forwarders_own_note_ends_at_the_forward_marker() -> None:
    body = (
        "FYI, nothing to do.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Clinic <desk@clinic.example>\n"
        "Subject: Forms\n\n"
        "Please return the intake form by March 9.\n"
    )
    assert extract(parsed_body(body), subject="Fwd: Forms") == []


@pytest.mark.parametrize(
    "body",
    [
        "Dave, why don't you send the contract to Steve for review?",
        "I need this done this week if possible.",
        "You coming to the site visit tomorrow?",
        "Would love to have you two join, but no worries if you have conflicts.",
        "I would also like to sit down with you this week to talk about the rollout.",
        "I would greatly appreciate your help in resolving this by Friday.",
        "Perhaps we can also arrange a discussion about the interconnection agreement.",
        "Maybe we could have lunch on Thursday.",
    ],
)
def test_softer_and_spoken_asks_are_tasks(body: str) -> None:
    assert len(extract(body)) == 1


@pytest.mark.parametrize(
    "body",
    [
        "Let me call him first.",
        "I want to make sure we have covered all of the counterparties.",
        "If you'd like to stop getting these emails, please visit your profile.",
        "We'll see you tomorrow.",
    ],
)
def test_the_authors_own_next_steps_and_opt_outs_are_not_tasks(body: str) -> None:
    assert extract(body) == []
