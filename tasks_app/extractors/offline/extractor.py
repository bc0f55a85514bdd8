"""The offline extractor: sentences in, at most ``MAX_TASKS_PER_EMAIL`` tasks out."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import cast

from emailsync.mime import ForwardedRegion, forwarded_headers, forwarded_region, is_forward_subject
from tasks_app.dates import ResolvedDate, find_due_phrases
from tasks_app.extractors import MAX_TASKS_PER_EMAIL, EmailForExtraction, ExtractedTask, TaskKind

from .languages import antecedent, sentence_language
from .patterns import (
    ASK_MODAL,
    FALLBACK,
    FLAGS,
    IMPERATIVE,
    NO_ASK,
    SentenceIntent,
    classify_sentence,
    priority_of,
    resolve_first_due,
    stated_duration,
)
from .reader import (
    audience_of,
    is_account_obligation,
    is_auto_reply,
    is_automated_notice,
    is_cold_pitch,
    is_mass_mail,
    says_nothing_to_do,
)
from .sentences import Sentence, split_sentences
from .structure import greeted_name, item_task, lead_is_only_the_items, names_the_reader, row_task
from .titles import KNOWN_VERBS, LEAD_IN, acceptable_title, drop_scene, task_title

# Two asks joined in one sentence: "please send X by Wednesday, and can we do a call Thursday?".
_SECOND_ASK = re.compile(
    r"(?:,\s+(?:and|but|also)\s+|;\s+(?:and\s+|also\s+)?)(?=(?:can|could|would|will)\s+(?:you|we)\b|"
    r"please\b|let'?s\b)",
    FLAGS,
)
# The ask names an action on a thing ("confirm the headcount for the dinner at 3pm"): the meeting word is
# only what the thing is about, so this is a deadline, not a meeting to attend.
_ACTION_ON_A_THING = re.compile(
    r"(?:send|forward|confirm|review|approve|sign|submit|update|fill(?: out| in)?|complete|prepare|draft|"
    r"finish|fix|check|book|reserve|order|buy|share|print|bring|pick up|add|remove|pay|file|reply to|"
    r"respond to|write|read|find|put together|get(?! together))\s+(?:me\s+|us\s+)?"
    r"(?:the|a|an|your|our|my|his|her|their|these|those|some|all)\b",
    FLAGS,
)
# "Can you call Paytek?", "could you call the service desk": the reader phones someone else, which is no
# meeting with the sender.
_CALLS_A_PARTY = re.compile(
    r"\b(?i:call|phone|ring)\s+(?:(?!(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
    r"Sep|Oct|Nov|Dec)[a-z]*\b|I\b|ASAP\b|EOD\b)(?-i:[A-Z])[\w&'-]+|(?i:the|our|your|their)\s+(?!(?i:meeting|call|"
    r"shots)\b)\w)"
)
# The reader does it with the author: "show me", "walk us through", "help me with".
_WITH_THE_AUTHOR = re.compile(r"(?:show|walk|help|teach|train|join)\s+(?:me|us)\b", FLAGS)
# An ask put to the reader, as opposed to the author's own wants and plans ("I want to review them").
_ADDRESSED_TO_READER = re.compile(
    rf"\b(?:please|pls|plz|kindly|let'?s|make sure|be sure to|don'?t forget|remember to|let (?:me|us) know|"
    rf"(?:you|u) (?:need|must|should|have) to)\b|\b{ASK_MODAL}|\b(?:can|could|shall) we\b"
    # The same asks in Spanish, French and German ("¿Podrías también mandarme…?", "Pourriez-vous aussi
    # m'envoyer… ?", "Könnten Sie mir außerdem … schicken?"): a second ask of its own, not a detail.
    r"|\b(?:podrías|podría|puedes|puede|podrían|pueden|por favor)\b"
    r"|\b(?:pourriez|pouvez|pourrais|peux|voudriez|voulez)[- ](?:vous|tu)\b|\bmerci de\b|\bs'il (?:vous|te) pla[iî]t\b"
    r"|\b(?:könnten|können|würden) sie\b|\b(?:kannst|könntest|würdest) du\b|\bbitte\b",
    FLAGS,
)
# The author says what "we" must do and then asks the reader to do it: the ask is the task.
_WE_NEED = re.compile(r"\bwe\s+(?:really\s+)?(?:need|have|must|should|ought)\b", FLAGS)
# Getting ready for a meeting just proposed is part of that meeting.
_PREPARATION = re.compile(r"^(?:bring|prepare|print|have\b.*\bready\b)|\bbeforehand\b", FLAGS)


# A booking the reader has, announced by whoever keeps it ("This is a reminder of your cleaning with Dr.
# Feld on Thursday at 8:30", "your physiotherapy session with Mark is booked for Friday at 4:30pm"): the
# reader attends it, though nothing is asked.
_APPOINTMENT_NOUN = (
    r"appointment|session|cleaning|visit|consultation|check-?up|class|reservation|booking|lesson|exam|"
    r"screening|treatment|haircut|fitting|viewing|inspection|interview|vaccination|test|table|call|meeting"
)
_WHO = r"(?-i:(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
_APPOINTMENT = re.compile(
    rf"(?:\b(?:remind(?:er)?|remind you|confirm(?:ation|ing|s)?|just a (?:note|reminder))\b[^.?!]{{0,40}}?)"
    rf"\byour (?P<what>(?:[\w-]+ ){{0,2}}?(?:{_APPOINTMENT_NOUN}))\b"
    rf"(?P<with>\s+with\s+{_WHO})?"
    rf"|\byour (?P<what2>(?:[\w-]+ ){{0,2}}?(?:{_APPOINTMENT_NOUN}))\b"
    rf"(?P<with2>\s+with\s+{_WHO})?"
    rf"\s+(?:is|has been|was)\s+(?:booked|scheduled|confirmed|set|due|coming up)\b",
    re.IGNORECASE,
)
# After a booking, how to confirm or move it is part of it ("Reply C to confirm or call … to reschedule").
_MANAGE_BOOKING = re.compile(r"\bto (?:confirm|cancel|reschedule|rebook|change|amend|move)\b", FLAGS)


def _appointment_title(text: str) -> str | None:
    """ "Cleaning with Dr. Feld" for a reminder of a booking, or None when the sentence announces none."""
    m = _APPOINTMENT.search(" ".join(text.split()))
    if m is None:
        return None
    what = (m.group("what") or m.group("what2")).strip()
    who = " ".join((m.group("with") or m.group("with2") or "").split())
    title = f"{what} {who}".strip()
    return title[0].upper() + title[1:]


# A meeting the reader is part of, announced rather than proposed: "The leadership huddle moves to Monday at
# 8am", "a couple of things before the brand workshop on Thursday (2pm Paris time)". It is on the reader's
# calendar though nothing is asked.
_ANNOUNCED_NOUN = (
    r"huddle|meeting|call|sync|stand-?up|review|session|workshop|1:1|one-on-one|check-?in|retro|briefing|"
    r"training|kick-?off|offsite|off-site|all-hands|town hall|rehearsal|walkthrough|walk-through|debrief|"
    r"planning|catch-?up|interview|orientation|induction|onboarding|lunch|dinner|breakfast|drinks|party|"
    r"happy hour|celebration|get-together"
)
_ANNOUNCED_MEETING = re.compile(
    rf"\b(?:the|our|your|this week'?s|next week'?s|tomorrow'?s|today'?s|(?:mon|tues|wednes|thurs|fri)day'?s)\s+"
    rf"(?P<what>(?:[\w'&-]+\s+){{0,3}}?(?:{_ANNOUNCED_NOUN})(?:\s+with\s+(?-i:[A-Z])[\w&'-]+(?:\s+(?-i:[A-Z])[\w&'-]+)?)?)\b"
    rf"(?=\s+(?:(?:now\s+|then\s+)?(?:moves?|has (?:been )?moved|is moving|will (?:now )?(?:be|move|take place|start|run)|"
    rf"(?:is|has been) (?:re)?scheduled|(?:is|has been) (?:pushed|brought forward|set|planned|confirmed)|is now|"
    rf"takes place|starts|begins|runs|(?:is|are) (?:on|at|set for|happening)|will (?:now )?be (?:on|at|held))\b|"
    rf"(?:on|this|next|tomorrow|today)\b))",
    FLAGS,
)
# Said of a meeting that is over, or that the reader is not at: no calendar entry.
_NOT_UPCOMING = re.compile(
    r"\b(?:was|were|went|had|did|took place|happened|got|cancel(?:l)?ed|called off|recap|minutes|notes|"
    r"recording|missed)\b",
    FLAGS,
)


# "You're invited to Priya's farewell drinks on Thursday at 6pm": what the reader is invited to.
_INVITED = re.compile(
    rf"\b(?:you(?:'re| are) (?:invited|welcome) to|(?:please )?join us (?:for|at))\s+(?:the\s+|our\s+|a\s+|an\s+)?"
    rf"(?P<what>(?:[\w'’&-]+\s+){{0,4}}?(?:{_ANNOUNCED_NOUN}|reception|bbq|barbecue|gathering|farewell|launch|"
    rf"open house|potluck)(?:\s+(?:drinks|party|lunch|dinner|reception|celebration|bbq))?)\b",
    FLAGS,
)


def _announced_meeting_title(text: str) -> str | None:
    """ "Leadership huddle" for "The leadership huddle moves to Monday at 8am", or None."""
    flat = " ".join(text.split())
    m = _ANNOUNCED_MEETING.search(flat) or _INVITED.search(flat)
    if m is None or _NOT_UPCOMING.search(flat):
        return None
    if _FOR_INFORMATION.search(flat) and not re.match(r"(?:our|your)\b", flat[m.start() :], FLAGS):
        return None  # "Just so you know, the review with Acme is on Thursday": said for information
    what = m.group("what").strip()
    return what[0].upper() + what[1:]


# "Can you take care of this?" on top of a forwarded message: the forwarded asks are what "this" is.
_DELEGATION = re.compile(
    r"\b(?:take care of|handle|deal with|look into|sort out|action)\s+(?:this|it|that)(?:\s+one)?\b"
    r"|\bsort (?:this|it|that)(?: one)? out\b"
    # "Tu peux t'en occuper ?", "¿Puedes encargarte?", "Kannst du dich darum kümmern?"
    r"|\b(?:t'en|vous en|m'en) occuper\b|\bt'occuper de (?:ça|cela)\b|\b(?:gérer|traiter) (?:ça|cela)\b"
    r"|\b(?:encargarte|encargarse|encárgate|ocuparte|ocúpate|hacerte cargo)\b"
    # Asked as a plain question: "¿te encargas tú de esto?", "tu t'en occupes ?", "übernimmst du das?".
    r"|\b(?:te encargas|se encarga|os encargáis|te ocupas|se ocupa|te haces cargo)\b"
    r"|\b(?:tu t'en occupes|vous vous en occupez|tu gères|vous gérez)\b"
    r"|\b(?:übernimmst du|übernehmen sie|kümmerst du dich)\b|\b(?:das|dies|es)\s+(?:bitte\s+)?übernehmen\b"
    r"|\b(?:darum|drum) kümmern\b|\bkümmer(?:st du dich|n Sie sich|e dich)\b",
    FLAGS,
)
# A note that only points at what it forwards ("Grace - see below, pharmacy says it needs the manager"),
# without saying it is for information, hands it over: the forwarded asks are the reader's.
_POINTS_BELOW = re.compile(
    r"\b(?:see|read|check)\s+(?:below|(?:the\s+)?(?:message|e-?mail|note|request)\s+below)\b"
    r"|\bsiehe unten\b|\bvoir ci-dessous\b|\b(?:ver|mira|véase)\s+(?:más\s+)?abajo\b",
    FLAGS,
)
_FOR_INFORMATION = re.compile(
    r"\b(?:fyi|f\.y\.i|for (?:your )?info(?:rmation)?|just so you know|heads[- ]up|for your records|"
    r"for reference|no action|nothing to do|pour info|para tu información|zur info)\b",
    FLAGS,
)


def _hands_over(note: str) -> bool:
    """Whether the forwarder's note gives the forwarded message to the reader to act on: it delegates
    ("can you take care of this?") or only points at it without saying it is for information."""
    flat = " ".join(note.split())
    return bool(
        _DELEGATION.search(flat) or (_POINTS_BELOW.search(flat) and not _FOR_INFORMATION.search(flat))
    )


@dataclass(frozen=True)
class _Candidate:
    task: ExtractedTask
    intent: SentenceIntent


# "…on Thursday, and send you the PDF by Friday": a second action, with a date of its own.
_AND_VERB = re.compile(r"(?:,\s*|\s+)and\s+(?:then\s+|also\s+)?(?=(?P<verb>[a-z][\w-]*)\b)", FLAGS)
# The words that make the first part an ask or a promise, which the second part shares.
_SPEAKER = re.compile(
    r"^(?:[\w'-]+[,:]\s+)?(?P<speaker>(?:i|we)\s*(?:'ll|will|shall|am going to|'m going to|are going to|can)\s+|"
    r"(?:could|can|would|will)\s+you\s+(?:please\s+)?|please\s+)",
    FLAGS,
)


def _dated_actions(sentence: Sentence) -> list[Sentence]:
    """A sentence that joins two actions, each with its own date ("I'll upload the final files on Thursday
    morning, and send you the PDF by Friday noon"), cut into one unit per action; the second keeps the
    words that make the first an ask or a promise (``Sentence.speaker``)."""
    if sentence.role != "text":
        return [sentence]
    text = sentence.text
    for m in _AND_VERB.finditer(text):
        head, tail = text[: m.start()], text[m.end() :]
        if (
            m.group("verb").lower() not in KNOWN_VERBS
            or not find_due_phrases(head)
            or not find_due_phrases(tail)
        ):
            continue
        if not classify_sentence(head).any:
            continue
        speaker = _SPEAKER.match(" ".join(head.split()))
        first = replace(sentence, text=head, end=sentence.start + m.start())
        second = replace(
            sentence,
            text=tail,
            start=sentence.start + m.end(),
            speaker=sentence.speaker or (speaker.group("speaker") if speaker else ""),
        )
        return [first, *_dated_actions(second)]
    return [sentence]


# "Bitte gebt die Erklärung ab und überweist bis dahin auch die 12 €": German writes nouns with a capital,
# so a small word after "und" that ends like a verb ("überweist", "schicke", "bringen") starts a second action
# of the same ask. Small words that are not verbs are listed.
_UND_VERB = re.compile(
    r"(?:,\s*|\s+)und\s+(?:dann\s+|danach\s+)?(?=(?!(?:auch|dann|noch|zwar|nicht|nur|dort|hier|heute|morgen|"
    r"bitte|mit|für|bis|vor|nach|zum|zur|den|dem|des|die|der|das|ein|eine|einen|einem|einer|wir|ich|er|sie|es|"
    r"ihr|du|man|alle|alles|jetzt|gleich|gerne|gern|schöne|schönen|liebe|viele|vielen|beste|besten|gute|guten)\b)"
    r"(?-i:[a-zäöüß])[a-zäöüß]{2,}(?:t|e|en)\b)",
    FLAGS,
)


def _german_joined_actions(sentence: Sentence) -> list[Sentence]:
    """A German ask that joins two actions with "und" and a verb, cut into one unit per action; the
    second keeps the "bitte" that makes the first an ask."""
    if sentence.role != "text" or sentence_language(sentence.text) != "de":
        return [sentence]
    m = _UND_VERB.search(sentence.text)
    if m is None:
        return [sentence]
    head, tail = sentence.text[: m.start()], sentence.text[m.end() :]
    if not classify_sentence(head).request or len(tail.split()) < 3:
        return [sentence]
    first = replace(sentence, text=head, end=sentence.start + m.start())
    second = replace(
        sentence, text=tail, start=sentence.start + m.end(), speaker=sentence.speaker or "bitte "
    )
    return [first, second]


def _units(body: str) -> list[Sentence]:
    """Sentences, with a sentence that joins two asks cut into one unit per ask."""
    return [
        part
        for unit in _ask_units(body)
        for dated in _dated_actions(unit)
        for part in _german_joined_actions(dated)
    ]


def _ask_units(body: str) -> list[Sentence]:
    units: list[Sentence] = []
    for sentence in split_sentences(body):
        start = 0
        for m in _SECOND_ASK.finditer(sentence.text if sentence.role != "row" else ""):
            head = sentence.text[start : m.start()]
            if classify_sentence(head).any:
                units.append(
                    replace(sentence, text=head, start=sentence.start + start, end=sentence.start + m.start())
                )
                start = m.end()
        units.append(
            sentence
            if not start
            else replace(sentence, text=sentence.text[start:], start=sentence.start + start)
        )
    return units


def _shifted(unit: Sentence, by: int) -> Sentence:
    """``unit`` (and the lead of its list or table) moved ``by`` characters, from a part of the body to
    the whole of it."""
    lead = _shifted(unit.lead, by) if unit.lead is not None else None
    return replace(unit, start=unit.start + by, end=unit.end + by, lead=lead)


_ROW_INTENT = SentenceIntent(request=True, commitment=False, meeting=False, question=False)


def _structured(
    unit: Sentence, email: EmailForExtraction, candidate_of: Callable[[str], _Candidate | None]
) -> _Candidate | None:
    """A list item's or table row's candidate: one task per item or row (see ``structure``)."""
    if unit.role == "row":
        task = row_task(unit, email)
        return _Candidate(task, _ROW_INTENT) if task is not None else None
    intents: list[SentenceIntent] = []

    def task_of(text: str) -> ExtractedTask | None:
        candidate = candidate_of(text)
        if candidate is None:
            return None
        intents.append(candidate.intent)
        return candidate.task

    task = item_task(unit, email, task_of)
    return _Candidate(task, intents[-1] if intents else _ROW_INTENT) if task is not None else None


def _without_empty_leads(
    units: list[Sentence], found: list[tuple[int, _Candidate]], email: EmailForExtraction
) -> list[tuple[int, _Candidate]]:
    """Drop the task of a lead whose ask is only its items ("Could you do the following by Friday:") once
    an item of it gave a task."""
    leads = {lead.start for index, _ in found if units[index].role != "text" and (lead := units[index].lead)}
    return [
        (index, candidate)
        for index, candidate in found
        if not (
            units[index].start in leads
            and lead_is_only_the_items(units[index], email)
            # "Before the workshop on Thursday at 2pm:" is also the workshop itself.
            and not (candidate.task.kind == "meeting" and not candidate.intent.request)
        )
    ]


def _is_detail_of(candidate: _Candidate, previous: _Candidate) -> bool:
    """A sentence right after a task that only adds detail to it ("I mostly need the revenue figures",
    "I'll send a link", "Please bring your numbers" after a meeting) is not a task of its own."""
    flat = " ".join(candidate.task.evidence.split())
    if FALLBACK.search(flat):
        return True  # "If not, please suggest another day": the other way to do the task before it
    if _ANSWER_BY.match(flat) and (
        candidate.task.due == previous.task.due or previous.task.kind == "meeting"
    ):
        return (
            True  # "I need to know before 3": the due of the question before it, or the answer to a meeting
        )
    if candidate.task.due is not None:
        return False
    if _BARE_LET_ME_KNOW.fullmatch(flat):
        return True  # "Let me know!" after an ask or a proposal: answer that one
    # A Spanish, French or German ask says so in its own words ("Pourriez-vous aussi m'envoyer…"), which
    # the English cues do not know.
    asked_in_other_language = candidate.intent.request and sentence_language(flat) is not None
    if not (
        _ADDRESSED_TO_READER.search(flat)
        or IMPERATIVE.search(flat)
        or candidate.intent.meeting
        or asked_in_other_language
    ):
        return True
    return previous.task.kind == "meeting" and bool(
        _PREPARATION.search(candidate.task.title) or _MANAGE_BOOKING.search(candidate.task.evidence)
    )


_POINTER_TO_FORWARD = re.compile(
    r"(?:(?:fyi|for info)[,:]?\s+)?(?:please\s+)?(?:see|read|check|look at|have a look at|take a look at|note)\s+"
    r"(?:below|(?:the\s+)?(?:message|email|e-mail|note|thread|mail|exchange|request)\s+below|"
    r"the\s+(?:forwarded|forward)\b.*|(?:the\s+)?(?:forwarded|fwd)\s+(?:message|email|e-mail|note))"
    r"(?:[,;]?\s+(?:fyi|for info))?[.!:]*",
    FLAGS,
)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def _forward_asks_the_reader(email: EmailForExtraction, region: ForwardedRegion) -> bool:
    """Whether the forwarded message was written to the reader: its greeting names the reader ("Hi Sam,"),
    or, greeting no one by name, its To line is the reader's. A message the reader wrote, or one that
    greets someone else ("Hi Jo," forwarded FYI by Jo), asks the reader nothing."""
    headers = forwarded_headers(email.body, region)
    if any(email.reader.owns(address) for address in _ADDRESS.findall(headers.get("from", ""))):
        return False
    greeted = greeted_name(email.body[region.text_start : region.text_end])
    if greeted is not None:
        return names_the_reader(greeted, email)
    to = headers.get("to", "")
    if any(email.reader.owns(address) for address in _ADDRESS.findall(to)):
        return True
    # "To: Sam Lee" (Outlook writes names only).
    bare = _ADDRESS.sub("", re.sub(r"<[^>]*>", "", to))
    return any(
        names_the_reader(name.strip(' "'), email) for name in re.split(r"[;,]", bare) if name.strip(' "')
    )


def _greets_someone_else(email: EmailForExtraction, region: ForwardedRegion) -> bool:
    """The forwarded message opens "Hi Jo," and Jo is not the reader: passed on for the reader to see."""
    greeted = greeted_name(email.body[region.text_start : region.text_end])
    return greeted is not None and not names_the_reader(greeted, email)


# "We need the Q3 numbers by Friday." followed by "I'll pull them together myself tomorrow.": a need the
# sender then takes on.
_NEED_STATEMENT = re.compile(
    r"^(?:[\w'-]+[,:]\s+)?(?:i|we)\s+(?:still\s+|really\s+)?(?:need|want|require)\b(?!\s+(?:you|u)\b)", FLAGS
)
_SENDER_TAKES_IT = re.compile(
    r"^(?:but\s+|so\s+|don'?t worry,?\s+)?(?:i|we)(?:'ll|\s+will|\s+can|'m going to|\s+am going to)\s+"
    r"(?:\w+\s+){0,3}?(?:it|them|this|that|those|these)\b(?:[^.?!]*\b(?:myself|ourselves)\b)?"
    r"|\b(?:i|we)(?:'ll|\s+will)\s+[^.?!]*\b(?:myself|ourselves)\b",
    FLAGS,
)


# "Please do it by tomorrow", "Can you get that done before Friday?": only when the task before is due.
_DO_IT_BY = re.compile(
    r"^(?:(?:and|also|but|so)\s+)?(?:please\s+|pls\s+|can you\s+|could you\s+|would you\s+|try to\s+|make sure to\s+)*"
    r"(?:please\s+)?(?:do|get|have|sort|handle|book|send|finish|complete|submit|confirm)\s+(?:it|that|this|so)"
    r"(?:\s+(?:done|sorted|booked|sent|finished|in|out|over))?\s+(?:by|before|no later than|until)\b",
    FLAGS,
)


# "Please pay it by then", "before then": the date is in the sentence before.
_THEN = re.compile(
    r"\b(?:by|before|until|till|no later than)\s+then\b|\bbis\s+dahin\b|\b(?:hasta|para)\s+entonces\b|\bd'ici\s+là\b",
    FLAGS,
)
# A date said as a deadline ("Legal needs our comments by Friday 3pm", "ideally before noon").
_BARE_LET_ME_KNOW = re.compile(
    r"(?:please\s+|just\s+|do\s+)?(?:let (?:me|us) know|lmk)(?:\s+(?:either way|asap|soon|what you think|"
    r"if (?:so|not|that works|this works|it works|you can(?: make it)?|you'?re in)|when you can))?\s*[.!]*",
    FLAGS,
)
# "I need to know before 3 today" after a question: when the answer is due, not a second task.
_ANSWER_BY = re.compile(
    r"^(?:(?:i|we)(?:'d| would)? (?:need|have|want|like) to (?:know|hear(?: back)?|have (?:an|the|your) answer)"
    r"|(?:i|we) need (?:an answer|a reply|to hear back|it|this|that|your answer)"
    r"|(?:please\s+|kindly\s+|do\s+)?(?:let (?:me|us) know|get back to (?:me|us)|reply|respond))\b"
    # The same in French, Spanish and German: "Peux-tu me répondre avant le 20 ?", "¿Me dices algo antes del
    # viernes?", "Geben Sie mir bis Freitag Bescheid".
    r"|^(?:(?:peux|pourrais|pouvez|pourriez)[- ](?:tu|vous)\s+me\s+(?:répondre|le\s+dire|confirmer)|merci\s+de\s+me\s+"
    r"(?:répondre|confirmer)|(?:réponds|répondez|dis|dites)[- ]moi|tiens[- ]moi\s+au\s+courant|tenez[- ]moi\s+au\s+courant"
    r"|[¿]?\s*(?:me\s+(?:dices|contestas|respondes|avisas)|avísame|dime|contéstame|respóndeme)"
    r"|(?:geben|sagen)\s+sie\s+mir\b[^.?!]*\bbescheid|(?:gib|sag)\s+mir\b[^.?!]*\bbescheid|antworten\s+sie\s+mir)",
    FLAGS,
)
_DEADLINE_WORD = re.compile(
    r"\b(?:by|before|until|till|due|no later than)\s+(?:the\s+)?$"
    # "Ideally before our call Thursday": a meeting that a thing must be ready for.
    r"|\bbefore (?:the|our|your|my) (?:[\w-]+\s+){0,2}(?:call|meeting|review|session|sync|demo|interview|visit|trip|"
    r"launch|workshop|presentation|board|offsite|audit)\s+(?:on\s+)?$",
    FLAGS,
)
# What the ask depends on closes then: "The booking for next week closes Friday noon", "registration ends on
# the 12th", "the cut-off is Thursday"; "la reserva cierra el viernes", "les inscriptions ferment vendredi",
# "die Buchung schließt am Freitag".
_CLOSES = re.compile(
    r"\b(?:closes|closing|ends|expires|(?:deadline|cut-?off|last day)(?: for [\w\s-]{1,30}?)? is"
    r"|(?:se\s+)?cierra(?:n)?|vence(?:n)?|ferme(?:nt)?|se\s+termine(?:nt)?|schließt|schließen|endet|enden)\s+",
    FLAGS,
)
_DEADLINE_LEADS = re.compile(r"(?:by|before|until|till|no later than)\b", FLAGS)


# "I need them on Monday morning", "Las necesito el lunes": when the thing is needed is its deadline.
_NEEDED_ON = re.compile(
    r"\b(?:i|we)\s+(?:will\s+|'ll\s+)?need\s+(?:it|them|this|these|those|that)\b|\b(?:las|los|la|lo)\s+(?:necesito|"
    r"necesitamos|necesitaría)\b|\ben\s+(?:ai|avons|aurai|aurons)\s+besoin\b|\b(?:brauche|brauchen|benötige|"
    r"benötigen)\s+(?:ich\s+|wir\s+)?(?:sie|es|ihn|das|die)\b",
    FLAGS,
)


def _deadline_in(text: str, email: EmailForExtraction, *, said_as_deadline: bool) -> ResolvedDate | None:
    resolved = resolve_first_due(text, email)
    if resolved is None or not said_as_deadline:
        return resolved
    flat = " ".join(text.split())
    if _NEEDED_ON.search(flat):
        return resolved
    said_at = flat.find(resolved.phrase)
    # The deadline word may lead the phrase itself ("before 3 today") or come just before it ("by Friday").
    leads = _DEADLINE_LEADS.match(resolved.phrase) or _DEADLINE_WORD.search(flat[: max(said_at, 0)])
    return resolved if said_at >= 0 and leads else None


def _with_earlier_deadline_after(
    units: list[Sentence], index: int, candidate: _Candidate, email: EmailForExtraction
) -> _Candidate:
    """A dated ask whose next sentence sets an earlier deadline and asks nothing itself: "Could you reserve
    the cold room for my run on the 15th? The booking for next week closes Friday noon." The 15th is when
    the room is used; the reservation must be made by Friday noon."""
    task = candidate.task
    if (
        task.due is None
        or task.kind == "meeting"
        or index + 1 >= len(units)
        or units[index + 1].role != "text"
    ):
        return candidate
    following = " ".join(units[index + 1].text.split())
    closes = _CLOSES.search(following)
    if closes is None or classify_sentence(following).any:
        return candidate
    resolved = resolve_first_due(following[closes.end() :], email)
    if resolved is None or not email.sent_at <= resolved.due < task.due:
        return candidate
    dated = replace(
        task,
        due=resolved.due,
        due_phrase=resolved.phrase,
        kind="deadline",
        extra={**task.extra, "has_time": resolved.has_time},
    )
    return _Candidate(dated, candidate.intent)


def _with_neighbours_due(
    units: list[Sentence], index: int, candidate: _Candidate, email: EmailForExtraction
) -> _Candidate:
    """An ask without a date takes the one its neighbour gives it: the sentence before, when the ask
    points back ("Your bill is due on 28 May. Please pay it by then."), or the sentence after, when that
    sentence sets a deadline and asks nothing itself ("Can you review the contract? Legal needs our
    comments by Friday 3pm.")."""
    task = candidate.task
    asks = candidate.intent.request or candidate.intent.question
    if not asks or units[index].role != "text":
        return candidate
    if task.due is not None:
        return _with_earlier_deadline_after(units, index, candidate, email)
    resolved: ResolvedDate | None = None
    previous = units[index - 1].text if index > 0 and units[index - 1].role == "text" else ""
    thing = antecedent(previous) if previous else None
    if _THEN.search(task.evidence) and previous:
        resolved = resolve_first_due(previous, email)
    elif thing and thing.lower() in task.title.lower():
        # "We need the signed lease by Friday. Please upload it.": the thing and its deadline come before.
        resolved = _deadline_in(previous, email, said_as_deadline=True)
    if (
        resolved is None
        and not _THEN.search(task.evidence)
        and index + 1 < len(units)
        and units[index + 1].role == "text"
    ):
        following = units[index + 1].text
        if not classify_sentence(following).request or _ANSWER_BY.match(" ".join(following.split())):
            resolved = _deadline_in(following, email, said_as_deadline=True)
    if resolved is None:
        return candidate
    dated = replace(
        task,
        due=resolved.due,
        due_phrase=resolved.phrase,
        kind="deadline" if task.kind == "todo" else task.kind,
        title=re.sub(r"\s+(?:by|before|until|till|no later than)\s+then\b", "", task.title, flags=FLAGS),
        extra={**task.extra, "has_time": resolved.has_time},
    )
    return _Candidate(dated, candidate.intent)


# "Would Tuesday at 3:15 work for you?", "Does 10am suit?", "How about Friday at 2?": a time put to the
# reader for something the sentence does not name.
_TIME_CHECK = re.compile(
    r"^(?:(?:would|does|will|is|could|can)\s+[^?]{0,50}?\b(?:work|suit|be (?:ok|okay|good|convenient|possible))"
    r"|(?:how|what) about\b|are you (?:free|available|around)\b)[^?]*\?\s*$",
    FLAGS,
)
_MEETING_WORD = re.compile(
    r"\b(?:meet|meeting|call|conference|chat|catch[- ]up|sync|review|interview|demo|session|walkthrough|"
    r"workshop|lunch|dinner|coffee|appointment|visit|consultation|1:1|one-on-one|check-?in)\b",
    FLAGS,
)


def _with_proposal_topic(
    units: list[Sentence], index: int, candidate: _Candidate, email: EmailForExtraction
) -> _Candidate:
    """A time put to the reader names its meeting in the sentence before ("I'd like to schedule a
    20-minute conference about Theo's reading. Would Tuesday at 3:15 work for you?"): the task is that
    meeting, at that time, not an answer to the question."""
    task = candidate.task
    flat = " ".join(task.evidence.split())
    if index == 0 or units[index].role != "text" or not _TIME_CHECK.match(flat) or task.due is None:
        return candidate
    previous = " ".join(units[index - 1].text.split())
    if not _MEETING_WORD.search(previous) or _MEETING_WORD.search(flat):
        return candidate
    sender = f'"{email.sender_name}" <{email.sender}>' if email.sender_name else email.sender
    title = task_title(previous, True, sender, subject=email.subject, following=flat)
    if not acceptable_title(title, meeting=True):
        return candidate
    has_time = bool(task.extra.get("has_time"))
    return _Candidate(
        replace(
            task,
            title=title,
            kind="meeting" if has_time else task.kind,
            duration_minutes=task.duration_minutes or stated_duration(previous, None),
        ),
        SentenceIntent(request=candidate.intent.request, commitment=False, meeting=True, question=True),
    )


class OfflineExtractor:
    """Rule-based extractor; deterministic and offline."""

    name = "offline"
    metered = False

    @classmethod
    def from_settings(cls) -> OfflineExtractor:
        return cls()

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]:
        if is_auto_reply(email) or is_cold_pitch(email) or says_nothing_to_do(email):
            return []
        # The parser keeps a forwarded message in the text (it is what the forwarder asks about); the
        # forwarder's own note ends where it begins.
        region = forwarded_region(email.body, forwarded=is_forward_subject(email.subject))
        own = email.body[: region.marker_start] if region is not None else email.body
        tasks = self._extract_from(_units(own), email)
        if region is not None:
            tasks = self._with_forwarded_asks(tasks, email, region)
        if tasks and is_mass_mail(email):
            # Mail to a list asks its reader as an account holder at most: pay, renew, keep the appointment.
            tasks = [
                task
                for task in tasks
                if task.due is not None and is_account_obligation(f"{email.subject}. {task.evidence}")
            ]
        if tasks and is_automated_notice(email):
            tasks = [task for task in tasks if task.due is not None]
        return tasks

    def _with_forwarded_asks(
        self, tasks: list[ExtractedTask], email: EmailForExtraction, region: ForwardedRegion
    ) -> list[ExtractedTask]:
        """The note's tasks with the forwarded message's asks when they are the reader's: the note
        delegates them ("Can you take care of this?", the asks then replace the delegation), or the
        forwarded message asks the reader itself (see ``_forward_asks_the_reader``). An FYI forward of an
        ask made to someone else gives only what the note itself asks."""
        # "See below." only points at the forward: what is below is what may be asked.
        tasks = [task for task in tasks if not _POINTER_TO_FORWARD.fullmatch(" ".join(task.evidence.split()))]
        delegated = any(_DELEGATION.search(task.evidence) for task in tasks)
        handed_over = _hands_over(email.body[: region.marker_start]) and not _greets_someone_else(
            email, region
        )
        if not delegated and not handed_over and not _forward_asks_the_reader(email, region):
            return tasks
        forwarded = [
            _shifted(unit, region.text_start)
            for unit in _units(email.body[region.text_start : region.text_end])
        ]
        # The forwarded author's own plans ("we can pay your invoices") are not the reader's to do.
        asks = [
            task
            for task in self._extract_from(forwarded, email)
            if "request" in cast("list[str]", task.extra["intent"])
        ]
        if delegated:
            rest = [task for task in tasks if not _DELEGATION.search(task.evidence)]
            return (asks + rest)[:MAX_TASKS_PER_EMAIL] if asks else tasks
        titles = {task.title.lower() for task in tasks}
        return (tasks + [task for task in asks if task.title.lower() not in titles])[:MAX_TASKS_PER_EMAIL]

    @staticmethod
    def _appointment(text: str, email: EmailForExtraction) -> _Candidate | None:
        """A reminder of the reader's booking, or a meeting of theirs announced, at a day and time: a meeting
        named by what is booked or held."""
        if email.reader_role == "cc":
            return None
        title = _appointment_title(text)
        if title is None:
            title = _announced_meeting_title(text)
            if title is None:
                return None
            intent = classify_sentence(text)
            if intent.request or intent.question or intent.commitment:
                return None  # an ask that names a meeting ("send the deck before Friday's review") is the ask
        resolved = resolve_first_due(text, email)
        if resolved is None or not resolved.has_time or resolved.due < email.sent_at:
            return None
        task = ExtractedTask(
            title=title,
            kind="meeting",
            evidence=text,
            due=resolved.due,
            due_phrase=resolved.phrase,
            duration_minutes=stated_duration(text, resolved),
            priority="normal",
            confidence=0.6,
            extra={"intent": ["meeting"], "has_time": True},
        )
        return _Candidate(task, SentenceIntent(request=False, commitment=False, meeting=True, question=False))

    def _extract_from(self, units: list[Sentence], email: EmailForExtraction) -> list[ExtractedTask]:
        found: list[tuple[int, _Candidate]] = []
        for index, unit in enumerate(units):
            # "Send it by Friday. It's urgent.": urgency often comes in the sentence after the ask.
            following = units[index + 1].text if index + 1 < len(units) else ""
            if unit.role == "text":
                previous = units[index - 1].text if index > 0 and units[index - 1].role == "text" else ""
                candidate = self._candidate(
                    unit.text, email, following, speaker=unit.speaker, previous=previous
                )
            else:
                candidate = _structured(unit, email, functools.partial(self._candidate, email=email))
            if candidate is not None:
                found.append((index, candidate))
        found = _without_empty_leads(units, found, email)
        found = [(index, _with_neighbours_due(units, index, candidate, email)) for index, candidate in found]
        found = [(index, _with_proposal_topic(units, index, candidate, email)) for index, candidate in found]
        tasks: list[ExtractedTask] = []
        seen_titles: set[str] = set()
        kept: tuple[int, _Candidate] | None = None
        for position, (index, candidate) in enumerate(found):
            if (
                kept is not None
                and index - kept[0] <= 2
                and units[index].role == "text"
                and candidate.task.due is not None
                and kept[1].task in tasks
                and (
                    _DO_IT_BY.match(" ".join(candidate.task.evidence.split()))
                    or (
                        _ANSWER_BY.match(" ".join(candidate.task.evidence.split()))
                        and kept[1].intent.question
                        and kept[1].task.kind != "meeting"
                    )
                )
            ):
                # "Can you book a table for Saturday at 7:30? Please do it by tomorrow.", "Would you join the
                # jury on 10 December? Can you answer by the 20th?": the deadline of the task before, not a
                # task of its own.
                earlier = tasks.index(kept[1].task)
                tasks[earlier] = replace(
                    kept[1].task,
                    due=candidate.task.due,
                    due_phrase=candidate.task.due_phrase,
                    kind="deadline",
                    duration_minutes=None,
                    extra={**kept[1].task.extra, "has_time": candidate.task.extra.get("has_time", False)},
                )
                kept = (index, _Candidate(tasks[earlier], kept[1].intent))
                continue
            # One plain sentence may sit between ("I booked the room. Please bring your numbers.").
            if (
                kept is not None
                and index - kept[0] <= 2
                and units[index].role == "text"
                and _is_detail_of(candidate, kept[1])
            ):
                kept = (index, kept[1])  # the detail belongs to the task before it; so may the next one
                continue
            after = found[position + 1] if position + 1 < len(found) else None
            if (
                after is not None
                and after[0] == index + 1
                and units[index].role == "text"
                and (thing := antecedent(units[index].text))
                and thing.lower() in after[1].task.title.lower()
            ):
                continue  # "We need the lease by Friday. Please upload it.": the ask after it names the need
            if _SENDER_TAKES_IT.search(units[index + 1].text if index + 1 < len(units) else "") and (
                _NEED_STATEMENT.match(" ".join(candidate.task.evidence.split()))
            ):
                continue  # "We need the Q3 numbers. I'll pull them together myself.": the sender does it
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
                # "I'd like to set up a call about X. Would Monday at 2:30 work?": the same task, now with
                # its time.
                earlier = next(
                    i for i, t in enumerate(tasks) if t.title.lower() == candidate.task.title.lower()
                )
                if tasks[earlier].due is None and candidate.task.due is not None:
                    tasks[earlier] = candidate.task
                continue
            seen_titles.add(candidate.task.title.lower())
            tasks.append(candidate.task)
            kept = (index, candidate)
            if len(tasks) >= MAX_TASKS_PER_EMAIL:
                break
        return tasks

    def _candidate(
        self,
        text: str,
        email: EmailForExtraction,
        following: str = "",
        *,
        speaker: str = "",
        previous: str = "",
    ) -> _Candidate | None:
        appointment = self._appointment(text, email)
        if appointment is not None:
            return appointment
        if NO_ASK.search(" ".join(text.split())):
            return None
        # The second action of a sentence cut in two is read with the first one's "I'll" or "could you".
        said = f"{speaker}{text}"
        intent = classify_sentence(said)
        if not intent.any and audience_of(email).names_reader(said):
            # "Tomás (cc'd) will review the numbers by Wednesday": work given to the reader by name.
            intent = replace(intent, request=True)
        actionable = intent.request or intent.commitment or intent.meeting
        # A direct question ("Where did you get yours?") asks the reader to answer: a todo.
        if not actionable and not intent.question:
            return None
        if not audience_of(email).is_for_reader(
            said, request=intent.request, commitment=intent.commitment, meeting=intent.meeting
        ):
            return None
        # "Something came up Thursday - can we do our 1:1 Friday at 2pm instead?": a date in the scene before
        # the ask says why; the ask's own date is the due.
        flat = " ".join(text.split())
        ask = drop_scene(flat)
        resolved = (resolve_first_due(ask, email) if ask != flat else None) or resolve_first_due(text, email)
        asks_for_a_thing = bool(
            (intent.request or intent.commitment)
            and _ACTION_ON_A_THING.match(LEAD_IN.sub("", drop_scene(" ".join(text.split()))))
        )
        meeting = intent.meeting and not asks_for_a_thing and not _CALLS_A_PARTY.search(ask)
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
        # "Could you show me tomorrow at 9 how the autoclave works?": done with the author at a set time, an
        # appointment; its title is still the ask's own ("Show Lena how…").
        together = bool(
            kind == "deadline"
            and resolved is not None
            and resolved.has_time
            and not _DEADLINE_LEADS.match(resolved.phrase)
            and not _DEADLINE_WORD.search(flat[: max(flat.find(resolved.phrase), 0)])
            and _WITH_THE_AUTHOR.match(LEAD_IN.sub("", ask))
        )
        if together:
            kind = "meeting"
        confidence = 0.7 if (intent.request or intent.meeting) else 0.6 if intent.commitment else 0.4
        task = ExtractedTask(
            title=task_title(
                text,
                (kind == "meeting" and not together) or (meeting and not intent.request),
                f'"{email.sender_name}" <{email.sender}>' if email.sender_name else email.sender,
                subject=email.subject,
                following=following,
                previous=previous,
            ),
            kind=kind,
            evidence=text,
            due=resolved.due if resolved else None,
            due_phrase=resolved.phrase if resolved else "",
            duration_minutes=stated_duration(text, resolved) if meeting or kind == "meeting" else None,
            priority=priority_of(" ".join((text, email.subject, following if len(following) < 60 else ""))),
            confidence=confidence,
            extra={
                "intent": [k for k in ("request", "commitment", "meeting", "question") if getattr(intent, k)],
                "has_time": bool(resolved and resolved.has_time),
            },
        )
        return _Candidate(task, intent)
