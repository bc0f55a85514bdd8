"""Whose task is it: the reader's identity against the email's headers and the names a sentence calls.

A request is the reader's when the email is written to them. It is not when it calls another recipient by
name ("Maria, can you send the deck?"), when the reader is only copied and nobody names them, when it is
the sender's own promise, or when the whole email is an automatic reply or a cold sales pitch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tasks_app.extractors import EmailForExtraction, ReaderRole

from .patterns import FLAGS

Addressee = Literal["reader", "other", "unknown"]

# A vocative to the whole group includes the reader wherever they stand in the headers.
_GROUP = (
    r"(?:all|everyone|everybody|team|folks|guys|y'all|all of you|each of you|both of you|you all|you both)"
)
_NAME = r"@?[A-Z][\w'’-]*"
# "Maria, …", "Hi Maria and Tom, …", "@dana can you…": the names before the comma, colon or dash.
_LEADING_CALL = re.compile(
    rf"^\s*(?:(?:hi|hey|hello|dear|and|also|so|ok|okay|thanks)\s+)?"
    rf"(?P<names>{_NAME}(?:\s*(?:,|and|&)\s*{_NAME}){{0,3}}|{_GROUP})\s*(?:[,:–—]|\s-)\s*",
    FLAGS,
)
# "Maria can you…" (no comma) counts only for a name we know, which is checked afterwards.
_LEADING_NAME_ASK = re.compile(
    r"^\s*(?P<names>@?[A-Z][\w'’-]*)\s+(?:can|could|would|will|please|pls)\b", FLAGS
)
# "…, Maria?" at the end of the sentence.
_TRAILING_CALL = re.compile(rf",\s*(?P<names>{_NAME}|{_GROUP})\s*[.?!]*\s*$", FLAGS)
_MENTION = re.compile(r"(?<![\w.])@(?P<name>[A-Za-z][\w'’-]*)")
_NAME_WORD = re.compile(r"[A-Za-z][\w'’-]*")
# "Sam will…", "Sam and Maria to…", "Sam needs to…"; "can Sam…", "ask Sam to…".
_ACTOR_AFTER = re.compile(
    r"(?:\s+(?:and|&)\s+[A-Z][\w'’-]*)?\s+(?:will|can|could|should|must|would|needs? to|has to|to|please|"
    r"is going to|is to)\b",
    FLAGS,
)
_ACTOR_BEFORE = re.compile(r"\b(?:can|could|would|will|should|ask|tell|get|need|want)\s+$", FLAGS)
# The email's opening line: "Hi Maria,", "Dear Ana and Tom,", "Good morning team".
_OPENING = re.compile(
    r"^\s*(?:hi|hey|hello|dear|good (?:morning|afternoon|evening))\b[\s,]*(?P<rest>.*)$", FLAGS
)
_NAME_PARTS = re.compile(r"\s*(?:,|\band\b|&)\s*", FLAGS)

# Out-of-office and other automatic answers: their "contact Dana for urgent matters" is not a request.
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:(?:automatic|auto)[- ]?(?:reply|response|antwort)|autoreply|auto:|out of (?:the )?office|"
    r"ooo\b|away from (?:the )?office|abwesenheitsnotiz|r[ée]ponse automatique|respuesta autom[áa]tica|"
    r"(?:delivery status notification|undeliverable|undelivered mail|mail delivery failed)|"
    r"(?:we(?:'ve| have) received|we received) your)",
    FLAGS,
)
_AUTO_REPLY_BODY = re.compile(
    r"\b(?:i am|i'm|i will be|i'll be)\s+(?:currently\s+)?(?:out of (?:the )?office|away from (?:the office|"
    r"my desk|my email)|on (?:annual |parental |sick |maternity |paternity )?leave|on (?:vacation|holiday))\b"
    r"[^.]*(?:\buntil\b|\breturn|\bback (?:on|in|at)\b)"
    # Not "this mailbox is not monitored": a notification from a no-reply address can still ask something.
    r"|\blimited access to (?:e-?mail|my inbox)\b|\bthis is an automated (?:reply|response)\b",
    FLAGS,
)
# Cold outreach: one strong sign, or two weaker ones, make the whole email a pitch.
_PITCH_STRONG = re.compile(
    r"\bwould you be (?:open|interested) (?:to|in) (?:a |an )?(?:quick |short |brief |free )?(?:\d+[- ]min(?:ute)?s? )?"
    r"(?:call|chat|demo|conversation|intro|introduction|meeting|learning|hearing|seeing|exploring|trying)\b"
    r"|\b(?:are you|is this) the right person\b"
    r"|\bwho(?:'s| is) the (?:right|best) person (?:to|for)\b"
    r"|\b(?:i'?d|i would|we'?d|we would) love to (?:show|walk|give) you\b"
    r"|\b(?:book|schedule|set up|grab) (?:a |an )?(?:quick |short |free |\d+[- ]min(?:ute)?s? )?demo\b"
    r"|\b(?:companies|teams|businesses|brands|organi[sz]ations|leaders) like yours\b"
    r"|\bworth a (?:quick |short )?(?:chat|call|conversation)\b|\bbump(?:ing)? this (?:up|to the top)\b",
    FLAGS,
)
_PITCH_WEAK = re.compile(
    r"\breaching out\b|\bour (?:platform|solution|product|software|tool|service|agency|team of experts)\b"
    r"|\b(?:increase|boost|grow|double|improve) (?:your )?(?:revenue|sales|conversions?|pipeline|leads|roi)\b"
    r"|\b(?:product|live|personali[sz]ed) demo\b|\bcase stud(?:y|ies)\b|\bcalendly\b|\bfree trial\b|\b(?:help|helped|helps) (?:companies|teams|"
    r"businesses|brands|organi[sz]ations)\b|\bfollowing up on my (?:last|previous|earlier) (?:e-?mail|note|message)\b",
    FLAGS,
)
# "No action needed", "nothing for you to do": the email says itself that it asks nothing.
_NOTHING_TO_DO = re.compile(
    r"\bno action (?:is )?(?:needed|required|necessary)\b|\bnothing (?:for you )?to do\b"
    r"|\bno need to (?:reply|respond|do anything)\b",
    FLAGS,
)


def is_auto_reply(email: EmailForExtraction) -> bool:
    return bool(_AUTO_REPLY_SUBJECT.search(email.subject) or _AUTO_REPLY_BODY.search(email.body))


# Anyone can have an address at these: sharing one says nothing about working together.
_PUBLIC_MAIL_DOMAINS = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com",
     "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de", "mail.com"}
)  # fmt: skip


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip(" >").lower()


def is_cold_pitch(email: EmailForExtraction) -> bool:
    """A sales pitch from outside: a colleague at the reader's own domain may well ask "would you be open to
    a quick call?" and mean it."""
    sender_domain = _domain(email.sender)
    if sender_domain not in _PUBLIC_MAIL_DOMAINS and sender_domain in {
        _domain(a) for a in email.reader.addresses
    }:
        return False
    text = " ".join(f"{email.subject}\n{email.body}".split())
    return bool(_PITCH_STRONG.search(text)) or len(_PITCH_WEAK.findall(text)) >= 2


def says_nothing_to_do(email: EmailForExtraction) -> bool:
    return bool(_NOTHING_TO_DO.search(email.body))


def _first_name(text: str) -> str:
    words = re.findall(r"[A-Za-z][\w'’-]*", text)
    return words[0].lower() if words else ""


# Mailbox names that are words, not people: "me@…" must not make every "send me" name the reader.
_NOT_A_PERSON = frozenset(
    {"me", "info", "hello", "hi", "team", "admin", "office", "contact", "support", "sales", "mail", "no",
     "noreply", "reply", "the", "and", "all", "you", "billing", "accounts", "help", "jobs", "news"}
)  # fmt: skip


def _local_part_name(address: str) -> str:
    local = address.split("@", 1)[0]
    parts = [p.lower() for p in re.split(r"[._+-]", local) if p.isalpha() and len(p) >= 2]
    return parts[0] if parts and parts[0] not in _NOT_A_PERSON else ""


@dataclass(frozen=True)
class Audience:
    """The names that mean the reader and the names that mean someone else on the email."""

    role: ReaderRole
    reader_names: frozenset[str]
    other_names: frozenset[str]
    greeting: Addressee  # whom the email's opening "Hi Maria," calls

    @classmethod
    def of(cls, email: EmailForExtraction) -> Audience:
        reader_names: set[str] = set()
        for name in email.reader.names:
            if name.strip():
                reader_names.add(" ".join(name.lower().split()))
                reader_names.add(_first_name(name))
        for address in email.reader.addresses:
            reader_names.add(_local_part_name(address))
        reader_names.discard("")
        other_names: set[str] = set()
        if email.reader_role != "unknown":
            for recipient in email.other_recipients:
                for name in (_first_name(recipient.name), _local_part_name(recipient.address)):
                    if name and name not in reader_names:
                        other_names.add(name)
        audience = cls(email.reader_role, frozenset(reader_names), frozenset(other_names), "unknown")
        first_line = next((line for line in email.body.splitlines() if line.strip()), "")
        greeting = _OPENING.match(first_line)
        if greeting:
            called = audience._called(greeting.group("rest").rstrip(" ,:!."))
            return cls(audience.role, audience.reader_names, audience.other_names, called)
        return audience

    def _called(self, names: str) -> Addressee:
        """Whom a list of names ("Maria and Tom", "team", "@dana") calls."""
        parts = [p.lstrip("@").lower() for p in _NAME_PARTS.split(names.strip()) if p.strip()]
        if not parts:
            return "unknown"
        if any(p in self.reader_names or re.fullmatch(_GROUP, p, FLAGS) for p in parts):
            return "reader"
        if any(p in self.other_names or _first_name(p) in self.other_names for p in parts):
            return "other"
        return "unknown"

    def addressee(self, sentence: str) -> Addressee:
        """Whom ``sentence`` calls by name; "unknown" when it names nobody we know."""
        flat = " ".join(sentence.split())
        for pattern in (_LEADING_CALL, _LEADING_NAME_ASK, _TRAILING_CALL):
            m = pattern.search(flat)
            if m:
                called = self._called(m.group("names"))
                if called != "unknown":
                    return called
        mentions = [self._called(m.group("name")) for m in _MENTION.finditer(flat)]
        if "reader" in mentions:
            return "reader"
        if "other" in mentions:
            return "other"
        return "unknown"

    def names_reader(self, sentence: str) -> bool:
        """The sentence gives the reader something to do by name ("Sam will need to sign it", "could Sam
        send…"); "please send the deck to Sam" names them only as the one who receives it."""
        for m in _NAME_WORD.finditer(sentence):
            if m.group().lower() not in self.reader_names:
                continue
            before, after = sentence[: m.start()], sentence[m.end() :]
            if _ACTOR_AFTER.match(after) or _ACTOR_BEFORE.search(before):
                return True
        return False

    def is_for_reader(self, sentence: str, *, request: bool, commitment: bool, meeting: bool) -> bool:
        """Whether a sentence that carries an intent gives the reader something to do."""
        if self.role == "sender":
            # The reader wrote it: their own promises and the meetings they propose are theirs; what they ask
            # of others is not.
            return commitment or meeting
        if not (request or meeting) and commitment:
            return False  # the sender's own promise: the sender does that work
        called = self.addressee(sentence)
        if called == "unknown":
            called = self.greeting
        if called == "other":
            return False
        if self.role == "cc":
            # Copied to stay informed: only what calls the reader (or everyone) is theirs.
            return called == "reader" or self.names_reader(sentence)
        return True


@lru_cache(maxsize=8)
def audience_of(email: EmailForExtraction) -> Audience:
    """``Audience.of`` once per email, however many sentences ask."""
    return Audience.of(email)
