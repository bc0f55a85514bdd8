"""Rule-based offline extractor: finds requests, commitments and meeting proposals sentence by sentence.

It needs no network and no model, so it is the default and the fallback when Claude is unavailable.
The rules are general patterns (how English asks, promises and proposes), tuned on one fixed half of
the Parakweet intent set and checked on the other half; see docs/extraction.md for the figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from .dates import ResolvedDate, find_due_phrases, resolve_due
from .extraction import (
    MAX_TASKS_PER_EMAIL,
    MAX_TITLE_LENGTH,
    EmailForExtraction,
    ExtractedTask,
    Priority,
    TaskKind,
)

__all__ = ["OfflineExtractor", "Sentence", "classify_sentence", "split_sentences"]


@dataclass(frozen=True)
class Sentence:
    text: str  # verbatim slice of the body
    start: int
    end: int


# --- sentence splitting -------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc", "ltd", "co",
    "corp", "approx", "no", "dept", "est", "a.m", "p.m", "u.s", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
}  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+|$)")
_BULLET = re.compile(r"^\s*(?:[-*•·>]+|\d{1,2}[.)]|[a-z][.)])\s+")
# Lines after which the rest of the body is not the author's new text.
_STOP_LINE = re.compile(
    r"^\s*(?:--\s*|__+|-{5,}.*|On .{5,200} wrote:\s*|-+\s*Original Message\s*-+|From:\s.*|"
    r"Sent from my \w+.*|Get Outlook for \w+.*)$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^\s*(?:thanks|thank you|thx|cheers|best|best regards|kind regards|regards|warm regards|sincerely|"
    r"all the best|talk soon|br)[\s,.!]*$",
    re.IGNORECASE,
)


def _lines(body: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line, without its newline."""
    pos = 0
    for line in body.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        yield pos, pos + len(stripped)
        pos += len(line)


def _content_blocks(body: str) -> Iterator[tuple[int, int]]:
    """Spans of running text: blank lines, bullets and short lines end a block; quotes and signatures
    are dropped. The body is meant to arrive clean, but we don't bet a task on that."""
    block_start: int | None = None
    block_end = 0
    for start, end in _lines(body):
        line = body[start:end]
        if _STOP_LINE.match(line) or _CLOSING.match(line):
            break
        if not line.strip() or line.lstrip().startswith(">"):
            if block_start is not None:
                yield block_start, block_end
                block_start = None
            continue
        bullet = _BULLET.match(line)
        if bullet and not line.lstrip().startswith(">"):
            if block_start is not None:
                yield block_start, block_end
            block_start, block_end = start + bullet.end(), end
            continue
        if block_start is None:
            block_start = start + (len(line) - len(line.lstrip()))
        block_end = end
        # A line that ends a sentence or is a salutation ("Hi Sam,") closes the block; a wrapped line
        # (no end punctuation) continues into the next.
        if re.search(r"[.!?:]\s*$", line) or (len(line) < 40 and line.rstrip().endswith(",")):
            yield block_start, block_end
            block_start = None
    if block_start is not None:
        yield block_start, block_end


def split_sentences(body: str) -> list[Sentence]:
    """Split ``body`` into sentences whose text is an exact slice of it."""
    sentences: list[Sentence] = []
    for block_start, block_end in _content_blocks(body):
        cursor = block_start
        for m in _SENTENCE_END.finditer(body, block_start, block_end):
            before = body[cursor : m.start()]
            last_word = re.search(r"([\w.]+)$", before)
            if m.group().startswith(".") and last_word:
                word = last_word.group(1).lower().rstrip(".")
                # "Dr. Smith", "e.g. this", "3.5": not the end of a sentence.
                if word in _ABBREVIATIONS or len(word) == 1 or body[m.end() : m.end() + 1].isdigit():
                    continue
            _append(sentences, body, cursor, m.end())
            cursor = m.end()
        _append(sentences, body, cursor, block_end)
    return sentences


def _append(sentences: list[Sentence], body: str, start: int, end: int) -> None:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    if end - start >= 3:
        sentences.append(Sentence(body[start:end], start, end))


# --- classifying a sentence -----------------------------------------------------------------------------

_FLAGS = re.IGNORECASE
_YOU = r"(?:you|u|ya|y'all|you guys|you all|someone|somebody|anyone|one of you)"
_ASK_MODAL = rf"(?:could|can|would|will|wd|cd|pls|please|would it be possible for|could i ask)\s+{_YOU}\b"

# Marketing / bulk-mail language: imperatives here are not tasks for the reader.
_SPAM = re.compile(
    r"\bclick\b|unsubscribe|\bact now\b|\bbuy now\b|\border now\b|\bjoin now\b|\bshop now\b|\bsale\b|"
    r"% off|\blimited[- ]time\b|\bhurry\b|\bdon'?t miss\b|address book|safe[- ]?sender|white ?list|"
    r"\bview (?:it |this )?(?:online|in (?:your|a) browser)|privacy policy|\bterms of (?:use|service)\b|"
    r"\bdo not reply\b|\bdon'?t reply\b|\bthis (?:e-?mail|message) was sent\b|\bno longer (?:wish|want)\b|"
    r"\bto ensure (?:delivery|that you receive|you receive)\b|\bfollow us\b|\blike us on\b|"
    r"\bnotification settings\b|\bemail preferences\b|\bregister now\b|\bsign up (?:now|today)\b|\blearn more\b|"
    r"\bfree (?:consultation|trial|shipping|gift|demo|quote)\b|\bbook (?:now|today)\b",
    _FLAGS,
)
# A request: the author asks the reader (or anyone) to do something.
_REQUEST = re.compile(
    rf"^(?:\w+,\s*)?(?:(?:hi|hey|hello|also|and|so|but|ok|okay|then|now|oh|btw|ps|p\.s\.)[,:]?\s+)*"
    rf"(?:please|pls|plz|kindly)\b"
    rf"|\b(?:please|pls|plz|kindly)\s+(?!find\b|see\b|note\b|be advised\b|disregard\b|ignore\b)\w+"
    rf"|\b{_ASK_MODAL}"
    rf"|\b(?:i|we)(?:\s+|(?='))(?:really\s+)?(?:need|want|would like|'d like|d like|would love|'d love|"
    rf"would appreciate it if|'d appreciate it if|would appreciate|'d appreciate)\s+(?:it\s+if\s+)?{_YOU}\b"
    rf"|\b(?:i|we)\s+(?:need|want|require|would like|'d like|'d love|would love)\s+(?:to\s+(?:get|have|see|"
    rf"receive|know|hear|talk|speak|discuss|meet|schedule|set up|review|confirm)\b|a\s+(?:copy|list|"
    rf"report|draft|call|meeting|quote)\b|the\b|your\b|some\b|(?:a|the)\s+\w+\s+(?:by|from)\b)"
    rf"|\bmake sure\b|\bbe sure to\b|\bdon'?t forget\b|\bremember to\b|\blet (?:me|us) know\b"
    rf"|\bget back to (?:me|us)\b|\bkeep (?:me|us) (?:posted|informed|updated)\b|\bplease\b.*\?$"
    rf"|\b(?:is|was) (?:it|there any way|there a way) (?:possible|you could)\b"
    rf"|\bwould (?:it|that) be possible\b|\bany chance\b|\bdo you (?:mind|have time)\b"
    rf"|\bwould you (?:mind|be able|like|be willing|be interested)\b"
    rf"|\b(?:can|could) (?:we|i) (?:get|have|ask|see|borrow|set up|schedule|discuss|talk|meet|chat)\b"
    rf"|\bi(?:'d| would) (?:appreciate|be grateful)\b|\b(?:you|u) (?:need|must|should|have) to\b"
    rf"|\bcall me\b|\bgive (?:me|us) a (?:call|ring|shout)\b|\bsend (?:me|us)\b|\bemail me\b|\bping me\b"
    rf"|\bforward (?:me|us|this|it|that|the)\b|\bfeel free to\b"
    # Suggestions and soft asks: "Perhaps you should...", "I think it would be useful for Ken to join".
    rf"|\b(?:i|we) (?:suggest|recommend|propose)\b|\b(?:you|we) (?:should|might want to|may want to|ought to)\b"
    rf"|\b(?:it|that|this) (?:would|might|could|may) be (?:\w+ )?(?:useful|helpful|good|great|best|nice|"
    rf"worthwhile|appropriate|ideal|wise)\b|^(?:would|it'?d) be (?:\w+ )?(?:useful|helpful|good|great|nice|ideal)\b"
    rf"|\blook(?:ing)? forward to (?:hearing|your|receiving|speaking|talking|seeing|meeting)\b",
    _FLAGS,
)
# A bare imperative at the start of a sentence ("Send me the file.", "Review the draft by Friday.").
_IMPERATIVE_VERBS = (
    "send|forward|call|email|e-mail|review|check|confirm|sign|schedule|book|reply|respond|update|fill|"
    "complete|submit|prepare|draft|finish|fix|look|read|approve|share|print|bring|pick|contact|ask|tell|"
    "remind|add|remove|set|arrange|organize|organise|get|give|let|make|pay|file|fax|mail|ship|return|"
    "resend|re-send|follow|talk|discuss|meet|join|attend|register|cancel|move|reschedule|note|find|handle|"
    "coordinate|clarify|provide|run|test|verify|double-check|advise|inform|notify|plan|write|go|use|try|"
    "consider|keep|take|have a look|see|grab|enjoy|purchase|download|visit|start|stop|feel free|put|leave|"
    "choose|pass|drop|come|stay|hold"
)
_IMPERATIVE = re.compile(
    rf"^(?:\w+,\s*)?(?:(?:also|and|so|then|now|just|ok|okay)[,:]?\s+)?(?:{_IMPERATIVE_VERBS})\b(?!\s*:)"
    rf"(?!\s+(?:us|our|more)\b)",
    _FLAGS,
)
# The author promises something: the reader of a reply is the one who said it, so it is their task.
_COMMITMENT = re.compile(
    r"\b(?:i|we)(?:'ll|'ll| will| shall| am going to|'m going to| are going to|'re going to| can| could|"
    r" plan to| intend to| need to| have to| must| should| 'll)\s+(?:try to\s+|also\s+|then\s+|"
    r"definitely\s+|probably\s+|be\s+(?:sure|happy|glad)\s+to\s+|get\s+back\b)?"
    r"(?!be\s+(?:out|away|on vacation|off|in)\b|not\b|never\b|see\b|let\b|have\s+a\b)\w+"
    r"|\bi(?:'m| am) (?:going to|planning to)\b"
    r"|\b(?:will|i'll) (?:get|have|send) (?:it|this|that|them) (?:to you|over|back)\b"
    r"|\b(?:i|we) (?:would like|'d like|want|wanted|need) to (?:\w+\s+){0,2}(?:discuss|talk|meet|"
    r"follow[- ]up|set up|schedule|get|confirm|review|defer|change|add|request|invite|know)\b",
    _FLAGS,
)
# A meeting, call or get-together being proposed.
_MEETING = re.compile(
    r"\blet'?s\s+(?:\w+\s+)?(?:meet|talk|chat|discuss|sync|catch up|get together|have|grab|do|set up|"
    r"schedule|plan|go|hop on|jump on|connect)\b"
    r"|\b(?:schedule|set up|arrange|book|have|hold|do|organize|organise|plan)\s+(?:a|an|the|our|some|"
    r"another)\s+(?:(?:quick\s+|short\s+|brief\s+|\w+[- ]minute\s+|\d+[- ]?min(?:ute)?s?\s+|follow[- ]up\s+|"
    r"phone\s+|conference\s+|video\s+|zoom\s+|team\s+|introductory\s+|\w+\s+)){0,2}(?:call|meeting|chat|sync|"
    r"catch[- ]up|conversation|session|conference call|lunch|dinner|coffee|review|interview|demo)\b"
    r"|\b(?:meet|meeting|call|talk|chat|sync|lunch|dinner|coffee)\b.{0,40}\?$"
    r"|\b(?:are|r) (?:you|u) (?:free|available|around|busy|in the office)\b"
    r"|\b(?:does|would|will|is)\s+(?:\w+\s+){0,4}(?:work|suit|good|convenient|ok|okay)\s+for\s+(?:you|u)\b"
    r"|\bwhat time works\b|\bwhen (?:are|would|will) you (?:be )?(?:free|available|around)\b"
    r"|\b(?:can|could) (?:we|you|i) (?:meet|talk|chat|call|speak|get together|hop on|jump on)\b"
    r"|\b(?:join|invite) (?:us|me|you)\b.{0,60}\b(?:call|meeting|lunch|dinner|session)\b"
    r"|\binvit(?:e|ation)\b.{0,40}\b(?:meeting|call|lunch|dinner|event|party)\b"
    r"|\b(?:meet|call|talk|speak) (?:with )?(?:you|u)\b"
    r"|\blet'?s block\b|\bblock (?:\w+ )?(?:minutes|an hour|\d+ hours?|time)\b"
    r"|\b(?:quick|short|brief) (?:meeting|call|chat|catch[- ]up|sync)\b|\b(?:attend|join) (?:the|this|our|a|us)\b",
    _FLAGS,
)
# A direct question to the reader: in mail, most questions expect an answer, which is itself a task.
_QUESTION = re.compile(
    r"^(?:\w+,\s*)?(?:(?:also|and|so|but|ok|okay|btw|oh|hey|hi)[,:]?\s+)*"
    r"(?:do|did|does|are|is|was|were|have|has|had|can|could|will|would|should|shall|may|might|when|where|"
    r"what|who|whom|which|why|how|any|anything|any\s?one)\b[^?]*\?",
    _FLAGS,
)
# Sentences that only describe or inform even if they contain a trigger word.
_NOT_A_TASK = re.compile(
    r"^(?:thanks|thank you|thx|cheers|regards|best|hope|hi|hello|dear|congrat|fyi|welcome)\b"
    r"|\bif you (?:have|need|want|would like) (?:any|further|more|additional)\b"
    r"|\bif you have (?:any )?questions\b|\bdon'?t hesitate\b|\bhappy to help\b|\bfeel free to contact\b"
    # Small talk: questions that want no action.
    r"|\bhow (?:was|were|is|are|'s) (?:your|the|things|it going|everything)\b|\bcan you believe\b"
    r"|^(?:see|talk to|speak to) (?:you|ya)\b"
    # A good wish shaped like an imperative ("Enjoy!", "Enjoy the long weekend") unless an ask follows.
    r"|^enjoy\b(?!.*\b(?:please|could you|can you|would you)\b)",
    _FLAGS,
)

_HIGH = re.compile(
    r"\b(?:urgent(?:ly)?|asap|a\.s\.a\.p\.?|critical|important|high[- ]priority|top priority|"
    r"immediately|right away)\b",
    _FLAGS,
)
_LOW = re.compile(
    r"\b(?:no rush|no hurry|whenever|low[- ]priority|when you (?:get|have) (?:a )?(?:chance|moment|time)|"
    r"not urgent|at your (?:leisure|convenience))\b",
    _FLAGS,
)
_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty-five": 45, "forty five": 45, "sixty": 60, "ninety": 90,
}  # fmt: skip
_DURATION = re.compile(
    r"\b(?P<n>\d+(?:\.\d+)?|a|an|one|two|three|four|five|ten|fifteen|twenty|thirty|forty[- ]five|sixty|"
    r"ninety)[- ]?(?P<unit>minutes?|mins?|m\b|hours?|hrs?|h\b)"
    r"|\b(?P<half>half[- ](?:an[- ])?hour|half an hour)\b",
    _FLAGS,
)


@dataclass(frozen=True)
class SentenceIntent:
    request: bool
    commitment: bool
    meeting: bool
    question: bool

    @property
    def any(self) -> bool:
        return self.request or self.commitment or self.meeting or self.question


def classify_sentence(text: str) -> SentenceIntent:
    """Which kinds of actionable intent ``text`` carries (all False for spam-like or purely social text)."""
    flat = " ".join(text.split())
    if _SPAM.search(flat) or _NOT_A_TASK.search(flat):
        return SentenceIntent(False, False, False, False)
    request = bool(_REQUEST.search(flat) or _IMPERATIVE.search(flat))
    commitment = bool(_COMMITMENT.search(flat))
    meeting = bool(_MEETING.search(flat))
    question = bool(_QUESTION.search(flat))
    return SentenceIntent(request, commitment, meeting, question)


# --- titles ---------------------------------------------------------------------------------------------

_LEAD_IN = re.compile(
    rf"^(?:\w+,\s+)?(?:(?:hi|hey|hello|also|and|so|but|ok|okay|then|now|oh|btw|ps|just)[,:]?\s+)*"
    rf"(?:(?:i was wondering|i wonder|do you think|i think)\s+(?:if\s+)?)?"
    rf"(?:(?:{_ASK_MODAL}|(?:i|we)\s+(?:really\s+)?(?:need|want|would like|'d like)\s+{_YOU}\s+to|"
    rf"would you (?:mind|be able to|be willing to)|make sure (?:to|that you|you)?|be sure to|"
    rf"don'?t forget to|remember to|(?:i|we)\s*(?:'ll|will|shall|can|could|am going to|'m going to|"
    rf"are going to|plan to|need to|have to|must|should)(?:\s+(?:try to|also|then|definitely|probably|"
    rf"be (?:sure|happy|glad) to))?|(?:you|u) (?:need|must|should|have) to|feel free to|"
    rf"(?:can|could|shall|should) we|let'?s)\s+)?"
    rf"(?:please|pls|plz|kindly)?[,\s]*(?:also\s+|just\s+)?",
    _FLAGS,
)
_DATE_LEAD = (
    r"(?:\b(?:by|on|at|before|until|till|no later than|from|for|around|sometime|some time|as of)\s+)?"
)


def _strip_dates(text: str) -> str:
    for _phrase, start, end in reversed(find_due_phrases(text)):
        lead = re.search(_DATE_LEAD + r"(?:the\s+)?$", text[:start], _FLAGS)
        cut_from = lead.start() if lead and lead.group().strip() else start
        text = text[:cut_from] + text[end:]
    return text


# Where the ask itself starts inside a longer sentence.
_ASK_START = re.compile(
    rf"\b(?:{_ASK_MODAL}|(?:can|could|shall) we\b|(?:please|pls|kindly)\b|let'?s\b|"
    rf"(?:i|we)\s+(?:really\s+)?(?:need|want|would like|'d like)\s+(?:{_YOU}\s+)?to\b|(?:i|we)(?:'ll| will)\b)",
    _FLAGS,
)
# Soft words that may sit between the scene-setting clause and the ask ("..., but when you get a chance").
_SOFTENER = re.compile(
    r"(?:\s*\b(?:when you (?:get|have) (?:a )?(?:chance|moment|minute|sec(?:ond)?)|if (?:you )?(?:can|could|"
    r"possible)|just|maybe|perhaps))+\s*$",
    _FLAGS,
)
# A leading "Quick nudge from HR:", "One more thing:", "Two things:" (but not a clock time "10:30").
_COLON_LEAD = re.compile(r"^(?P<lead>[^:]{2,60}?)(?<!\d):\s+(?=\S)")


def _drop_scene(text: str) -> str:
    """Drop what comes before the ask: a short lead ending in a colon, or a clause ending in a comma
    ("No rush at all on this, but could you…", "Now that the room is booked, we need to…")."""
    lead = _COLON_LEAD.match(text)
    if lead and len(lead.group("lead").split()) <= 8 and _ASK_START.search(text, lead.end()):
        text = text[lead.end() :]
    ask = _ASK_START.search(text)
    if ask and ask.start() > 0:
        before = _SOFTENER.sub("", text[: ask.start()].rstrip())
        if re.search(r"(?:[,;:]|\s[-–—])(?:\s*\b(?:but|and|so|then|now))?$", before, _FLAGS):
            text = text[ask.start() :]
    return text


_FILLER = re.compile(
    r"\b(?:asap|a\.s\.a\.p\.?|urgently|as soon as (?:possible|you can)|at the latest|"
    r"if (?:you )?(?:can|possible)|when you (?:get|have) (?:a )?(?:chance|moment|minute)|no rush(?: at all)?|"
    r"please|pls|thanks?(?: you)?)\b",
    _FLAGS,
)
# Why or what-else after the ask: "so I can send our response", "- ideally with…", ", I'll bring…".
_TRAILING_CLAUSE = re.compile(
    r"(?:,?\s+(?:so (?:that )?(?:i|we|you|they|he|she|it|everyone|people)\b|because\b|since (?:i|we|you|"
    r"they|he|she|it)\b|in order to\b|otherwise\b|before (?:i|we|they|he|she)\b)|\s+[-–—]+\s+|;\s+|"
    r",\s+(?:and\s+)?(?:i|we)(?:'ll| will)\b).*$",
    _FLAGS,
)
# An object that only points back ("approve it", "take care of this one"): the subject says what it is.
_PRONOUN_OBJECT = re.compile(
    r"(?P<verb>[\w-]+(?:\s+[\w-]+){0,2}?)\s+(?:it|this|that|them|this one|that one|these|those)", _FLAGS
)
_VAGUE_OBJECT = re.compile(
    r"\w+(?:\s+\w+)?\s+(?:me\s+)?(?:your|some|any)\s+(?:feedback|thoughts|input|comments|notes|approval|sign-?off|"
    r"answer|opinion|views|ok|okay|go-ahead)",
    _FLAGS,
)
_TOPIC_PARTS = re.compile(r"\s+[-–—:|]\s+")
_HANDLE_VERBS = re.compile(r"(?:take care of|deal with|look into|handle|sort out|sort|do)", _FLAGS)
_SUBJECT_PREFIX = re.compile(
    r"^(?:(?:re|fw|fwd|aw|wg|sv)\s*:\s*|\[[^\]]*\]\s*|(?:urgent|important|reminder|fyi|action required|"
    r"quick question|question|request)\s*[:!\-–—]\s*|[^\w(#\"']+)+",
    _FLAGS,
)
_MEETING_NOUN = re.compile(
    r"\b(catch[- ]up|call|meeting|sync|chat|lunch|dinner|breakfast|coffee|review|interview|demo|session|"
    r"walkthrough|workshop)\b",
    _FLAGS,
)
_TOPIC_IN_SENTENCE = re.compile(
    r"\b(?:(?P<verb>to (?:discuss|go over|go through|talk about|talk through|plan|review|align on|look at|"
    r"walk through|prepare))|about|regarding|re:)\s+(?P<topic>.+)$",
    _FLAGS,
)
_NAMED_MEETING = re.compile(
    r"\bfor (?:the|our|a|an) (?P<name>(?:[\w'-]+ ){0,4}(?:review|meeting|planning|sync|session|kick-?off|"
    r"retro|retrospective|standup|stand-up|interview|demo|workshop))\b",
    _FLAGS,
)
_TOPIC_IN_FOLLOWING = re.compile(
    r"\b(?:align on|discuss|talk about|go over|go through|talk through|catch up on|sync on)\s+"
    r"(?P<topic>.+?)(?=\s+(?:before|so|because|since|as|when|with)\b|[.,;!?]|$)",
    _FLAGS,
)


_EMPTY_SUBJECT = re.compile(
    r"(?:hi|hello|hey|hi there|question|quick question|checking in|follow[- ]up|following up|update|"
    r"no subject|\(no subject\)|fyi|request|urgent|important)?",
    _FLAGS,
)
_POINTER = re.compile(r"(?:it|this|that|them|these|those|this one|that one)", _FLAGS)


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
        about = re.search(r"\babout\s+(.+)$", from_subject, _FLAGS)
        leftover = _MEETING_NOUN.sub("", re.sub(r"\b(?:quick|short|brief)\b", "", from_subject, flags=_FLAGS))
        if about:
            topic = f"about {about.group(1)}"
        elif len(re.findall(r"\w{3,}", leftover)) >= 1:
            topic = f"about {from_subject}"
    return f"{noun}{with_who}{(' ' + topic) if topic else ''}"


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    return re.sub(r"\s{2,}", " ", text).strip(" ,;:-–—.!?")


def _title(sentence: str, meeting: bool, sender: str, *, subject: str = "", following: str = "") -> str:
    flat = " ".join(sentence.split())
    text = _drop_scene(flat)
    text = _LEAD_IN.sub("", text, count=1)
    text = _strip_dates(text)
    text = _FILLER.sub("", text)
    text = re.sub(r"\s*\([^()]*\)", "", text)
    text = _TRAILING_CLAUSE.sub("", _tidy(text))
    # "get me your feedback" / "get the proposal over to you": the reader sends it.
    text = re.sub(r"^get\s+(?:me|us)\s+", "send ", text, flags=_FLAGS)
    text = re.sub(
        r"^get\s+(.+?)\s+(?:over\s+|back\s+)?to\s+(?:you|me|us|him|her|them)$", r"send \1", text, flags=_FLAGS
    )
    # "send me the report" -> "send the report": the reader knows who asked.
    text = re.sub(
        r"(^|\band\s+)(\w+(?:\s+(?:over|back|along))?)\s+(?:me|us)\s+(?=(?:the|a|an|your|our|this|that|"
        r"these|those|some|any|my|all)\b)",
        r"\1\2 ",
        text,
        flags=_FLAGS,
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
    if meeting and not re.match(r"(?:meet|talk|chat|discuss|catch up|speak)\b", text, _FLAGS):
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


def _duration(text: str, resolved: ResolvedDate | None) -> int | None:
    if resolved is not None and resolved.duration_minutes:
        return resolved.duration_minutes
    for m in _DURATION.finditer(text):
        if m.group("half"):
            return 30
        raw = m.group("n").lower().replace(" ", "-")
        number = (
            float(raw)
            if raw[0].isdigit()
            else _WORD_NUMBERS.get(raw, _WORD_NUMBERS.get(raw.replace("-", " "), 0))
        )
        unit = m.group("unit").lower()
        minutes = number * 60 if unit.startswith("h") else number
        if 5 <= minutes <= 12 * 60:
            return int(minutes)
    return None


def _priority(text: str) -> Priority:
    if _HIGH.search(text):
        return "high"
    if _LOW.search(text):
        return "low"
    return "normal"


# --- the extractor --------------------------------------------------------------------------------------

# Two asks joined in one sentence: "please send X by Wednesday, and can we do a call Thursday?".
_SECOND_ASK = re.compile(
    r"(?:,\s+(?:and|but|also)\s+|;\s+(?:and\s+|also\s+)?)(?=(?:can|could|would|will)\s+(?:you|we)\b|"
    r"please\b|let'?s\b)",
    _FLAGS,
)
# The ask names an action on a thing ("confirm the headcount for the dinner at 3pm"): the meeting word is
# only what the thing is about, so this is a deadline, not a meeting to attend.
_ACTION_ON_A_THING = re.compile(
    r"(?:send|forward|confirm|review|approve|sign|submit|update|fill(?: out| in)?|complete|prepare|draft|"
    r"finish|fix|check|book|reserve|order|buy|share|print|bring|pick up|add|remove|pay|file|reply to|"
    r"respond to|write|read|find|put together|get(?! together))\s+(?:me\s+|us\s+)?"
    r"(?:the|a|an|your|our|my|his|her|their|these|those|some|all)\b",
    _FLAGS,
)
# An ask put to the reader, as opposed to the author's own wants and plans ("I want to review them").
_ADDRESSED_TO_READER = re.compile(
    rf"\b(?:please|pls|plz|kindly|let'?s|make sure|be sure to|don'?t forget|remember to|let (?:me|us) know|"
    rf"(?:you|u) (?:need|must|should|have) to)\b|\b{_ASK_MODAL}|\b(?:can|could|shall) we\b",
    _FLAGS,
)
# The author says what "we" must do and then asks the reader to do it: the ask is the task.
_WE_NEED = re.compile(r"\bwe\s+(?:really\s+)?(?:need|have|must|should|ought)\b", _FLAGS)
# Getting ready for a meeting just proposed is part of that meeting.
_PREPARATION = re.compile(r"^(?:bring|prepare|print|have\b.*\bready\b)|\bbeforehand\b", _FLAGS)
# "4pm my time (CET)": the zone comes after the words "my time".
_ZONE_AFTER = re.compile(r"^\s*(?:my|our|your|local)\s+time\s*\(?(?P<zone>[A-Z]{2,5})\)?")


# "Can you take care of this?" on top of a forwarded message: the forwarded asks are what "this" is.
_DELEGATION = re.compile(
    r"\b(?:take care of|handle|deal with|look into|sort out|action)\s+(?:this|it|that)(?:\s+one)?\b", _FLAGS
)
_FORWARD_MARKER = re.compile(
    r"^[ \t]*(?:-+\s*Forwarded message\s*-+|Begin forwarded message:)[ \t]*$", re.IGNORECASE | re.MULTILINE
)


def _forwarded_text_start(body: str) -> int | None:
    """Offset in ``body`` where the forwarded message's own text begins (after its header lines)."""
    marker = _FORWARD_MARKER.search(body)
    if marker is None:
        return None
    headers_end = re.compile(r"\n[ \t]*\n").search(body, marker.end())
    return headers_end.end() if headers_end else None


@dataclass(frozen=True)
class _Candidate:
    task: ExtractedTask
    intent: SentenceIntent


def _units(body: str) -> list[Sentence]:
    """Sentences, with a sentence that joins two asks cut into one unit per ask."""
    units: list[Sentence] = []
    for sentence in split_sentences(body):
        start = 0
        for m in _SECOND_ASK.finditer(sentence.text):
            head = sentence.text[start : m.start()]
            if classify_sentence(head).any:
                units.append(Sentence(head, sentence.start + start, sentence.start + m.start()))
                start = m.end()
        units.append(Sentence(sentence.text[start:], sentence.start + start, sentence.end))
    return units


def _is_detail_of(candidate: _Candidate, previous: _Candidate) -> bool:
    """A sentence right after a task that only adds detail to it ("I mostly need the revenue figures",
    "I'll send a link", "Please bring your numbers" after a meeting) is not a task of its own."""
    if candidate.task.due is not None:
        return False
    flat = " ".join(candidate.task.evidence.split())
    if not (_ADDRESSED_TO_READER.search(flat) or _IMPERATIVE.search(flat) or candidate.intent.meeting):
        return True
    return previous.task.kind == "meeting" and bool(_PREPARATION.search(candidate.task.title))


def _resolve_first(text: str, email: EmailForExtraction) -> ResolvedDate | None:
    for phrase, _start, end in find_due_phrases(text):
        resolved = resolve_due(phrase, reference=email.sent_at, timezone=email.timezone)
        if resolved is None:
            continue
        zone_after = _ZONE_AFTER.match(text[end:])
        if zone_after and not resolved.zone_stated:
            with_zone = resolve_due(
                f"{phrase} {zone_after.group('zone')}", reference=email.sent_at, timezone=email.timezone
            )
            if with_zone is not None and with_zone.zone_stated:
                return with_zone
        return resolved
    return None


class OfflineExtractor:
    """Rule-based extractor; deterministic and offline."""

    name = "offline"

    def __init__(self, *, questions_are_tasks: bool = True) -> None:
        # A direct question ("Where did you get yours?") asks the reader to answer: a todo. The flag lets
        # callers that only want explicit requests turn that off.
        self.questions_are_tasks = questions_are_tasks

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]:
        tasks = self._extract_from(_units(email.body), email)
        forwarded_start = _forwarded_text_start(email.body)
        if forwarded_start is not None and any(_DELEGATION.search(task.evidence) for task in tasks):
            forwarded = [
                Sentence(unit.text, unit.start + forwarded_start, unit.end + forwarded_start)
                for unit in _units(email.body[forwarded_start:])
            ]
            # The forwarded author's own plans ("we can pay your invoices") are not the reader's to do.
            asks = [
                task
                for task in self._extract_from(forwarded, email)
                if "request" in cast("list[str]", task.extra["intent"])
            ]
            if asks:
                rest = [task for task in tasks if not _DELEGATION.search(task.evidence)]
                tasks = (asks + rest)[:MAX_TASKS_PER_EMAIL]
        return tasks

    def _extract_from(self, units: list[Sentence], email: EmailForExtraction) -> list[ExtractedTask]:
        found: list[tuple[int, _Candidate]] = []
        for index, unit in enumerate(units):
            # "Send it by Friday. It's urgent.": urgency often comes in the sentence after the ask.
            following = units[index + 1].text if index + 1 < len(units) else ""
            candidate = self._candidate(unit.text, email, following)
            if candidate is not None:
                found.append((index, candidate))
        tasks: list[ExtractedTask] = []
        seen_titles: set[str] = set()
        kept: tuple[int, _Candidate] | None = None
        for position, (index, candidate) in enumerate(found):
            # One plain sentence may sit between ("I booked the room. Please bring your numbers.").
            if kept is not None and index - kept[0] <= 2 and _is_detail_of(candidate, kept[1]):
                kept = (index, kept[1])  # the detail belongs to the task before it; so may the next one
                continue
            after = found[position + 1] if position + 1 < len(found) else None
            if (
                after is not None
                and after[0] == index + 1
                and after[1].intent.request
                and candidate.task.due is None
                and not candidate.intent.request
                and _WE_NEED.search(candidate.task.evidence)
            ):
                continue
            if candidate.task.title.lower() in seen_titles:
                continue
            seen_titles.add(candidate.task.title.lower())
            tasks.append(candidate.task)
            kept = (index, candidate)
            if len(tasks) >= MAX_TASKS_PER_EMAIL:
                break
        return tasks

    def _candidate(self, text: str, email: EmailForExtraction, following: str = "") -> _Candidate | None:
        intent = classify_sentence(text)
        actionable = intent.request or intent.commitment or intent.meeting
        if not actionable and not (self.questions_are_tasks and intent.question):
            return None
        resolved = _resolve_first(text, email)
        asks_for_a_thing = bool(
            intent.request and _ACTION_ON_A_THING.match(_LEAD_IN.sub("", _drop_scene(" ".join(text.split()))))
        )
        meeting = intent.meeting and not asks_for_a_thing
        kind: TaskKind
        if meeting and resolved is not None and resolved.has_time:
            kind = "meeting"
        elif resolved is not None and actionable:
            kind = "deadline"
        else:
            kind = "todo"
        if kind == "todo" and resolved is not None and meeting:
            # A meeting on a day but at no time: the task is to fix the time; keep the day as its due.
            kind = "deadline"
        confidence = 0.7 if (intent.request or intent.meeting) else 0.6 if intent.commitment else 0.4
        task = ExtractedTask(
            title=_title(
                text,
                kind == "meeting" or (meeting and not intent.request),
                email.sender,
                subject=email.subject,
                following=following,
            ),
            kind=kind,
            evidence=text,
            due=resolved.due if resolved else None,
            due_phrase=resolved.phrase if resolved else "",
            duration_minutes=_duration(text, resolved) if meeting or kind == "meeting" else None,
            priority=_priority(" ".join((text, email.subject, following if len(following) < 60 else ""))),
            confidence=confidence,
            extra={
                "intent": [k for k in ("request", "commitment", "meeting", "question") if getattr(intent, k)],
                "has_time": bool(resolved and resolved.has_time),
            },
        )
        return _Candidate(task, intent)
