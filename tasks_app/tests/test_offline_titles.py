"""Offline titles: the rules every title keeps, checked over generated sentences, and the titles that went
wrong on unseen mail."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_app.extractors import MAX_TITLE_LENGTH, EmailForExtraction
from tasks_app.extractors.offline import OfflineExtractor
from tasks_app.extractors.offline.titles import KNOWN_VERBS, is_meeting_title, task_title

# The same examples on every run and in CI; nothing kept between runs.
PROPERTIES = settings(max_examples=400, deadline=None, derandomize=True, database=None)

# Written here, not imported: the test's own idea of words a title may not end on.
DANGLING = set(
    "a an the to of for with and or but nor in on at by from into about as than your my our their his its so if "
    "because via per".split()
)
POINTERS = {"it", "this", "that", "them", "these", "those"}
CLAUSE_STARTS = {
    "the",
    "a",
    "an",
    "your",
    "our",
    "their",
    "my",
    "his",
    "her",
    "we",
    "you",
    "they",
    "he",
    "she",
}
# The words the title rules may add that are not in the sentence, the subject or the sender.
TEMPLATE_WORDS = {
    "send", "handle", "reply", "answer", "to", "about", "with", "for", "on", "the", "email", "sender", "meeting",
    "call", "catch-up", "let", "know", "and",
}  # fmt: skip

LEAD_INS = [
    "",
    "Hi Sam, ",
    "Also, ",
    "Quick one: ",
    "When you get a chance, ",
    "No rush at all, but ",
    "Sam, ",
]
ASK_FORMS = [
    "could you {v}",
    "can you please {v}",
    "please {v}",
    "{v}",
    "I need you to {v}",
    "make sure to {v}",
    "don't forget to {v}",
    "would you be able to {v}",
    "can we {v}",
    "let's {v}",
    "just {v}",
]
VERBS = ["send", "review", "book", "sign", "approve", "check", "update", "forward", "confirm", "prepare",
         "look into", "go over", "fill out", "pick up", "print", "share", "finish", "pull together", "file"]  # fmt: skip
CONCRETE_OBJECTS = [
    "the Q3 budget",
    "the contract for the Hudson office",
    "a room for twelve",
    "the signed NDA",
    "our travel plans",
    "the updated invoice",
    "Maria's expense report",
]
POINTER_OBJECTS = ["it", "this", "them", "that", "these", "those", "this one"]
VAGUE_OBJECTS = ["the numbers", "the details", "the files"]
RECIPIENTS = ["", " to Maria", " to me", " to us", " with Bo", " for the board"]
DATES = [
    "",
    " by Friday",
    " tomorrow at 3pm",
    " before 10",
    " by EOD",
    " on Thursday 10-11",
    " next week",
    " ASAP",
]
TRAILERS = [
    "",
    " so I can finish the deck",
    ", thanks",
    " - ideally with the appendix",
    " and send it to me",
    " and just hash it out",
    " because the client asked",
    ", I'll bring the rest",
    " if you can",
    " and let me know",
    ", it is late for us but should fall in your morning",
]
ENDS = [".", "?", "!", ""]
SUBJECTS = [
    "Re: Q3 budget",
    "Hello",
    "",
    "Fwd: Lease renewal for unit 4",
    "Quick question",
    "URGENT: Hudson office move",
]
SENDERS = ["Alex Kim <alex@example.com>", "alex@example.com", "", "Ana Silva <ana@example.com>"]


@dataclass(frozen=True)
class Ask:
    sentence: str
    verb: str
    obj: str
    subject: str
    sender: str
    meeting: bool


@st.composite
def asks(draw: st.DrawFn, objects: list[str]) -> Ask:
    verb = draw(st.sampled_from(VERBS))
    obj = draw(st.sampled_from(objects))
    form = draw(st.sampled_from(ASK_FORMS))
    ask = form.format(v=f"{verb} {obj}")
    body = (
        draw(st.sampled_from(LEAD_INS))
        + ask
        + draw(st.sampled_from(RECIPIENTS))
        + draw(st.sampled_from(DATES))
        + draw(st.sampled_from(TRAILERS))
        + draw(st.sampled_from(ENDS))
    )
    sentence = body[0].upper() + body[1:]
    return Ask(
        sentence,
        verb,
        obj,
        draw(st.sampled_from(SUBJECTS)),
        draw(st.sampled_from(SENDERS)),
        draw(st.booleans()),
    )


# Sentences with no shape at all: the rules must hold whatever the extractor is handed.
VOCABULARY = [
    "it", "is", "late", "for", "us", "but", "should", "fall", "in", "you", "meet", "10-", "10-11", "hudson",
    "and", "just", "hash", "out", "do", "45", "minutes", "pull", "together", "send", "to", "me", "the", "numbers",
    "this", "them", "your", "of", "with", "a", "please", "could", "review", "Friday", "3pm", "budget", "—", ",",
    "(see", "below)", "call", "Maria", "lunch", "about", "EOD", "so", "that", "&", "$LINK", "what", "deal",
]  # fmt: skip
free_sentences = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=30).map(" ".join)


def words_of(text: str) -> list[str]:
    words = [w.strip("-'’") for w in re.findall(r"[\w'’-]+", text)]
    return [w.lower() for w in words if w]


def assert_title_rules(title: str, *, sentence: str, subject: str, sender: str) -> None:
    assert title, sentence
    assert len(title) <= MAX_TITLE_LENGTH, title
    words = words_of(title)
    first = title.split()[0].lower().rstrip(":,")
    answer = re.match(r"^Answer(?: [\w'’-]+)?: ", title)
    assert first in KNOWN_VERBS or is_meeting_title(title) or answer, (title, sentence)
    assert words[-1] not in DANGLING and words[-1] not in POINTERS, (title, sentence)
    assert not re.search(r"[-–—,;:(/&+]$", title), (title, sentence)
    assert not title.split()[-1].endswith("-"), (title, sentence)
    allowed = set(words_of(sentence)) | set(words_of(subject)) | set(words_of(sender)) | TEMPLATE_WORDS
    cut = [w for w in words if w not in allowed]
    assert not cut, (title, sentence, cut)
    if not answer:
        assert not {"it", "them"} & set(words), (title, sentence)
        # "this/that/these/those" only as a determiner, with a noun after it; "that" may also join a clause
        # ("confirm with Finance that the format works").
        for word, after in zip(words, [*words[1:], ""], strict=True):
            conjunction = word == "that" and after in CLAUSE_STARTS
            assert word not in POINTERS or conjunction or (after and after not in DANGLING | {"one"}), (
                title,
                sentence,
            )


def topic_words(subject: str) -> set[str]:
    topic = re.sub(r"^(?:re|fwd|urgent)\s*:\s*", "", subject, flags=re.IGNORECASE)
    return set(words_of(topic)) - {"hello", "quick", "question"}


@PROPERTIES
@given(ask=asks(CONCRETE_OBJECTS + POINTER_OBJECTS + VAGUE_OBJECTS))
def test_every_title_keeps_the_rules(ask: Ask) -> None:
    title = task_title(ask.sentence, ask.meeting, ask.sender, subject=ask.subject)
    assert_title_rules(title, sentence=ask.sentence, subject=ask.subject, sender=ask.sender)


@PROPERTIES
@given(sentence=free_sentences, subject=st.sampled_from(SUBJECTS), sender=st.sampled_from(SENDERS))
def test_any_text_gets_a_title_that_keeps_the_rules(sentence: str, subject: str, sender: str) -> None:
    for meeting in (False, True):
        title = task_title(sentence, meeting, sender, subject=subject)
        assert_title_rules(title, sentence=sentence, subject=subject, sender=sender)


@PROPERTIES
@given(ask=asks(CONCRETE_OBJECTS))
def test_a_plain_ask_is_titled_by_its_verb_and_object(ask: Ask) -> None:
    if ask.verb == "pull together" or ask.sentence.lower().startswith(("can we", "let's")):
        return  # a proposal to do it together, or an idiom split around its object
    title = task_title(ask.sentence, False, ask.sender, subject=ask.subject)
    assert title.lower().startswith(f"{ask.verb} {ask.obj}".lower()), (title, ask.sentence)


@PROPERTIES
@given(ask=asks(POINTER_OBJECTS + VAGUE_OBJECTS))
def test_a_pointed_at_object_is_named_by_the_subject(ask: Ask) -> None:
    title = task_title(ask.sentence, False, ask.sender, subject=ask.subject)
    topic = topic_words(ask.subject)
    if topic:
        assert topic <= set(words_of(title)), (title, ask.sentence, ask.subject)


@PROPERTIES
@given(ask=asks(CONCRETE_OBJECTS + POINTER_OBJECTS + VAGUE_OBJECTS))
def test_every_task_the_extractor_returns_has_a_title_that_keeps_the_rules(ask: Ask) -> None:
    email = EmailForExtraction(
        id="e1",
        subject=ask.subject,
        body=ask.sentence,
        sender=ask.sender,
        sent_at=dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("America/New_York")),
        timezone="America/New_York",
    )
    for task in OfflineExtractor().extract(email):
        assert_title_rules(task.title, sentence=ask.sentence, subject=ask.subject, sender=ask.sender)


@pytest.mark.parametrize(
    ("sentence", "subject", "title"),
    [
        # Was "Do 45 minutes".
        ("Can we do 45 minutes on Thursday?", "Re: Q3 budget", "Meeting with Alex about Q3 budget"),
        # Was "Pull it together and send it to me".
        (
            "Could you pull it together and send it to me by Friday?",
            "Re: Q3 board deck",
            "Send Q3 board deck to Alex",
        ),
        # Was "Meet 10- in hudson and just hash it out".
        ("Let's meet 10-11 in hudson and just hash it out.", "Hello", "Meet in hudson"),
        ("Let's meet 10- in hudson and just hash it out.", "Hello", "Meet in hudson"),
    ],
)
def test_the_titles_that_went_wrong_on_unseen_mail_are_repaired(
    sentence: str, subject: str, title: str
) -> None:
    assert task_title(sentence, False, "Alex Kim <alex@example.com>", subject=subject) == title


def test_a_sentence_that_is_no_ask_falls_back_to_replying_about_the_subject() -> None:
    # Was "It is late for us but should fall in you".
    sentence = "It is late for us but should fall in your morning."
    sender = "Alex Kim <alex@example.com>"
    assert (
        task_title(sentence, False, sender, subject="Re: Hudson office move")
        == "Reply to Alex about Hudson office move"
    )
    assert task_title(sentence, False, sender, subject="Hello") == "Reply to Alex"
    assert task_title(sentence, False, "", subject="") == "Reply to the email"


@pytest.mark.parametrize(
    ("sentence", "title"),
    [
        ("Can you send me the numbers by Friday?", "Send the numbers for Q3 budget"),
        ("Please review it.", "Review: Q3 budget"),
        ("Please review it and send comments to Bo.", "Review Q3 budget and send comments to Bo"),
        ("Please give me a call tomorrow.", "Call Alex"),
        ("Let me know what you think.", "Let Alex know what you think"),
        ("Which hotel did you book?", "Answer Alex: which hotel did you book"),
        (
            "Who would you recommend for the director role?",
            "Answer Alex: who would you recommend for the director role",
        ),
        ("When can you send the report?", "Send the report"),
        ("Can you give me an update on what this deal is about?", "Give an update"),
    ],
)
def test_pointers_vague_objects_and_the_author_are_named(sentence: str, title: str) -> None:
    assert task_title(sentence, False, "Alex Kim <alex@example.com>", subject="Re: Q3 budget") == title


def test_a_long_title_is_cut_at_a_clause_and_never_mid_word() -> None:
    sentence = "Please review " + ", ".join(f"the appendix section number {n}" for n in range(12)) + "."
    title = task_title(sentence, False, "alex@example.com")
    assert len(title) <= MAX_TITLE_LENGTH
    assert title.startswith("Review the appendix section number 0")
    assert title.split()[-1].isdigit() and not title.endswith((",", "…"))


def test_a_date_phrase_inside_a_word_takes_the_whole_word_with_it() -> None:
    sentence = "If not, please reset your password within 24 hours and review your recent activity."
    title = task_title(sentence, False, "Alex Kim <alex@example.com>", subject="New sign-in")
    assert title == "Reset your password and review your recent activity"


def test_the_fallback_never_asks_for_a_reply_to_an_address_nobody_reads() -> None:
    sentence = "It is late for us but should fall in your morning."
    assert task_title(sentence, False, "no-reply@cloud.example", subject="Hello") == "Reply to the email"
    assert (
        task_title(sentence, False, "no-reply@cloud.example", subject="Re: Q3 budget")
        == "Reply about Q3 budget"
    )


def test_the_extractor_names_the_author_by_the_display_name_of_the_from_line() -> None:
    email = EmailForExtraction(
        id="e1",
        subject="Hello",
        body="Please give me a call tomorrow.",
        sender="ak@example.com",
        sender_name="Alex Kim",
        sent_at=dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("America/New_York")),
        timezone="America/New_York",
    )
    assert [task.title for task in OfflineExtractor().extract(email)] == ["Call Alex"]


def test_a_meeting_is_not_its_own_topic() -> None:
    sentence = "How about meeting at 11:30 on Friday?"
    assert task_title(sentence, True, "Alex Kim <alex@example.com>", subject="Hello") == "Meeting with Alex"
