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
    r"(?:all|everyone|everybody|team|folks|guys|y'all|all of you|each of you|both of you|you all|you both|"
    # "Hi managers,", "Dear colleagues": a greeting to everyone who holds a role.
    r"(?:all |fellow |[\w-]+ )?(?:managers|leads|leaders|colleagues|staff|members|parents|neighbou?rs|teammates|"
    r"coordinators|supervisors|directors|owners|volunteers|players|students|editors|reviewers|admins|"
    r"organi[sz]ers|hosts|attendees|participants))"
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
    r"(?:\s+(?:and|&)\s+[A-Z][\w'’-]*)?(?:\s*\([^()]{1,20}\))?\s+(?:will|can|could|should|must|would|needs? to|has to|"
    r"to|please|is going to|is to)\b",
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
    r"|\blimited access to (?:e-?mail|my inbox)\b|\bthis is an automated (?:reply|response)\b"
    # The same in Spanish, French and German.
    # Said in a personal note too ("je suis en déplacement, tu peux t'en occuper ?"): an automatic answer
    # also says until when.
    r"|\b(?:estaré|estoy)\s+(?:fuera de la oficina|de vacaciones|ausente|de baja)\b[^.]*\b(?:hasta|de vuelta|vuelvo)\b"
    r"|\bacceso limitado al correo\b"
    r"|\bje (?:suis|serai) (?:absente?|en congés?|en vacances|en déplacement)\b[^.]*\b(?:jusqu|de retour|retour)"
    r"|\baccès limité (?:à mes|aux) e-?mails\b"
    r"|\b(?:ich bin|bin ich)\s+(?=[^.!?]*\b(?:bis|zurück|wieder)\b)(?:[\w.]+\s+){0,5}?(?:nicht im büro|außer haus|"
    r"abwesend|im urlaub|nicht erreichbar)\b",
    FLAGS,
)
# Cold outreach: one strong sign, or two weaker ones, make the whole email a pitch.
_PITCH_STRONG = re.compile(
    # "Open to a quick chat?" to a stranger.
    r"(?:^|[.!?]\s+)(?:would you be |are you |be )?open to (?:a |an )?(?:quick |short |brief |\d+[- ]min(?:ute)?s? )?"
    r"(?:chat|call|conversation|intro|introduction|demo)\b|"
    r"\bwould you be (?:open|interested) (?:to|in) (?:a |an )?(?:quick |short |brief |free )?(?:\d+[- ]min(?:ute)?s? )?"
    r"(?:call|chat|demo|conversation|intro|introduction|meeting|learning|hearing|seeing|exploring|trying)\b"
    r"|\b(?:are you|is this) the right person\b"
    r"|\bwho(?:'s| is) the (?:right|best) person (?:to|for)\b"
    r"|\b(?:i'?d|i would|we'?d|we would) love to (?:show|walk|give) you\b"
    r"|\b(?:book|schedule|set up|grab) (?:a |an )?(?:quick |short |free |\d+[- ]min(?:ute)?s? )?demo\b"
    r"|\b(?:companies|teams|businesses|brands|organi[sz]ations|leaders) like yours\b"
    r"|\bworth a (?:quick |short )?(?:chat|call|conversation)\b|\bbump(?:ing)? this (?:up|to the top)\b"
    # Asking a stranger for minutes of their time to show what the seller does, in any phrasing: "do you
    # have 15 minutes … to explore whether this could work", "could I grab 10 minutes to show you how".
    r"|\b(?:do you have|would you have|have you got|could i (?:grab|get|have|steal|borrow)|can i (?:grab|get|"
    r"have|steal|borrow)|(?:open|free) for)\s+(?:a few|a couple of|\d+|ten|fifteen|twenty|thirty|a spare)?\s*"
    r"(?:minutes?|mins?)\b[^.?!]{0,80}?\b(?:show|explore|walk you|share|see (?:if|whether|how)|discuss how|"
    r"learn (?:more|how|about)|introduce|tell you|help (?:you|your))\b"
    r"|\b(?:companies|teams|firms|startups|businesses) (?:of |at )?your (?:size|stage)\b"
    r"|\b(?:a company|a team|a business|a firm|a startup) (?:of |at )?your (?:size|stage)\b",
    FLAGS,
)
_PITCH_WEAK = re.compile(
    r"\breaching out\b|\bour (?:platform|solution|product|software|tool|service|agency|team of experts)\b"
    r"|\b(?:increase|boost|grow|double|improve) (?:your )?(?:revenue|sales|conversions?|pipeline|leads|roi)\b"
    r"|\b(?:product|live|personali[sz]ed) demo\b|\bcase stud(?:y|ies)\b|\bcalendly\b|\bfree trial\b"
    # "I wanted to follow up on my previous email about our SEO services", "grow your traffic".
    r"|\b(?:wanted to |just )?follow(?:ing)? up on my (?:last|previous|earlier|first) (?:e-?mail|note|message)\b"
    r"|\bour (?:[\w-]+ )(?:platform|solution|product|software|tool|services?|agency)\b"
    r"|\b(?:increase|boost|grow|double|improve) (?:your )?(?:traffic|visitors|audience|rankings?|bookings|signups|"
    r"sign-ups|engagement)\b"
    r"|\b(?:help|helped|helps|helping) (?:[\w-]+ ){0,2}(?:companies|teams|businesses|brands|organi[sz]ations|"
    r"startups|founders|leaders|retailers|clinics|agencies|firms)\b|\bfollowing up on my (?:last|previous|earlier) (?:e-?mail|note|message)\b"
    # The same in Spanish, French and German: "ayudamos a agencias como la tuya", "nous aidons les agences",
    # "wir helfen Unternehmen"; "¿tendrías 15 minutos…?", "un appel de 15 minutes", "hätten Sie 15 Minuten".
    r"|\b(?:ayudamos|hemos ayudado) a (?:[\w-]+ ){0,2}(?:empresas|agencias|equipos|negocios|compañías|marcas)\b"
    r"|\b(?:nous aidons|nous avons aidé|on aide) (?:les |des )?(?:[\w-]+ ){0,2}(?:entreprises|agences|équipes|"
    r"sociétés|marques)\b|\bwir (?:helfen|haben) (?:[\w-]+ ){0,2}(?:Unternehmen|Agenturen|Teams|Firmen|Marken)\b"
    r"|\b(?:como la tuya|como la suya|comme la vôtre|comme la tienne|wie Ihre[mr]?)\b"
    r"|\b(?:\d+|diez|quince|veinte|dix|quinze|vingt|zehn|fünfzehn|zwanzig) (?:minutos|minutes|Minuten)\b[^.?!]{0,40}\?"
    r"|\bje me permets de vous (?:contacter|écrire)\b|\bme pongo en contacto (?:contigo|con usted)\b"
    # What a seller says of a stranger's company and of their own record.
    r"|\b(?:i|we) (?:saw|noticed|came across|read|see)(?: that)? (?:[\w&'-]+ ){0,4}(?:is|are|was|were|"
    r"has been|have been) (?:hiring|growing|expanding|raising|scaling|launching)\b"
    r"|\b(?:i|we) (?:saw|noticed|came across) (?:the |your )?(?:[\w-]+ ){0,3}(?:roles?|openings?|"
    r"job posts?|postings?|listings?|announcement|launch|funding|round) on\b"
    r"|\bwe(?:'ve| have) (?:placed|helped|saved|worked with|partnered with|supported)\b"
    r"|\b(?:cut|halve|reduce|slash|save) (?:your )?(?:[\w-]+ ){0,2}(?:time|costs?|bill|spend|churn) (?:in half|by "
    r"\d+%)|\b(?:found|saved) (?:\w+ )?\$\d[\d,.]*k?\b|\bsee if (?:we|i) (?:could|can|might) help\b",
    FLAGS,
)
# "No action needed", "nothing for you to do": the email says itself that it asks nothing.
_NOTHING_TO_DO = re.compile(
    r"\bno (?:further )?action (?:is )?(?:needed|required|necessary)\b|\bnothing (?:for you )?to do\b"
    r"|\bno need to (?:reply|respond|do anything)\b"
    # The same said around the reader: "there's nothing you need to do beforehand", "you don't have to do
    # anything", "no action on your side", "nothing needed from you".
    r"|\bnothing (?:(?:that )?(?:you|u|we) (?:need|have|must|should) to do|you need to (?:do|change|prepare))\b"
    r"|\b(?:you|u) (?:don'?t|do not|won'?t|will not) (?:need|have) to (?:do|change|prepare) anything\b"
    r"|\bno action (?:needed |required )?(?:on|from) (?:your|our) (?:side|end|part)\b"
    r"|\bnothing (?:is )?(?:needed|required) (?:from|of) you\b|\bno (?:reply|response) (?:is )?(?:needed|required)\b",
    FLAGS,
)
# Mail sent to a list: a footer that only mass mail has, or a newsletter that says what it is. Its calls to
# action ("Register now", "Read the full story") ask nothing of the reader as a person.
_MASS_MAIL = re.compile(
    r"\bunsubscribe\b|\bmanage (?:your )?(?:e-?mail |subscription |notification )?(?:preferences|settings|"
    r"subscriptions?)\b|\bview (?:it |this (?:e-?mail |message )?)?(?:online|in (?:your|a) browser)\b"
    r"|\byou(?:'re| are) receiving this (?:e-?mail |message )?because\b|\bthis (?:e-?mail|message) was sent to\b"
    r"|\bin (?:this|today'?s|this week'?s|this month'?s) (?:issue|edition|newsletter|digest)\b"
    r"|\bthis (?:week|month)'?s (?:issue|edition|newsletter|digest|round-?up)\b"
    r"|\bsave your (?:seat|spot)\b|\bspots? (?:are|is) limited\b"
    # Digests and social-network notices from a platform ("You have 3 new messages", "View in Slack").
    r"|\byou have \d+ (?:new |unread )?(?:messages?|notifications?|mentions?|replies|comments)\b"
    r"|\b(?:view|open|reply|see (?:it|this|them)|respond) (?:in|on) (?:slack|teams|github|gitlab|jira|asana|trello|"
    r"notion|linkedin|the app)\b|\b(?:join|grow) your (?:professional |linkedin )?network\b|\bwants to connect\b",
    FLAGS,
)
# A notice a system sends says so ("This email was sent automatically. Please do not reply.").
_AUTOMATED_NOTICE = re.compile(
    r"\bthis (?:e-?mail|message|notification) (?:was|is|has been) (?:sent |generated )?automatically\b"
    r"|\b(?:automatically generated|automated) (?:e-?mail|message|notification)\b"
    r"|\bplease do not reply\b|\bdo not reply to this (?:e-?mail|message|address)\b"
    r"|\b(?:este (?:correo|mensaje) (?:(?:fue|ha sido|se(?: ha)?) )?(?:enviado|generado|envió|generó) automáticamente"
    r"|por favor,? no (?:respondas|responda|contestes|conteste))\b"
    r"|\b(?:ce (?:message|courriel|mail|e-mail) (?:a été |est )?(?:envoyé|généré) automatiquement"
    r"|merci de ne pas répondre|ne (?:pas )?répondez pas|ne pas répondre)\b"
    r"|\b(?:diese (?:e-?mail|nachricht) wurde automatisch (?:versendet|erstellt|generiert|verschickt)"
    r"|bitte (?:antworten sie nicht|nicht (?:auf diese (?:e-?mail|nachricht) )?antworten))\b",
    FLAGS,
)
# What mass mail may still ask of its reader as an account holder: to pay, renew or keep an appointment.
_ACCOUNT_OBLIGATION = re.compile(
    r"\byour (?:[\w-]+ ){0,2}(?:bill|payment|invoice|account|subscription|renewal|membership|policy|"
    r"appointment|booking|reservation|statement|card|licen[cs]e|passport|registration|tax return)\b",
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


# "(no action needed)" after one item of a list speaks of that item, not of the whole email.
_ASIDE = re.compile(r"\([^()]*\)")


def says_nothing_to_do(email: EmailForExtraction) -> bool:
    return bool(_NOTHING_TO_DO.search(_ASIDE.sub("", email.body)))


def is_mass_mail(email: EmailForExtraction) -> bool:
    """A newsletter, promotion or notification sent to a list (see ``_MASS_MAIL``), even when the sync saw
    no bulk header."""
    return bool(_MASS_MAIL.search(" ".join(email.body.split())))


def is_automated_notice(email: EmailForExtraction) -> bool:
    """A notice a system sent (it says so, see ``_AUTOMATED_NOTICE``). What it asks by a date is the
    reader's ("Please complete the manager review within 5 days"); its undated how-tos ("Download the PDF
    from the app under Account > Statements") are directions, not tasks."""
    return bool(_AUTOMATED_NOTICE.search(" ".join(email.body.split())))


def is_account_obligation(evidence: str) -> bool:
    """Whether a sentence of mass mail asks the reader for something about their own account."""
    return bool(_ACCOUNT_OBLIGATION.search(evidence))


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
        if called == "unknown" and self.names_reader(sentence):
            return True  # "Thanks Priya. Tomás will review the numbers": work given to the reader by name
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
