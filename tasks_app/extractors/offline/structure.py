"""Lists and tables of asks: one task per item or row, with the date and the verb of the line that leads
into them, and only the rows and items that are the reader's (not assigned by name to someone else)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from tasks_app.extractors import EmailForExtraction, ExtractedTask, TaskKind

from .languages import other_language_title, sentence_language
from .patterns import ASK_MODAL, FLAGS, IMPERATIVE, classify_sentence, priority_of, resolve_first_due
from .sentences import Sentence
from .titles import KNOWN_VERBS, ask_phrase, task_title

# The lead of a list asks for its items even without a verb ("Action items for you:", "Next steps:").
_ASK_HEADING = re.compile(
    r"\b(?:action items?|actions? (?:for|needed|required)|to-?dos?|next steps|follow-?ups?|asks?|"
    r"(?:need|needed|want) from you|for you to|your (?:tasks?|items|homework|part)|what (?:i|we) need)\b"
    # A lead that ends on "please" asks for what it leads into.
    r"|\b(?:please|pls|por favor|s'il (?:te|vous) pla[iî]t|bitte)\s*:\s*$",
    FLAGS,
)
# Work that is waiting to be done, in any of the four languages: "a few things that need doing", "stuff to
# be done", "cosas pendientes / por hacer", "choses à faire / à régler", "Sachen zu erledigen". The lead
# names its items and asks for them.
_WORK_WAITING = re.compile(
    r"(?:\b(?:needs?|needed|want|wants) (?:doing|to be done|done|sorting(?: out)?|handling|taking care of)\b"
    r"|\b(?:things|items|stuff|bits|tasks) (?:to (?:do|sort|handle|be done)|left to do|still open)\b"
    r"|\b(?:pendientes?|por hacer|hay que hacer|à faire|à régler|zu erledigen|erledigt werden)\b)"
    # Not what there is to do somewhere: "Things to do in Lisbon:", "choses à faire à Lyon".
    r"(?!\s+(?:in|at|around|near|while|en|à|dans|au|aux|in der|im)\b)",
    FLAGS,
)
# What notes, changelogs and newsletters lead their lists with: their items are not asks, even when they
# read like imperatives ("Add dark mode"), unless an item asks outright ("Please check the export").
_INFORMATIONAL_LEAD = re.compile(
    r"\b(?:notes?|minutes|recap|summary|updates?|changes|change ?log|release|released|what'?s new|new in|"
    r"new features?|features|fixed|fixes|improvements|improved|highlights|news|newsletter|agenda|included|"
    r"fyi|status|done|completed|shipped|results|decisions|decided|learned|in this (?:issue|edition))\b"
    # Suggestions for a stay or a visit: "Some things to do in Lisbon:", "Quelques choses à faire à Lyon",
    # "cosas que hacer en Madrid", "Tipps für Berlin".
    r"|\b(?:tips|suggestions|recommendations|consejos|recomendaciones|conseils|tipps|empfehlungen)\b"
    r"|\b(?:things|places) to (?:do|see|try|visit|eat)\s+(?:in|at|around|near|while)\b"
    r"|\bchoses à (?:faire|voir)\s+(?:à|en|dans|au|aux)\b|\bcosas (?:que|para|por) (?:hacer|ver)\s+en\b",
    FLAGS,
)
# An item that asks outright, whatever leads into it.
_EXPLICIT_ASK = re.compile(
    rf"\b(?:please|pls|plz|kindly|make sure|be sure to|don'?t forget|remember to|let (?:me|us) know|"
    rf"(?:you|u) (?:need|must|should|have) to)\b|\b{ASK_MODAL}",
    FLAGS,
)
# The lead's object that stands for the items: "Could you send me the following:", "get these done".
_ITEMS_OBJECT = re.compile(
    r"\b(?:all of )?(?:the following(?: (?:items|things|points|tasks|documents|files))?|these(?: (?:items|"
    r"things|points|tasks|documents|files))?|those|(?:the )?(?:items|points|things|tasks|list) below|"
    r"the below|(?:a )?(?:few|couple(?: of)?|two|three|four|five) (?:things|items|points|more things)|them)\b",
    FLAGS,
)
# A French or Spanish lead that ends on its verb, whose object is the list: "pouvez-vous nous envoyer :",
# "¿podrías enviarnos:"; in German the verb ends the lead too: "könnten Sie uns bitte Folgendes schicken:".
_VERB_BEFORE_ITEMS = re.compile(
    r"\b(?P<verb>(?!(?:pour|par|sur|leur|notre|votre)\b)[^\W\d_]{3,}(?:er|ir|re|ar))(?:[- ](?:nous|moi))?(?:nos|me)?\s*:\s*$",
    FLAGS,
)
# "Necesito dos cosas:", "J'ai besoin de trois documents :", "Ich brauche noch Folgendes:": the items are
# things to send.
_NEEDS_ITEMS = {
    "es": (
        re.compile(r"\b(?:necesito|necesitamos|nos\s+falta(?:n)?|me\s+falta(?:n)?)\b[^:]*:\s*$", FLAGS),
        "enviar",
        False,
    ),
    "fr": (
        re.compile(
            r"\b(?:j'ai|nous\s+avons|on\s+a)\s+besoin\s+d[e']|\bil\s+(?:me|nous)\s+(?:manque|faut)\b[^:]*:\s*$",
            FLAGS,
        ),
        "envoyer",
        False,
    ),
    "de": (
        re.compile(
            # The verb comes second, so a sentence that opens with something else puts it before "ich": "Für
            # den Abschluss bräuchte ich von dir bis Freitag folgende Unterlagen:".
            r"\b(?:(?:ich|wir)\s+(?:brauche|brauchen|benötige|benötigen|bräuchte|bräuchten)|(?:brauche|benötige|"
            r"bräuchte)\s+ich|(?:brauchen|benötigen|bräuchten)\s+wir)\b[^:]*:\s*$",
            FLAGS,
        ),
        "schicken",
        True,
    ),
}
_VERB_BEFORE_ITEMS_DE = re.compile(
    r"\b(?:folgendes\s+|bitte\s+)*(?P<verb>schicken|senden|zusenden|mitteilen|bestätigen|liefern|zukommen lassen|"
    r"vorbereiten|erledigen|prüfen)\s*:\s*$",
    FLAGS,
)
# A word followed by a determiner starts with a verb ("renew the permit"), unless the word is itself a
# determiner or a preposition ("for the launch").
_DETERMINER = r"(?:the|a|an|your|our|my|his|her|their|its|this|that|these|those|all|some|any|every|each)"
_VERB_LED = re.compile(
    rf"^(?!{_DETERMINER}\b|(?:for|with|of|in|on|at|to|from|by|about|into|over|under|after|before|and|or)\b)"
    rf"[a-z][\w'-]*\s+{_DETERMINER}\b",
    FLAGS,
)
# A finite verb: an item that has one is a statement, not a bare noun phrase such as "the signed NDA".
_FINITE = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|will|would|can|could|should|did|does|do|'s|'re|needs?|"
    r"looks?|went|got|seems?)\b",
    FLAGS,
)

# Table columns by the words of their header cell, tried in this order ("Task owner" is an owner column,
# "Due date" a due column, "Action by" in minutes names who acts).
# The same header words in Spanish, French and German follow the English ones ("Responsable | Pendiente |
# Fecha límite", "Qui | Quoi | Pour quand", "Wer | Was | Bis wann").
_COLUMN_WORDS = (
    ("owner", r"owners?|assignees?|assigned|who|responsible|person|action by|by whom|dri|lead"
     r"|responsables?|encargad[oa]s?|a cargo|qui[eé]n(?:es)?|qui|porteur|pilote|wer|verantwortlich(?:e[rn]?)?|"
     r"zuständig(?:e[rn]?)?|zuständigkeit"),
    ("status", r"status|state|progress|done|complete|completed|estado|estatus|hecho|statut|état|fait|erledigt"),
    ("due", r"due|deadline|dates?|when|by|eta|target|fechas?|fecha límite|plazo|para cu[aá]ndo|cu[aá]ndo|"
     r"échéance|délai|pour quand|quand|d'ici|bis|bis wann|frist|termin|datum|fällig(?:keit)?"),
    ("task", r"tasks?|actions?|items?|to-?dos?|to do|deliverables?|description|activit(?:y|ies)|requests?|"
     r"asks?|next steps?|steps?|what|(?:open |action )?points?|pendientes?|tareas?|acci[oó]n(?:es)?|qu[eé]|asuntos?|actividad(?:es)?|"
     r"tâches?|quoi|sujets?|à faire|aufgaben?|was|punkte?|maßnahmen?|to-?do"),
)  # fmt: skip
_COLUMNS = [(role, re.compile(rf"\b(?:{words})\b", FLAGS)) for role, words in _COLUMN_WORDS]
_DONE = re.compile(
    r"(?:done|complete|completed|closed|resolved|shipped|cancell?ed|finished|yes|[✓✔☑x]"
    # "hecho", "listo", "fait", "terminé", "erledigt", "fertig".
    r"|hech[oa]|list[oa]|terminad[oa]|completad[oa]|cancelad[oa]|fait|faite|terminée?|fini|annulée?|"
    r"erledigt|fertig|abgeschlossen|storniert)\.?",
    FLAGS,
)
# An owner cell that leaves the row to whoever reads it.
_UNASSIGNED = re.compile(
    r"(?:|-+|–|—|\?+|tbd|tbc|n/?a|none|nobody yet|unassigned|open|any(?:one|body)|all|everyone|everybody|"
    r"team|the team|all of us|us|you|yourself|u|you all"
    # The reader as "you" in Spanish, French and German: "Tú", "Usted", "Toi", "Vous", "Du", "Sie".
    r"|t[uú]|usted|ustedes|vos|toi|vous|du|sie|ihr|todos|tout le monde|alle)",
    FLAGS,
)
_AUTHOR = re.compile(r"(?:me|i|myself)", FLAGS)
# "Priya: send the budget", "Priya to send the budget", "@Priya send the budget".
_OWNER_PREFIX = re.compile(
    r"^@?(?P<name>[A-Z][\w'-]+(?: [A-Z][\w'.-]*)?)(?:\s*:\s+|\s+to\s+|\s*[-–—]\s+)(?P<rest>\S.*)$", re.DOTALL
)
_AT_OWNER = re.compile(r"^@(?P<name>[\w'.-]+)\s+(?P<rest>\S.*)$", re.DOTALL)
# "Book the room (Priya)", "Book the room @Priya".
_OWNER_SUFFIX = re.compile(
    r"^(?P<rest>.+?)(?:\s*\((?P<name>[A-Z][\w'-]+)\)|\s+@(?P<at>[\w'.-]+))\s*[.!]?$", re.DOTALL
)
# Words that may start an item followed by a colon or "to" without naming anyone.
_NOT_A_NAME = re.compile(
    r"(?:note|notes|reminder|update|fyi|important|urgent|todo|to-?do|action|next|also|ps|re|tip|question|"
    r"q|status|done|ask|request|remember|need|want|try|have|plan|hope|going|how|what|when|where|who|why|"
    r"ok|okay|and|or|then|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"optional|bonus|nice|must|should|first|second|third|finally|last|step \w+)",
    FLAGS,
)
# The first line of a text: "Hi Sam," / "Dear Sam".
_GREETING = re.compile(r"\s*(?i:hi|hello|hey|dear)\s+(?P<name>[A-Z][\w'-]+)\s*[,!]?[ \t]*(?:\n|$)")


def _reader_names(email: EmailForExtraction) -> set[str]:
    """The reader's names in lower case (full names and first names); when the email does not say who the
    reader is, the name the greeting uses ("Hi Sam,")."""
    names: set[str] = set()
    owned = [r.name for r in (*email.to, *email.cc) if r.name and email.reader.owns(r.address)]
    for name in (*email.reader.names, *owned):
        clean = " ".join(name.lower().split())
        if clean:
            names.update((clean, clean.split(" ")[0]))
    names.update(address.split("@", 1)[0] for address in email.reader.addresses)
    greeted = greeted_name(email.body) if not email.reader.names else None
    if greeted:
        names.add(greeted.lower())
    return names


def _sender_names(email: EmailForExtraction) -> set[str]:
    names: set[str] = set()
    for name in (email.sender_name, re.sub(r"\s*<[^>]*>\s*", "", email.sender).strip(' "')):
        clean = " ".join(name.lower().split())
        if clean and "@" not in clean:
            names.update((clean, clean.split(" ")[0]))
    return names


_ROLE_AND_NAME = re.compile(r"(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)")


def owned_by_reader(owner: str, email: EmailForExtraction) -> bool:
    """Whether a row or item assigned to ``owner`` is the reader's: unassigned ("", "TBD", "anyone",
    "you", "all"), the reader by name or address, or a group that names the reader ("Sam / Priya")."""
    text = " ".join(owner.split()).strip(" .@")
    role = _ROLE_AND_NAME.fullmatch(text)
    if role:
        # "Restaurant (Mariana)", "Guide (Carlos)": a role and the person who holds it; "Mariana
        # (restaurant)" the other way round. The row is the reader's when either names the reader.
        return any(
            not _UNASSIGNED.fullmatch(part) and owned_by_reader(part, email)
            for part in (role.group("outer"), role.group("inner"))
        )
    if _UNASSIGNED.fullmatch(text):
        return True
    if _AUTHOR.fullmatch(text):
        return False
    names = _reader_names(email)
    for part in re.split(r"\s*(?:,|/|&|\+|;|\band\b)\s*", text, flags=FLAGS):
        part = part.strip(" .@").lower()
        if not part:
            continue
        if "@" in part:
            if email.reader.owns(part):
                return True
            continue  # sam@vendor.example is not the reader Sam
        if part in names:
            return True
        if part.split(" ")[0] in names and part not in _sender_names(email):
            return True  # "Sam L." for the reader Sam Lee
    return False


def greeted_name(text: str) -> str | None:
    """The name a text greets on its first line ("Hi Sam," -> "Sam"), or None."""
    m = _GREETING.match(text)
    return m.group("name") if m else None


def names_the_reader(name: str, email: EmailForExtraction) -> bool:
    """Whether ``name`` (a greeting's or a header's) is the reader's; "all" or "team" names no one."""
    text = " ".join(name.split()).strip(" .@")
    return bool(text) and not _UNASSIGNED.fullmatch(text) and owned_by_reader(text, email)


@dataclass(frozen=True)
class _Lead:
    asks: bool  # the lead asks for the items ("Could you do the following:", "Action items:")
    informational: bool  # notes, changelog, newsletter: the items are not asks
    title: str  # the lead's own task title ("Send the following"), "" when it asks nothing
    stands_for_items: bool  # its object is the items ("the following", "these")
    for_someone_else: bool  # "Action items for Priya:"
    # The verb of a French, Spanish or German lead whose object is its items ("pouvez-vous nous envoyer :"),
    # and whether it goes after the item (German: "die Teilnehmerliste schicken").
    verb_for_items: str = ""
    verb_last: bool = False
    language: str = ""  # of the lead, when it is French, Spanish or German


def _read_lead(lead: Sentence | None, email: EmailForExtraction) -> _Lead | None:
    if lead is None:
        return None
    text = " ".join(lead.text.split())
    intent = classify_sentence(text)
    waiting = bool(_WORK_WAITING.search(text))
    asks = intent.request or waiting or bool(_ASK_HEADING.search(text))
    # The ask's own words say whether its object is the items ("take care of these"); the title would
    # name that pointer from the subject ("Handle: <subject>") or fall back to "Reply to Jo".
    title = task_title(text, False, email.sender) if intent.request else ""
    if title and not _ITEMS_OBJECT.search(title):
        phrase = ask_phrase(text)
        if _ITEMS_OBJECT.search(phrase):
            title = f"{phrase[:1].upper()}{phrase[1:]}"
    stands_for_items = bool(_ITEMS_OBJECT.search(title))
    language = sentence_language(text) if intent.request else None
    verb = (
        _VERB_BEFORE_ITEMS.search(text)
        if language in ("fr", "es")
        else _VERB_BEFORE_ITEMS_DE.search(text)
        if language == "de"
        else None
    )
    # A short lead ("Necesito dos cosas:") may show no language of its own: its words say which.
    needs_language = next((lang for lang, need in _NEEDS_ITEMS.items() if need[0].search(text)), "")
    needs = _NEEDS_ITEMS.get(needs_language)
    needed_verb = needs[1] if needs and verb is None else ""
    addressee = re.search(r"\bfor (?P<name>[A-Z][\w'-]+)\s*:?\s*$", text)
    return _Lead(
        asks=asks or bool(needed_verb),
        informational=not asks and not needed_verb and bool(_INFORMATIONAL_LEAD.search(text)),
        title=title,
        stands_for_items=stands_for_items or verb is not None or bool(needed_verb) or waiting,
        verb_for_items=verb.group("verb").lower() if verb else needed_verb,
        verb_last=(verb is not None and verb.re is _VERB_BEFORE_ITEMS_DE)
        or bool(needs and needed_verb and needs[2]),
        language=(language or "") if verb is not None else needs_language if needed_verb else "",
        for_someone_else=bool(
            addressee
            and not _NOT_A_NAME.fullmatch(addressee.group("name"))
            and not owned_by_reader(addressee.group("name"), email)
        ),
    )


# "all by Friday", "everything before the 12th", "todo antes del viernes", "tout pour vendredi", "alles bis
# Freitag": one deadline the lead sets for each of its items.
_FOR_ALL = re.compile(
    r"\b(?:all|everything|each|both|all of (?:them|these|it)|todo|todas?|todos|tout|toutes?|tous|alles|beides|"
    r"jeweils)\s+(?:(?:by|before|until|till|no later than|antes(?: del?)?|para|hasta|avant|pour|d'ici|bis(?: zum)?|"
    r"vor)\s+)?(?:the\s+|el\s+|le\s+)?$",
    FLAGS,
)


# The words that make a date a deadline, in the four languages: "by Friday", "antes del viernes", "avant
# vendredi", "bis 4.12.", "a más tardar el 15", "spätestens am Montag".
_DEADLINE_BEFORE = re.compile(
    r"\b(?:by|before|until|till|due|no later than|antes(?: del?)?|a más tardar(?: el)?|hasta(?: el)?|avant(?: le)?|"
    r"d'ici(?: le| à)?|au plus tard(?: le)?|bis(?: zum| spätestens)?|spätestens(?: am| bis)?|vor dem)\s+"
    r"(?:the\s+|el\s+|le\s+)?$",
    FLAGS,
)


def _said_as_deadline(text: str, phrase: str) -> bool:
    """Whether the date ``phrase`` is said as a deadline in ``text``: a deadline word leads it or comes just
    before it."""
    if not phrase:
        return False
    said_at = text.find(phrase)
    return bool(
        re.match(r"(?:by|before|until|till|antes|hasta|avant|bis|spätestens)\b", phrase, FLAGS)
        or (said_at >= 0 and _DEADLINE_BEFORE.search(text[:said_at]))
    )


def _with_due(
    task: ExtractedTask,
    lead: Sentence | None,
    email: EmailForExtraction,
    *,
    item: bool = False,
    thing: bool = False,
) -> ExtractedTask:
    """The lead's date for an item or row that has none of its own ("…by Friday:" over the list). A
    heading's date is a due only after "by", "before", "until" or "due" ("Next steps from today's call:"
    is not due today); an ask's date is its due, as in a sentence.

    A lead that sets one deadline for all its items ("A few things that need doing before then, all by
    Friday please:") also bounds a list item whose own date is later: in "book the seminar room for
    Aylin's talk on Dec 10" the 10th is when the talk is, and the booking is due by Friday like the rest."""
    if lead is None:
        return task
    resolved = resolve_first_due(lead.text, email)
    if resolved is None:
        return task
    flat = " ".join(lead.text.split())
    said_at = flat.find(resolved.phrase)
    deadline_word = _said_as_deadline(flat, resolved.phrase)
    for_all = bool(_FOR_ALL.search(flat[: max(said_at, 0)]))
    # "I need these from you by the 4th:" / "- the travel claims for October": an item that only names a
    # thing (``thing``) has a date that says what the thing is about, not when to act ("call the plumber on
    # March 20" does say when); unless said as a deadline, the lead's deadline bounds it.
    bounded = for_all or (
        thing and deadline_word and not _said_as_deadline(" ".join(task.evidence.split()), task.due_phrase)
    )
    if task.due is not None and not (item and bounded and resolved.due < task.due):
        return task
    if not classify_sentence(flat).request and not deadline_word and not for_all:
        return task
    return replace(
        task,
        due=resolved.due,
        due_phrase=resolved.phrase,
        kind="deadline" if task.kind == "todo" else task.kind,
        extra={**task.extra, "has_time": resolved.has_time},
    )


def _new_task(title_source: str, evidence: str, email: EmailForExtraction, *, due_text: str) -> ExtractedTask:
    resolved = resolve_first_due(due_text, email) if due_text else None
    kind: TaskKind = "deadline" if resolved is not None else "todo"
    return ExtractedTask(
        title=task_title(title_source, False, email.sender, subject=email.subject),
        kind=kind,
        evidence=evidence,
        due=resolved.due if resolved else None,
        due_phrase=resolved.phrase if resolved else "",
        priority=priority_of(" ".join((evidence, email.subject))),
        confidence=0.6,
        extra={"intent": ["request"], "has_time": bool(resolved and resolved.has_time)},
    )


def _people(email: EmailForExtraction) -> set[str]:
    """Lower-case names of everyone on the email: reader, sender and recipients (full and first names,
    and the local parts of their addresses)."""
    names = _reader_names(email) | _sender_names(email)
    for recipient in (*email.to, *email.cc):
        names.add(recipient.address.split("@", 1)[0])
        clean = " ".join(recipient.name.lower().split())
        if clean:
            names.update((clean, clean.split(" ")[0]))
    return names


def _owner_split(text: str, email: EmailForExtraction) -> tuple[str | None, str]:
    """(owner, the item without the owner) for "Priya: send the budget", "Priya to send…", "send… (Priya)",
    "@Priya send…"; (None, text) when the item names no one."""
    flat = " ".join(text.split())
    m = _AT_OWNER.match(flat)
    if m:
        return m.group("name"), m.group("rest")
    m = _OWNER_PREFIX.match(flat)
    if m and (IMPERATIVE.match(m.group("rest")) or _infinitive_led(m.group("rest"), _table_language(email))):
        # "Priya to send the budget" names a person; "Priya: send it" when Priya is someone on the email.
        # "Budget: send the final numbers" is only a label: the task is what follows it.
        to_form = re.match(r"\s+to\s", flat[len(m.group("name")) :]) is not None
        person = not _NOT_A_NAME.fullmatch(m.group("name"))
        if person and (to_form or m.group("name").lower() in _people(email)):
            return m.group("name"), m.group("rest")
        if not to_form:
            return None, m.group("rest")
    m = _OWNER_SUFFIX.match(flat)
    # "(Priya)" names her only when she is on the email: "(ASAP)" and "(Friday)" name no one.
    if m and (m.group("at") or m.group("name").lower() in _people(email)):
        return m.group("name") or m.group("at"), m.group("rest")
    return None, text


_ASIDE = re.compile(r"\s*\([^()]*\)|\s+[-–—]\s+.*$")


# "die aktualisierte Liste" -> "aktualisierte Liste": a German to-do names its thing without the article,
# and an adjective then takes the ending it has without one ("die unterschriebenen Formulare" ->
# "unterschriebene Formulare", "das neue Formular" -> "neues Formular").
_GERMAN_ARTICLE = re.compile(
    r"^(?P<article>(?i:die|das|den))\s+(?:(?P<adjective>[a-zäöüß]+?)(?P<ending>e|en)\s+(?=[A-ZÄÖÜ]))?"
)


def _without_article(thing: str) -> str:
    m = _GERMAN_ARTICLE.match(thing)
    if m is None:
        return thing
    if m.group("adjective") is None:
        return thing[m.end() :]
    strong = {"die": "e", "das": "es", "den": "en"}[m.group("article").lower()]
    return f"{m.group('adjective')}{strong} {thing[m.end() :]}"


def item_task(
    item: Sentence, email: EmailForExtraction, task_of: Callable[[str], ExtractedTask | None]
) -> ExtractedTask | None:
    """The task of a list item; ``task_of(text)`` is the task a sentence gives on its own, or None.

    The item inherits the lead's date; a bare noun phrase under a lead whose object is the items ("Could
    you send me the following by Friday:" / "- the signed NDA") takes the lead's verb; an item assigned to
    someone else, and one under notes or a changelog that does not ask outright, gives nothing."""
    lead = _read_lead(item.lead, email)
    owner, rest = _owner_split(item.text, email)
    if owner is not None:
        if not owned_by_reader(owner, email):
            return None
    elif lead is not None and lead.for_someone_else:
        return None
    flat = " ".join(rest.split())
    task = task_of(rest)
    if task is None:
        # An aside in brackets or after a dash ("renew our Krios booking (we need the two 48h slots)") says
        # why; the item itself is what is asked.
        main = _ASIDE.sub(" ", flat).strip() or flat
        words = re.findall(r"[\w'-]+", main)
        plain = bool(words) and not _FINITE.search(main) and not classify_sentence(main).any
        language = (lead.language if lead else "") or _table_language(email)
        infinitive = _infinitive_led(main, language)
        if (
            owner is not None
            and plain
            and 2 <= len(words) <= 20
            and (words[0].lower() in KNOWN_VERBS or infinitive)
        ):
            # "- Lucía: reservar el camión antes del viernes": an item given to the reader by name is asked of
            # them, whatever the line above it says.
            task = _new_task(flat, item.text, email, due_text=flat)
            title = other_language_title(main, False, email.sender, language=language) if infinitive else None
            task = replace(task, title=title) if title else task
            return _with_due(task, item.lead, email, item=True)
        if lead is None or not lead.asks or not plain:
            return None
        if lead.verb_for_items and len(words) <= 14:
            # "Pouvez-vous nous envoyer :" / "- la liste des participants avant le 19 février"; an item that
            # is already an infinitive ("- Hotel buchen", "- réserver l'hôtel") keeps its own verb.
            thing = flat.rstrip(".;,")
            own_verb = (
                # A German infinitive is written small; "Spendenquittungen" is a noun that ends the same way.
                re.search(r"(?<!\w)[a-zäöüß]\w*en$", thing)
                if lead.verb_last
                else re.match(r"[^\W\d_]+(?:er|ir|re|ar)\b", thing)
            )
            if lead.verb_last:
                thing = _without_article(thing)
            if own_verb and len(words) >= 2:
                said = thing
            else:
                said = (
                    f"{thing} {lead.verb_for_items}" if lead.verb_last else f"{lead.verb_for_items} {thing}"
                )
            task = _new_task(said, item.text, email, due_text=flat)
            title = other_language_title(said, False, email.sender, language=lead.language)
            return _with_due(
                replace(task, title=title) if title else task,
                item.lead,
                email,
                item=True,
                thing=said != thing,
            )
        m = _ITEMS_OBJECT.search(lead.title)
        if m is None:
            if (words[0].lower() not in KNOWN_VERBS and not infinitive) or not 2 <= len(words) <= 20:
                return None
            # "Two things I need from you:" / "- Post the new signage by Friday": under a lead that asks,
            # an item that starts with a verb is an ask, in words the intent patterns may not list.
            task = _new_task(flat, item.text, email, due_text=flat)
            title = other_language_title(main, False, email.sender, language=language) if infinitive else None
            task = replace(task, title=title) if title else task
            return _with_due(task, item.lead, email, item=True)
        if len(words) > 10:
            return None
        if _VERB_LED.match(flat):
            # "renew the permit": an action of its own, in words the intent patterns do not list.
            task = _new_task(flat, item.text, email, due_text=flat)
        else:
            # "Get these done before the meeting" + "the expense report" -> "Get the expense report done".
            done = " done" if re.match(r"\s+done\b", lead.title[m.end() :]) else ""
            task = _new_task(
                f"{lead.title[: m.start()]}{flat.rstrip('.;,')}{done}", item.text, email, due_text=flat
            )
            return _with_due(task, item.lead, email, item=True, thing=True)
    elif lead is not None and lead.informational and not _EXPLICIT_ASK.search(flat):
        return None
    return _with_due(replace(task, evidence=item.text), item.lead, email, item=True)


def lead_is_only_the_items(lead: Sentence, email: EmailForExtraction) -> bool:
    """Whether the lead's own ask is nothing but its items ("Could you do the following by Friday:"), or
    it is only a heading ("Follow-ups:", "Next steps:"), so it is no task of its own once they are."""
    read = _read_lead(lead, email)
    flat = " ".join(lead.text.split())
    heading = flat.endswith(":") and len(flat.split()) <= 4 and resolve_first_due(flat, email) is None
    return read is not None and (read.stands_for_items or not read.title or heading)


@dataclass(frozen=True)
class _Columns:
    task: int
    owner: int | None
    due: int | None
    status: int | None


def _columns(header: tuple[str, ...]) -> _Columns | None:
    """Which cell holds what, from the header's words; None when the table is not a table of asks (it needs
    a task column and an owner or a due column)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        for role, words in _COLUMNS:
            if words.search(cell):
                found.setdefault(role, index)
                break
    if "task" not in found or ("owner" not in found and "due" not in found):
        return None
    return _Columns(found["task"], found.get("owner"), found.get("due"), found.get("status"))


# An infinitive that leads a Spanish or French to-do ("Aprobar el menú", "Réserver la salle") or ends a
# German one ("Hotel buchen").
_ROMANCE_INFINITIVE = re.compile(r"^[^\W\d_]{3,}(?:ar|er|ir|re)\b", FLAGS)
_GERMAN_INFINITIVE_LAST = re.compile(r"\b[^\W\d_]{2,}(?:en|rn|ln)\s*$", FLAGS)
# A lead or subject that says the table lists what the sender needs from the reader ("Dec 10 group – what
# we need from you", "Necesitamos de ti:", "Ce dont nous avons besoin", "Was wir von dir brauchen"): a row
# that names a thing ("Final menu in English") is that thing to send.
_NEEDED_FROM_READER = {
    "en": (
        re.compile(
            r"\b(?:(?:we|i) (?:need|require)|needed|required|to (?:send|provide|submit)) (?:from|of) (?:you|u)\b"
            r"|\bwhat (?:we|i) need\b|\b(?:we|i) (?:still )?need from\b|\bneeded from\b",
            FLAGS,
        ),
        "send",
    ),
    "es": (re.compile(r"\b(?:necesit(?:o|amos|a)|nos falta(?:n)?|me falta(?:n)?)\b", FLAGS), "enviar"),
    "fr": (re.compile(r"\bbesoin\b|\bil (?:me|nous) (?:manque|faut)\b", FLAGS), "envoyer"),
    "de": (re.compile(r"\b(?:brauche|brauchen|benötige|benötigen|bräuchte|bräuchten)\b", FLAGS), "schicken"),
}


def _infinitive_led(text: str, language: str) -> bool:
    """Whether a to-do is said with an infinitive: "reservar el camión", "renouveler l'assurance" (Spanish
    and French lead with it), "die Versicherung verlängern" (German ends on it)."""
    if language in ("es", "fr"):
        return bool(_ROMANCE_INFINITIVE.match(text))
    return language == "de" and bool(_GERMAN_INFINITIVE_LAST.search(text.rstrip(" .;,")))


def _table_language(email: EmailForExtraction) -> str:
    """The language the table's email is written in ("es", "fr", "de", or "" for English): a row's
    cells are too short to tell on their own."""
    return _body_language(email.body)


@lru_cache(maxsize=16)
def _body_language(body: str) -> str:
    # Asked once per row or item of the same body: read the body once.
    return sentence_language(" ".join(body.split())) or ""


def _needed_verb(row: Sentence, email: EmailForExtraction, language: str) -> str:
    """The verb for a row that names a thing, when the lead or the subject says the rows are what the
    sender needs from the reader; "" otherwise."""
    said = " ".join((row.lead.text if row.lead else "", email.subject))
    for lang in (language or "en", "en"):
        pattern, verb = _NEEDED_FROM_READER[lang]
        if pattern.search(said):
            return verb
    return ""


# The work a row names without a verb is to be done: "Legal review" -> "Complete legal review", "Lista de
# invitados" -> "Preparar lista de invitados", "Sitzplan" -> "Sitzplan vorbereiten".
_WORK_VERB = {"": "complete", "es": "preparar", "fr": "préparer", "de": "vorbereiten"}


def _as_an_action(cell: str, *, language: str = "", needed_verb: str = "") -> str:
    """A task cell that names a piece of work without a verb ("Legal review", "Budget draft") is that work
    to complete, and a thing the sender needs from the reader (``needed_verb``: "Final menu in English")
    is that thing to send: a title starts with a verb (a German to-do ends on it). A cell already led by
    a verb keeps it, in its language."""
    verb = needed_verb or _WORK_VERB.get(language, "complete")
    # An aside in brackets ("(2025–2026)", "(purchases over 5,000 EUR)") is detail, not the name of the work.
    words = re.findall(r"[\w'-]+", re.sub(r"\([^()]*\)", " ", cell)) or re.findall(r"[\w'-]+", cell)
    # "Invoice with RFC and our tax details" under "what we need from you" is the invoice: a verb takes an
    # object ("Invoice the client"), the name of a thing goes on with "with", "of", "and"...
    named_thing = bool(needed_verb) and bool(
        re.match(r"[\w'-]+\s*(?:$|[,&(]|(?:with|of|for|and|in|from|incl\.?|including)\b)", cell, FLAGS)
    )
    if not words or (words[0].lower() in KNOWN_VERBS and not named_thing) or sentence_language(cell):
        return cell
    if language in ("es", "fr") and _ROMANCE_INFINITIVE.match(cell):
        return cell
    if language == "de" and _GERMAN_INFINITIVE_LAST.search(cell.rstrip(" .")):
        return cell
    if classify_sentence(cell).any or len(words) > 8:
        return cell
    if language == "de":
        return f"{cell} {verb}"
    return f"{verb} {cell[0].lower()}{cell[1:]}" if not cell[:2].isupper() else f"{verb} {cell}"


def row_task(row: Sentence, email: EmailForExtraction) -> ExtractedTask | None:
    """The task of a table row: the task cell titled, the due cell resolved (else the lead's date), for a
    row that is the reader's and not done. A table without a header naming its task and owner or due
    columns gives tasks only under a lead that asks for them (each row's first cell that is not a date)."""
    cells = row.cells
    columns = _columns(row.header)
    if columns is None:
        # Without a header only a lead that stands for the rows says they are asks ("Please take care of
        # these by Friday:"); any two lines with a "|" (a signature: "Jo Park | Sales") are not.
        lead = _read_lead(row.lead, email)
        if lead is None or not lead.asks or lead.for_someone_else or not lead.stands_for_items:
            return None
        texts = [cell for cell in cells if re.search(r"[^\W\d_]", cell)]
        task_cell = next((cell for cell in texts if resolve_first_due(cell, email) is None), "")
        if not task_cell:
            return None
        due_text = next((cell for cell in cells if cell != task_cell and resolve_first_due(cell, email)), "")
        task = _new_task(task_cell, row.text, email, due_text=due_text)
        return _with_due(task, row.lead, email)
    if row.cells == row.header:
        return None  # the header row itself
    if len(cells) <= columns.task or not re.search(r"[^\W\d_]", cells[columns.task]):
        return None
    if columns.owner is not None and columns.owner < len(cells):
        if not owned_by_reader(cells[columns.owner], email):
            return None
    if columns.status is not None and columns.status < len(cells):
        if _DONE.fullmatch(cells[columns.status].strip()):
            return None
    due_cell = cells[columns.due] if columns.due is not None and columns.due < len(cells) else ""
    if due_cell.strip() and resolve_first_due(due_cell, email) is None:
        # The due column says each date is a deadline: "27.11." alone reads as nothing, "by 27.11." as the
        # 27th of November.
        due_cell = f"by {due_cell.strip()}"
    language = _table_language(email)
    action = _as_an_action(
        cells[columns.task], language=language, needed_verb=_needed_verb(row, email, language)
    )
    task = _new_task(action, row.text, email, due_text=due_cell)
    if language:
        # A Spanish, French or German row is titled in its own words.
        title = other_language_title(action, False, email.sender, language=language)
        task = replace(task, title=title) if title else task
    return task if due_cell.strip() else _with_due(task, row.lead, email)
