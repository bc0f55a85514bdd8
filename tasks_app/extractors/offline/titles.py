"""Title rules: a short imperative title from the ask, its subject and the sentence after it."""

from __future__ import annotations

import re

from tasks_app.dates import find_due_phrases
from tasks_app.extractors import MAX_TITLE_LENGTH

from .languages import other_language_title
from .patterns import ASK_MODAL, FLAGS, YOU

LEAD_IN = re.compile(
    rf"^(?:\w+,\s+)?(?:(?:hi|hey|hello|also|and|so|but|ok|okay|then|now|oh|btw|ps|just)[,:]?\s+)*"
    rf"(?:(?:i was wondering|i wonder|do you think|i think)\s+(?:if\s+)?)?"
    rf"(?:(?:{ASK_MODAL}|(?:i|we)\s+(?:really\s+)?(?:need|want|would like|'d like)\s+{YOU}\s+to|"
    rf"would you (?:mind|be able to|be willing to)|make sure (?:to|that you|you)?|be sure to|"
    rf"don'?t forget to|remember to|(?:i|we)\s*(?:'ll|will|shall|can|could|am going to|'m going to|"
    rf"are going to|plan to|need to|have to|must|should)(?:\s+(?:try to|also|then|definitely|probably|"
    rf"be (?:sure|happy|glad) to))?|(?:you|u) (?:need|must|should|have) to|feel free to|"
    rf"(?:can|could|shall|should) we|let'?s)\s+)?"
    rf"(?:please|pls|plz|kindly)?[,\s]*(?:also\s+|just\s+)?",
    FLAGS,
)
_DATE_LEAD = (
    r"(?:\b(?:by|on|at|before|until|till|no later than|from|for|around|sometime|some time|as of)\s+)?"
)


def _strip_dates(text: str) -> str:
    for _phrase, start, end in reversed(find_due_phrases(text)):
        lead = re.search(_DATE_LEAD + r"(?:the\s+)?$", text[:start], FLAGS)
        cut_from = lead.start() if lead and lead.group().strip() else start
        text = text[:cut_from] + text[end:]
    return text


# Where the ask itself starts inside a longer sentence.
_ASK_START = re.compile(
    rf"\b(?:{ASK_MODAL}|(?:can|could|shall) we\b|(?:please|pls|kindly)\b|let'?s\b|"
    rf"(?:i|we)\s+(?:really\s+)?(?:need|want|would like|'d like)\s+(?:{YOU}\s+)?to\b|(?:i|we)(?:'ll| will)\b)",
    FLAGS,
)
# Soft words that may sit between the scene-setting clause and the ask ("..., but when you get a chance").
_SOFTENER = re.compile(
    r"(?:\s*\b(?:when you (?:get|have) (?:a )?(?:chance|moment|minute|sec(?:ond)?)|if (?:you )?(?:can|could|"
    r"possible)|just|maybe|perhaps))+\s*$",
    FLAGS,
)
# A leading "Quick nudge from HR:", "One more thing:", "Two things:" (but not a clock time "10:30").
_COLON_LEAD = re.compile(r"^(?P<lead>[^:]{2,60}?)(?<!\d):\s+(?=\S)")


def drop_scene(text: str) -> str:
    """Drop what comes before the ask: a short lead ending in a colon, or a clause ending in a comma
    ("No rush at all on this, but could you…", "Now that the room is booked, we need to…")."""
    lead = _COLON_LEAD.match(text)
    if lead and len(lead.group("lead").split()) <= 8 and _ASK_START.search(text, lead.end()):
        text = text[lead.end() :]
    ask = _ASK_START.search(text)
    if ask and ask.start() > 0:
        before = _SOFTENER.sub("", text[: ask.start()].rstrip())
        if re.search(r"(?:[,;:]|\s[-–—])(?:\s*\b(?:but|and|so|then|now))?$", before, FLAGS):
            text = text[ask.start() :]
    return text


_FILLER = re.compile(
    r"\b(?:asap|a\.s\.a\.p\.?|urgently|as soon as (?:possible|you can)|at the latest|"
    r"if (?:you )?(?:can|possible)|when you (?:get|have) (?:a )?(?:chance|moment|minute)|no rush(?: at all)?|"
    r"please|pls|thanks?(?: you)?)\b",
    FLAGS,
)
# Why or what-else after the ask: "so I can send our response", "- ideally with…", ", I'll bring…".
_TRAILING_CLAUSE = re.compile(
    r"(?:,?\s+(?:so (?:that )?(?:i|we|you|they|he|she|it|everyone|people)\b|because\b|since (?:i|we|you|"
    r"they|he|she|it)\b|in order to\b|otherwise\b|before (?:i|we|they|he|she)\b)|\s+[-–—]+\s+|;\s+|"
    r",\s+(?:and\s+)?(?:i|we)(?:'ll| will)\b).*$",
    FLAGS,
)
# An object that only points back ("approve it", "take care of this one"): the subject says what it is.
_PRONOUN_OBJECT = re.compile(
    r"(?P<verb>[\w-]+(?:\s+[\w-]+){0,2}?)\s+(?:it|this|that|them|this one|that one|these|those)", FLAGS
)
_VAGUE_OBJECT = re.compile(
    r"\w+(?:\s+\w+)?\s+(?:me\s+)?(?:your|some|any)\s+(?:feedback|thoughts|input|comments|notes|approval|sign-?off|"
    r"answer|opinion|views|ok|okay|go-ahead)",
    FLAGS,
)
_TOPIC_PARTS = re.compile(r"\s+[-–—:|]\s+")
_HANDLE_VERBS = re.compile(r"(?:take care of|deal with|look into|handle|sort out|sort|do)", FLAGS)
_SUBJECT_PREFIX = re.compile(
    r"^(?:(?:re|fw|fwd|aw|wg|sv)\s*:\s*|\[[^\]]*\]\s*|(?:urgent|important|reminder|fyi|action required|"
    r"quick question|question|request)\s*[:!\-–—]\s*|[^\w(#\"']+)+",
    FLAGS,
)
_MEETING_NOUN = re.compile(
    r"\b(catch[- ]up|call|meeting|sync|chat|lunch|dinner|breakfast|coffee|review|interview|demo|session|"
    r"walkthrough|workshop)\b",
    FLAGS,
)
_TOPIC_IN_SENTENCE = re.compile(
    r"\b(?:(?P<verb>to (?:discuss|go over|go through|talk about|talk through|plan|review|align on|look at|"
    r"walk through|prepare))|about|regarding|re:)\s+(?P<topic>.+)$",
    FLAGS,
)
_NAMED_MEETING = re.compile(
    r"\bfor (?:the|our|a|an) (?P<name>(?:[\w'-]+ ){0,4}(?:review|meeting|planning|sync|session|kick-?off|"
    r"retro|retrospective|standup|stand-up|interview|demo|workshop))\b",
    FLAGS,
)
_TOPIC_IN_FOLLOWING = re.compile(
    r"\b(?:align on|discuss|talk about|go over|go through|talk through|catch up on|sync on)\s+"
    r"(?P<topic>.+?)(?=\s+(?:before|so|because|since|as|when|with)\b|[.,;!?]|$)",
    FLAGS,
)


_EMPTY_SUBJECT = re.compile(
    r"(?:hi|hello|hey|hi there|question|quick question|checking in|follow[- ]up|following up|update|"
    r"no subject|\(no subject\)|fyi|request|urgent|important)?",
    FLAGS,
)
_POINTER = re.compile(r"(?:it|this|that|them|these|those|this one|that one)", FLAGS)


def _subject_topic(subject: str) -> str:
    """The subject without Re:/Fwd:/URGENT: tags, dates and end punctuation; "" when it says nothing
    ("Hello", "Quick question")."""
    text = _SUBJECT_PREFIX.sub("", " ".join(subject.split()))
    text = _strip_dates(text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;:-–—.!?")
    return "" if _EMPTY_SUBJECT.fullmatch(text) else text


def _meeting_title(sentence: str, text: str, *, sender: str, subject: str, following: str) -> str:
    """ "<Call|Catch-up|Meeting…> with <first name> <topic>", the topic taken from the sentence, else the
    sentence after it ("I'd like to align on X"), else the subject."""
    first_name = _sender_name(sender).split(" ")[0]
    with_who = f" with {first_name}" if first_name else ""
    named = _NAMED_MEETING.search(text)
    if named:
        return f"{named.group('name')}{with_who}"
    noun_match = _MEETING_NOUN.search(sentence)
    noun = noun_match.group(1).lower().replace("catch up", "catch-up") if noun_match else "meeting"
    topic = ""
    in_sentence = _TOPIC_IN_SENTENCE.search(text)
    in_following = _TOPIC_IN_FOLLOWING.search(" ".join(following.split()))
    if in_sentence and _POINTER.fullmatch(in_sentence.group("topic")):
        in_sentence = None  # "to go through it": the subject names it better
    if in_sentence:
        verb = in_sentence.group("verb")
        topic = f"{verb} {in_sentence.group('topic')}" if verb else f"about {in_sentence.group('topic')}"
    elif in_following:
        topic = f"about {in_following.group('topic')}"
    else:
        from_subject = _subject_topic(subject)
        about = re.search(r"\babout\s+(.+)$", from_subject, FLAGS)
        leftover = _MEETING_NOUN.sub("", re.sub(r"\b(?:quick|short|brief)\b", "", from_subject, flags=FLAGS))
        if about:
            topic = f"about {about.group(1)}"
        elif len(re.findall(r"\w{3,}", leftover)) >= 1:
            topic = f"about {from_subject}"
    return f"{noun}{with_who}{(' ' + topic) if topic else ''}"


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    return re.sub(r"\s{2,}", " ", text).strip(" ,;:-–—.!?")


def task_title(sentence: str, meeting: bool, sender: str, *, subject: str = "", following: str = "") -> str:
    flat = " ".join(sentence.split())
    # Spanish, French and German asks keep their own words (languages.py); the rules below are English.
    if (other_language := other_language_title(flat, meeting, sender)) is not None:
        return other_language
    text = drop_scene(flat)
    text = LEAD_IN.sub("", text, count=1)
    text = _strip_dates(text)
    text = _FILLER.sub("", text)
    text = re.sub(r"\s*\([^()]*\)", "", text)
    text = _TRAILING_CLAUSE.sub("", _tidy(text))
    # "get me your feedback" / "get the proposal over to you": the reader sends it.
    text = re.sub(r"^get\s+(?:me|us)\s+", "send ", text, flags=FLAGS)
    text = re.sub(
        r"^get\s+(.+?)\s+(?:over\s+|back\s+)?to\s+(?:you|me|us|him|her|them)$", r"send \1", text, flags=FLAGS
    )
    # "send me the report" -> "send the report": the reader knows who asked.
    text = re.sub(
        r"(^|\band\s+)(\w+(?:\s+(?:over|back|along))?)\s+(?:me|us)\s+(?=(?:the|a|an|your|our|this|that|"
        r"these|those|some|any|my|all)\b)",
        r"\1\2 ",
        text,
        flags=FLAGS,
    )
    text = _tidy(text)
    topic = _subject_topic(subject)
    pointer = _PRONOUN_OBJECT.fullmatch(text)
    if pointer and topic:
        verb = "handle" if _HANDLE_VERBS.fullmatch(pointer.group("verb")) else pointer.group("verb")
        text = f"{verb}: {topic}"
    elif topic and _VAGUE_OBJECT.fullmatch(text):
        # "send your feedback" on what? The subject says ("Launch deck - your feedback?" -> "Launch deck").
        text = f"{text} on {_TOPIC_PARTS.split(topic)[0]}"
    if meeting and not re.match(r"(?:meet|talk|chat|discuss|catch up|speak)\b", text, FLAGS):
        text = _meeting_title(flat, text, sender=sender, subject=subject, following=following)
    if not text:
        text = flat
    text = text[0].upper() + text[1:]
    if len(text) > MAX_TITLE_LENGTH:
        text = text[: MAX_TITLE_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return text


def _sender_name(sender: str) -> str:
    m = re.match(r'\s*"?([^"<@]+?)"?\s*<', sender)
    if m:
        return m.group(1).strip()
    local = sender.split("@", 1)[0].strip()
    return local.replace(".", " ").title() if local and "@" in sender else ""
