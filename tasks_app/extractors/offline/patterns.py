"""The intent patterns (how English asks, promises, proposes and questions) and the readings of priority,
duration and the first due date of a sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks_app.dates import ResolvedDate, find_due_phrases, resolve_due
from tasks_app.extractors import EmailForExtraction, Priority

from .languages import other_language_intent

FLAGS = re.IGNORECASE
YOU = r"(?:you|u|ya|y'all|you guys|you all|someone|somebody|anyone|one of you)"
ASK_MODAL = rf"(?:could|can|would|will|wd|cd|pls|please|would it be possible for|could i ask)\s+{YOU}\b"

# Marketing / bulk-mail language: imperatives here are not tasks for the reader.
_SPAM = re.compile(
    r"\bclick\b|unsubscribe|\bact now\b|\bbuy now\b|\border now\b|\bjoin now\b|\bshop now\b|\bsale\b|"
    r"% off|\blimited[- ]time\b|\bhurry\b|\bdon'?t miss\b|address book|safe[- ]?sender|white ?list|"
    r"\bview (?:it |this )?(?:online|in (?:your|a) browser)|privacy policy|\bterms of (?:use|service)\b|"
    r"\bdo not reply\b|\bdon'?t reply\b|\bthis (?:e-?mail|message) was sent\b|\bno longer (?:wish|want)\b|"
    r"\bto ensure (?:delivery|that you receive|you receive)\b|\bfollow us\b|\blike us on\b|"
    r"\bnotification settings\b|\bemail preferences\b|\bregister now\b|\bsign up (?:now|today)\b|\blearn more\b|"
    r"\bfree (?:consultation|trial|shipping|gift|demo|quote)\b|\bbook (?:now|today)\b",
    FLAGS,
)
# A request: the author asks the reader (or anyone) to do something.
_REQUEST = re.compile(
    rf"^(?:\w+,\s*)?(?:(?:hi|hey|hello|also|and|so|but|ok|okay|then|now|oh|btw|ps|p\.s\.)[,:]?\s+)*"
    rf"(?:please|pls|plz|kindly)\b"
    rf"|\b(?:please|pls|plz|kindly)\s+(?!find\b|see\b|note\b|be advised\b|disregard\b|ignore\b)\w+"
    rf"|\b{ASK_MODAL}"
    rf"|\b(?:i|we)(?:\s+|(?='))(?:really\s+)?(?:need|want|would like|'d like|d like|would love|'d love|"
    rf"would appreciate it if|'d appreciate it if|would appreciate|'d appreciate)\s+(?:it\s+if\s+)?{YOU}\b"
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
    FLAGS,
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
IMPERATIVE = re.compile(
    rf"^(?:\w+,\s*)?(?:(?:also|and|so|then|now|just|ok|okay)[,:]?\s+)?(?:{_IMPERATIVE_VERBS})\b(?!\s*:)"
    rf"(?!\s+(?:us|our|more)\b)",
    FLAGS,
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
    FLAGS,
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
    FLAGS,
)
# A direct question to the reader: in mail, most questions expect an answer, which is itself a task.
_QUESTION = re.compile(
    r"^(?:\w+,\s*)?(?:(?:also|and|so|but|ok|okay|btw|oh|hey|hi)[,:]?\s+)*"
    r"(?:do|did|does|are|is|was|were|have|has|had|can|could|will|would|should|shall|may|might|when|where|"
    r"what|who|whom|which|why|how|any|anything|any\s?one)\b[^?]*\?",
    FLAGS,
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
    FLAGS,
)

_HIGH = re.compile(
    r"\b(?:urgent(?:ly)?|asap|a\.s\.a\.p\.?|critical|important|high[- ]priority|top priority|"
    r"immediately|right away)\b",
    FLAGS,
)
_LOW = re.compile(
    r"\b(?:no rush|no hurry|whenever|low[- ]priority|when you (?:get|have) (?:a )?(?:chance|moment|time)|"
    r"not urgent|at your (?:leisure|convenience))\b",
    FLAGS,
)
_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty-five": 45, "forty five": 45, "sixty": 60, "ninety": 90,
}  # fmt: skip
_DURATION = re.compile(
    r"\b(?P<n>\d+(?:\.\d+)?|a|an|one|two|three|four|five|ten|fifteen|twenty|thirty|forty[- ]five|sixty|"
    r"ninety)[- ]?(?P<unit>minutes?|mins?|m\b|hours?|hrs?|h\b)"
    r"|\b(?P<half>half[- ](?:an[- ])?hour|half an hour)\b",
    FLAGS,
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
    # Spanish, French and German sentences are read by languages.py; the rules below are English.
    if (other_language := other_language_intent(flat)) is not None:
        return SentenceIntent(*other_language)
    if _SPAM.search(flat) or _NOT_A_TASK.search(flat):
        return SentenceIntent(False, False, False, False)
    request = bool(_REQUEST.search(flat) or IMPERATIVE.search(flat))
    commitment = bool(_COMMITMENT.search(flat))
    meeting = bool(_MEETING.search(flat))
    question = bool(_QUESTION.search(flat))
    return SentenceIntent(request, commitment, meeting, question)


def stated_duration(text: str, resolved: ResolvedDate | None) -> int | None:
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


def priority_of(text: str) -> Priority:
    if _HIGH.search(text):
        return "high"
    if _LOW.search(text):
        return "low"
    return "normal"


# "4pm my time (CET)": the zone comes after the words "my time".
_ZONE_AFTER = re.compile(r"^\s*(?:my|our|your|local)\s+time\s*\(?(?P<zone>[A-Z]{2,5})\)?")


def resolve_first_due(text: str, email: EmailForExtraction) -> ResolvedDate | None:
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
