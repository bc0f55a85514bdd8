"""The offline extractor: which sentences become tasks, and what the tasks look like."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from tasks_app.extraction import (
    MAX_TASKS_PER_EMAIL,
    MAX_TITLE_LENGTH,
    EmailForExtraction,
    ExtractedTask,
    get_extractor,
)
from tasks_app.offline_extractor import OfflineExtractor, split_sentences

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


def test_it_takes_the_authors_commitments_as_tasks() -> None:
    task = only("I'll send the revised deck on Monday.")
    assert task.title == "Send the revised deck"
    assert task.kind == "deadline"
    # Monday 9 March is after the DST change: still 17:00 local.
    assert task.due is not None and task.due.replace(tzinfo=None) == dt.datetime(2026, 3, 9, 17, 0)


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
        "* I'll bring the slides on Friday.\n"
    )
    tasks = extract(body)
    assert len(tasks) == 4
    for task in tasks:
        assert task.evidence in body
    assert tasks[0].evidence == "Could you send me the Q3 report\nby Friday EOD?"
    assert tasks[2].evidence == "Please book the room"


def test_it_ignores_quoted_text_and_signatures() -> None:
    body = (
        "Sounds good, I'll call you tomorrow morning.\n\n"
        "> Could you send the contract by Friday?\n"
        "> Please also book the venue.\n\n"
        "--\n"
        "Alex Kim | Please consider the environment before printing\n"
    )
    tasks = extract(body)
    assert [task.evidence for task in tasks] == ["Sounds good, I'll call you tomorrow morning."]


def test_it_stops_at_an_on_date_wrote_line() -> None:
    body = (
        "Let me know if Friday works.\n\nOn Mon, Mar 2, 2026 at 9:00 AM Bo <bo@x.com> wrote:\nPlease call me."
    )
    assert [task.evidence for task in extract(body)] == ["Let me know if Friday works."]


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


def test_it_handles_thousands_of_sentences_per_second() -> None:
    body = "Could you send me the Q3 report by Friday EOD? The weather was nice. " * 200
    extractor = OfflineExtractor()
    started = time.perf_counter()
    for _ in range(5):
        extractor.extract(email(body))
    sentences_per_second = 5 * 400 / (time.perf_counter() - started)
    assert sentences_per_second > 2000


def test_the_registry_returns_the_offline_extractor_by_default() -> None:
    assert get_extractor().name == "offline"
    assert get_extractor(None).name == "offline"
    assert isinstance(get_extractor("offline"), OfflineExtractor)


def test_the_registry_rejects_an_unknown_name_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown task extractor 'gpt'.*offline"):
        get_extractor("gpt")
