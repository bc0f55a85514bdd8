"""Title rules: a short imperative title from the ask, its subject and the sentence after it.

Every title either starts with a verb of ``KNOWN_VERBS`` or names a meeting by its topic
(``is_meeting_title``); no word is cut, none is a pointer ("it", "them") standing for the object, and no title
ends on a dangling word (``DANGLING``) or a fragment such as "10-". When the sentence gives nothing that
passes, the title falls back to replying to the sender about the subject. The property tests in
``tasks_app/tests/test_offline_titles.py`` hold every title to these rules over generated sentences."""

from __future__ import annotations

import re

from tasks_app.dates import find_due_phrases
from tasks_app.extractors import MAX_TITLE_LENGTH

from .languages import antecedent, other_language_title, version_of
from .patterns import ASK_MODAL, BILL_DUE, FLAGS, PASSIVE_DUTY, YOU

LEAD_IN = re.compile(
    rf"^(?:\w+,\s+)?(?:(?:hi|hey|hello|also|and|so|but|ok|okay|then|now|oh|btw|ps|just)[,:]?\s+)*"
    rf"(?:(?:i was wondering|i wonder|do you think|i think)\s+(?:if\s+)?)?"
    # "did you get a chance to review the questionnaire?" asks for the review.
    rf"(?:(?:did|have|has|could|can) {YOU} (?:get|got|had|have|gotten|find|found) (?:a |the )?(?:chance|time|moment|minute)"
    rf" to\s+)?"
    # "Would you be up for giving a talk?": the gerund becomes the verb (``_GERUND``).
    rf"(?:(?:would|are|will) {YOU} be up for\s+|(?:are|would) {YOU} (?:be )?(?:interested in|willing to|keen on)\s+)?"
    # "I'd appreciate it if you could", "it would be great if you could", "HR needs you to".
    rf"(?:(?:(?:i|we)(?:'d| would) (?:really )?(?:appreciate it|be (?:grateful|glad|thankful)|love it)|it (?:would|'d) be "
    rf"(?:\w+ )?(?:great|helpful|good|ideal|nice|useful|lovely|amazing)) if {YOU} (?:could|can|would|were able to)\s+"
    rf"|(?:[\w'-]+\s+){{1,2}}(?:needs?|wants?|would like|has asked) {YOU} to\s+"
    rf"|any chance (?:that )?{YOU} (?:could|can|would|might)\s+)?"
    rf"(?:(?:{ASK_MODAL}|(?:i|we)\s+(?:really\s+)?(?:need|want|would like|'d like)\s+{YOU}\s+to|"
    rf"would you (?:mind|be able to|be willing to)|make sure (?:to|that you|you)?|be sure to|"
    rf"don'?t forget to|remember to|(?:i|we)\s*(?:'ll|will|shall|can|could|am going to|'m going to|"
    rf"are going to|plan to|need to|have to|must|should)(?:\s+(?:try to|also|then|definitely|probably|"
    rf"be (?:sure|happy|glad) to))?|(?:you|u) (?:need|must|should|have) to|feel free to|"
    rf"(?:can|could|shall|should) we|let'?s)\s+)?"
    rf"(?:please|pls|plz|kindly)?[,\s]*(?:also\s+|just\s+)?",
    FLAGS,
)
# "The unit manager must sign the report": a notice's duty for whoever holds the role; the verb is the task.
_ROLE_DUTY = re.compile(
    r"^(?:the\s+|all\s+|each\s+|every\s+)?(?:[\w-]+\s+){0,2}(?:managers?|owners?|holders?|applicants?|tenants?|"
    r"employees?|parents?|guardians?|customers?|recipients?|members?|participants?|attendees?|staff|"
    r"[a-z]+(?:ers|ors|ants|ents|ists|ees|ens|ians|ives))\s+"
    r"(?:must|need to|needs to|have to|has to|are required to|is required to|should)\s+(?!not\b|be\b)(?=\w)",
    FLAGS,
)
_DATE_LEAD = (
    r"(?:\b(?:by|on|at|before|until|till|no later than|from|for|around|sometime|some time|as of|within)\s+)?"
)


def _strip_dates(text: str) -> str:
    for _phrase, start, end in reversed(find_due_phrases(text)):
        while start > 0 and text[start - 1].isalnum():
            start -= 1  # "in 24 hours" found inside "within 24 hours": the whole word goes
        if re.search(r"\b(?:my|your|our|his|her|their|the|this|that)\s+$", text[:start], FLAGS):
            # "cover my 4pm with the Acme team": the time names a meeting ("my 4pm call" already says so).
            named = re.match(
                r"\s+(?!(?:with|for|on|at|in|to|about|and|or|tomorrow|today)\b)[a-z][\w-]*", text[end:]
            )
            text = text[:start] + ("" if named else "meeting") + text[end + (1 if named else 0) :]
            continue
        possessive = re.match(r"\s*['’]s\b", text[end:])
        if possessive:
            # "for tomorrow's board session" -> "for the board session": the day owns the thing.
            text = text[:start] + "the" + text[end + possessive.end() :]
            continue
        lead = re.search(_DATE_LEAD + r"(?:the\s+)?$", text[:start], FLAGS)
        cut_from = lead.start() if lead and lead.group().strip() else start
        # "by Monday 5pm UK time": the phrase took the zone's name, and its "time" goes with it.
        zone_word = re.match(r"\s+time\b(?=\s*(?:[,.;:!?)]|$))", text[end:], FLAGS)
        text = text[:cut_from] + text[end + (zone_word.end() if zone_word else 0) :]
    return text


# Where the ask itself starts inside a longer sentence.
_ASK_START = re.compile(
    rf"\b(?:{ASK_MODAL}|(?:can|could|shall) we\b|(?:please|pls|kindly)\b|let'?s\b|"
    rf"(?:i|we)\s+(?:really\s+)?(?:need|want|would like|'d like)\s+(?:{YOU}\s+)?to\b"
    rf"|(?:did|have|has|could|can) {YOU} (?:get|got|had|have|gotten|find|found) (?:a |the )?(?:chance|time|moment|minute) to\b"
    # "Dana: I need your OK on…", "One thing: I need the signed form back"
    rf"|(?:i|we)\s*(?:really\s+)?(?:need|want|would like|'d like|'d need|would need)\s+"
    rf"(?:your|the|an?)\b)",
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


# What is left of a date phrase's zone once the date is gone: ", Mexico City time", "(our time)".
_ZONE_LEFT = re.compile(
    r"(?:,\s*|\s+)(?:(?:(?-i:[A-Z])[\w.]+\s+){1,3}|(?:our|your|my|their|local|the sender's)\s+)time\b"
    r"(?=\s*(?:[,.;:!?)]|$))",
    FLAGS,
)
_FILLER = re.compile(
    r"\b(?:asap|a\.s\.a\.p\.?|urgently|as soon as (?:possible|you can)|at the latest|"
    r"if (?:you )?(?:can|possible)|when you (?:get|have) (?:a )?(?:chance|moment|minute)|no rush(?: at all)?|"
    r"please|pls|thanks?(?: you)?|of (?:this|the|receiving this) (?:notice|e-?mail|message|letter|reminder))\b",
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
    # "grab lunch with the new hire": the reader meets someone else, not the sender.
    other = _WITH_WHOM.search(sentence)
    if other and not re.fullmatch(
        r"(?:the )?(?:team|group|everyone|all of us|both of us)", other.group("who"), FLAGS
    ):
        with_who = f" with {other.group('who')}"
    named = _NAMED_MEETING.search(text)
    if named:
        return f"{named.group('name')}{with_who}"
    noun_match = _MEETING_NOUN.search(sentence)
    noun = noun_match.group(1).lower().replace("catch up", "catch-up") if noun_match else "meeting"
    topic = ""
    in_sentence = _TOPIC_IN_SENTENCE.search(text)
    in_following = _TOPIC_IN_FOLLOWING.search(" ".join(following.split()))
    said = _meeting_topic(in_sentence.group("topic")) if in_sentence else ""
    heard = _meeting_topic(in_following.group("topic")) if in_following else ""
    if in_sentence and said:
        verb = in_sentence.group("verb")
        topic = f"{verb} {said}" if verb else f"about {said}"
    elif heard:
        topic = f"about {heard}"
    else:
        from_subject = _subject_topic(subject)
        # "Interview for The Supper Club podcast": the subject names this very meeting.
        same = re.match(
            rf"^(?P<named>(?:[\w'’&-]+ ){{0,3}}?){re.escape(noun)}\b(?P<rest>(?:\s+(?:for|on|about|with)\s+.+)?)$",
            from_subject,
            FLAGS,
        )
        if same:
            prefix = re.sub(r"\b(?:quick|short|brief)\s+", "", same.group("named"), flags=FLAGS)
            return f"{prefix}{noun}{with_who}{same.group('rest')}"
        about = re.search(r"\babout\s+(.+)$", from_subject, FLAGS)
        leftover = _MEETING_NOUN.sub("", re.sub(r"\b(?:quick|short|brief)\b", "", from_subject, flags=FLAGS))
        if about:
            topic = f"about {about.group(1)}"
        elif len(re.findall(r"\w{3,}", leftover)) >= 1:
            topic = f"about {from_subject}"
    return f"{noun}{with_who}{(' ' + topic) if topic else ''}"


def _meeting_topic(found: str) -> str:
    """The topic a meeting sentence names, "" when it only points back ("to go through it", "with you two")."""
    found = _trim_dangling(_drop_fragments(_NEW_CLAUSE.sub("", found)))
    if not found or re.match(r"with (?:you|u|us|me|them)\b", found, FLAGS):
        return ""
    if all(re.fullmatch(MEETING_NOUNS + r"|meet|meeting", w, FLAGS) for w in found.split()):
        return ""  # "How about meeting at 11:30": the meeting is not its own topic
    return "" if _has_pointer_object(title_words(found)) else found


_SPACE_BEFORE_MARK = re.compile(r"\s+([,.;:!?])")
_COMMAS = re.compile(r",(?:\s*,)+")
_SPACES = re.compile(r"\s{2,}")


def _tidy(text: str) -> str:
    text = _COMMAS.sub(",", _SPACE_BEFORE_MARK.sub(r"\1", text))
    return _SPACES.sub(" ", text).strip(" ,;:-–—.!?")


_FIND_OUT = re.compile(
    r"\b(?:do you (?:happen to )?know|would you (?:happen to )?know|any idea|have you (?:heard|found out)|"
    r"(?:can|could|would) you (?:please )?(?:find out|check|confirm|see))\s+(?:if|whether)\s+"
    r"(?P<what>[^?]{8,})\?",
    FLAGS,
)
# A clause that introduces a thing before the ask ("Also the plumber is coming Thursday 8-10am, …").
_SCENE_SUBJECT = re.compile(
    r"^(?:(?:also|and|so|btw|oh|ok|okay|fyi)[,:]?\s+)*(?P<thing>(?:the|your|our|my) (?:[\w'-]+ ){0,2}?[\w'-]+)"
    r"\s+(?:is|are|was|were|will be|'s|'re)\s+[^,;?]+[,;-]\s+(?:but\s+|so\s+|and\s+)?(?:can|could|would|will)"
    r"\s+(?:you|u)\b",
    FLAGS,
)


_IRREGULAR_PARTICIPLES = {
    "paid": "pay", "sent": "send", "done": "do", "written": "write", "made": "make", "given": "give",
    "taken": "take", "read": "read", "bought": "buy", "sold": "sell", "set": "set", "chosen": "choose",
    "filled": "fill", "signed": "sign", "returned": "return", "kept": "keep", "held": "hold", "brought": "bring",
}  # fmt: skip


def _base_verb(participle: str) -> str | None:
    """ "submitted" -> "submit", "approved" -> "approve", "paid" -> "pay"; None when it is no known verb."""
    word = participle.lower()
    if word in _IRREGULAR_PARTICIPLES:
        return _IRREGULAR_PARTICIPLES[word]
    stem = word[:-2] if word.endswith(("ed", "en")) else word
    for candidate in (
        stem,
        stem + "e",
        stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else "",
        word[:-1],
    ):
        if candidate and candidate in KNOWN_VERBS:
            return candidate
    if stem.endswith("i") and stem[:-1] + "y" in KNOWN_VERBS:
        return stem[:-1] + "y"  # "verified" -> "verify"
    return None


# The bill a bare "payment" is for, named in the sentence before.
_BILL_NAMED = re.compile(
    r"\b(?:the|your|this|our)\s+(?:[\w-]+\s+){0,2}?(?:invoice|bill|statement)(?:\s+(?:for|of|from)\s+(?:(?:the|our|your)\s+)?[\w-]+(?:\s+(?!is\b|are\b|was\b)[\w-]+){0,2}|"
    r"\s+(?-i:[A-Z0-9#][\w#-]*\d[\w-]*))?",
    FLAGS,
)


def _active_voice(flat: str, previous: str = "") -> str | None:
    """A duty said in the passive or as a bill, titled by its verb: "April expenses have to be submitted in
    Expensify by Friday" -> "Submit April expenses in Expensify"; "Invoice INV-2291 is due on 22 May" ->
    "Pay invoice INV-2291"."""
    if _ASK_START.search(flat):
        return None  # an ask of its own ("Could you…") says its verb itself
    duty = PASSIVE_DUTY.search(flat)
    if duty is not None:
        verb = _base_verb(duty.group("done"))
        thing = re.split(r"\b(?:that|reminder|note|heads-?up)\s+|:\s+", duty.group("thing"), flags=FLAGS)[-1]
        if verb is not None:
            thing = re.sub(r"^(?:the|your|our)\s+", lambda m: m.group().lower(), thing, flags=FLAGS)
            title = _fit(_trim_dangling(_drop_fragments(f"{verb} {thing}{duty.group('rest')}")))
            if acceptable_title(_capitalise(title)):
                return _capitalise(title)
    bill = BILL_DUE.search(flat)
    if bill is not None:
        thing = bill.group("bill").strip()
        named = _BILL_NAMED.search(previous)
        if re.fullmatch(r"(?:the |your |this )?(?:payment|balance|amount)", thing, FLAGS) and named:
            thing = (
                named.group()
            )  # "Payment is due within 30 days" after "the invoice for August is attached"
        thing = thing[0].lower() + thing[1:] if not thing[:2].isupper() else thing
        title = _fit(_trim_dangling(f"pay {thing}"))
        if acceptable_title(_capitalise(title)):
            return _capitalise(title)
    return None


def _you_to_reader(text: str) -> str:
    """What a question asks, said from the reader's side: "we can use your room" stays, "you have" → "I have"
    would be wrong, so only trailing courtesy ("for me") goes."""
    return re.sub(
        r"\s+(?:for me|for us|by any chance)$", "", " ".join(text.split()).rstrip(" ?.!"), flags=FLAGS
    )


_NAMED_ACTOR = re.compile(
    r"^(?-i:[A-Z])[\w'’-]+(?:\s*\([^()]{1,20}\))?\s+(?:will|should|can|could|needs? to|has to|is to|to|must)\s+(?=\w)"
)
_GERUND = re.compile(r"^(?P<word>(?:[a-z]+-)?[a-z]+ing)\b", FLAGS)  # "double-checking" too


def _base_of_gerund(m: re.Match[str]) -> str:
    """ "giving a talk" -> "give a talk" when the base is a verb a title may start with."""
    word = m.group("word").lower()
    stem = word[:-3]
    for base in (stem, f"{stem}e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else ""):
        if base and base in KNOWN_VERBS:
            return base
    return m.group("word")


def ask_phrase(sentence: str) -> str:
    """The ask's own words before any title rule: without the scene, lead-in, date phrase, filler and
    trailing clause ("Please take care of these by Friday:" -> "take care of these"). A list's lead is read
    with it: whether its object stands for the items is a matter of these words, not of the title, which
    names a pointer object from the subject or falls back to a reply."""
    text = drop_scene(" ".join(sentence.split()))
    text = _ROLE_DUTY.sub("", text, count=1)
    actor = _NAMED_ACTOR.match(text)
    if actor:
        # "Tomás (cc'd) will review the numbers", "Tomás will be covering for me": the verb is the task.
        rest = re.sub(r"^be\s+(?=[a-z]+ing\b)", "", text[actor.end() :], flags=FLAGS)
        rest = _GERUND.sub(_base_of_gerund, rest, count=1)
        if rest.split(" ", 1)[0].lower() in KNOWN_VERBS:
            text = rest
    text = LEAD_IN.sub("", text, count=1)
    text = re.sub(r"^mind\s+(?=(?:[a-z]+-)?[a-z]+ing\b)", "", text, flags=FLAGS)  # "would you mind checking"
    # "Would you be able to send…": the modal's "would you" is gone, its "be able to" goes too.
    text = re.sub(r"^be (?:able|willing|happy|kind enough) to\s+(?=[a-z])", "", text, flags=FLAGS)
    # "Before that, send me your shortlist", "In the meantime, book…": a short lead before a verb says
    # when, not what.
    lead = re.match(r"^[^,]{3,30},\s+(?=(?P<verb>[a-z][\w-]*)\b)", text, FLAGS)
    if lead and lead.group("verb").lower() in KNOWN_VERBS and not _QUESTION_START.match(text):
        text = LEAD_IN.sub("", text[lead.end() :], count=1)
    text = _GERUND.sub(_base_of_gerund, text, count=1)
    text = _strip_dates(text)
    text = _ZONE_LEFT.sub("", text)
    text = _FILLER.sub("", text)
    text = re.sub(r"\s*\([^()]*\)", "", text)
    # A bracket the sentence never closes ("the deposition (EMDB entries, incl" once cut) is an aside.
    text = re.sub(r"\s*\([^()]*$", "", text)
    return _TRAILING_CLAUSE.sub("", _tidy(text))


# "upload both to the portal", "sign them and send them back": the verb's object only points back.
_POINTER_AFTER_VERB = re.compile(
    r"^(?P<verb>[\w-]+(?:\s+(?:up|over|back|out|in|on|through))?)\s+"
    r"(?:both(?: of them)?|all of them|them all|them|it|this|that|these|those|yours|one|more)(?: one)?\b"
    # "sort it out", "dig it out": the particle goes before the thing once it is named.
    r"(?:\s+(?P<particle>out|up|off|together)\b)?"
    r"(?=\s*$|\s+(?:to|over|back|by|before|for|with|on|in|at|and|via|into|through|asap)\b)",
    FLAGS,
)


def task_title(
    sentence: str, meeting: bool, sender: str, *, subject: str = "", following: str = "", previous: str = ""
) -> str:
    """The title of the ask in ``sentence`` (see the module docstring). ``previous`` is the sentence before
    it, which may name what a pronoun object stands for ("We need the signed lease. Please upload it.")."""
    flat = " ".join(sentence.split())
    # Spanish, French and German asks keep their own words (languages.py); the rules below are English.
    other_language = other_language_title(
        flat, meeting, sender, previous=previous, topic=_subject_topic(subject)
    )
    if other_language is not None:
        return other_language
    # "Do you know if the Hudson room has a projector?" asks the reader to find out, not to answer yes.
    found_out = _FIND_OUT.search(flat)
    if found_out:
        title = _fit(_trim_dangling(f"find out whether {_you_to_reader(found_out.group('what'))}"))
        if acceptable_title(_capitalise(title)):
            return _capitalise(title)
    active = _active_voice(flat, previous)
    if active is not None:
        return active
    proposal = _PROPOSAL_CHECK.search(flat)
    event = _PROPOSED_EVENT.search(" ".join(previous.split())) if proposal and previous else None
    if proposal and event:
        # "Our engineer can visit on December 8 at 9:00. Let us know if this date works": the reader
        # confirms the visit's date, which the sentence before proposes.
        noun = _EVENT_NOUN.get(event.group("event").lower(), event.group("event").lower())
        return f"Confirm the {proposal.group('what').lower()} for the {noun}"
    text = ask_phrase(flat)
    # "The plumber is coming Thursday, can you be home for that?": the pointer stands for the thing the
    # clause before the ask is about, which names it better than the subject line.
    scene = _SCENE_SUBJECT.match(flat)
    if scene and _has_pointer_object(title_words(text)):
        text = re.sub(r"\b(?:it|this|that|them|these|those)(?: one)?\b", scene.group("thing"), text, count=1)
    # "get back to me on the quote": answer the author about it.
    if re.match(r"get back to (?:me|us)\b", text, FLAGS):
        first = "" if _NO_REPLY.search(sender) else _sender_name(sender).split(" ")[0]
        text = re.sub(
            r"^get back to (?:me|us)(?:\s+(?:on|about|regarding|re)\b)?",
            f"reply to {first or 'the sender'} about",
            text,
            flags=FLAGS,
        )
        text = re.sub(r"^(reply to \S+(?: \S+)?) about$", r"\1", text, flags=FLAGS)
    # "get me your feedback" / "get the proposal over to you": the reader sends it.
    text = re.sub(r"^get\s+(?:me|us)\s+", "send ", text, flags=FLAGS)
    text = re.sub(
        r"^get\s+(.+?)\s+(?:over\s+|back\s+)?to\s+(?:you|me|us|him|her|them)$", r"send \1", text, flags=FLAGS
    )
    # "send me the report" -> "send the report": the reader knows who asked.
    text = re.sub(
        r"(^|\band\s+)(\w+(?:\s+(?:over|back|along))?)\s+(?:me|us|you|him|her|them)\s+"
        # "forward me Daniel's new address": a name's thing is a thing too.
        rf"(?=(?:the|a|an|your|our|this|that|these|those|some|any|my|all|{_NUMBER_WORD})\b|(?-i:[A-Z])\w+['’]s\b)",
        r"\1\2 ",
        text,
        flags=FLAGS,
    )
    text = _tidy(text)
    topic = _subject_topic(subject)
    pointing = _POINTER_AFTER_VERB.match(text)
    # "We'll need a high chair for the group - could you arrange that?": the scene before the ask names the
    # thing, as the sentence before may.
    asked = drop_scene(flat)
    scene_before = flat[: len(flat) - len(asked)] if asked != flat and flat.endswith(asked) else ""
    thing = None
    if pointing:
        thing = (antecedent(scene_before) if scene_before else None) or (
            antecedent(previous) if previous else None
        )
        short = _RUNS_SHORT.search(" ".join(previous.split())) if previous else None
        if thing is None and short and re.search(r"\bmore\b", pointing.group(), FLAGS):
            # "We're short of napkins. Can you order more?": more of what runs short.
            thing = f"more {short.group('thing')}"
    if pointing and thing:
        thing = version_of(thing, "en", topic)
        particle = f" {pointing.group('particle')}" if pointing.group("particle") else ""
        text = f"{pointing.group('verb')}{particle} {thing}{text[pointing.end() :]}"
    in_trouble = _THING_IN_TROUBLE.search(" ".join(previous.split())) if previous else None
    if in_trouble and re.search(r"\s(?:it|them)$", text, FLAGS):
        # "The fridge in the bar is making that noise again. Can you get someone to look at it?"
        text = re.sub(r"(?:it|them)$", f"the {in_trouble.group('thing')}", text, flags=FLAGS)
    pointer = _PRONOUN_OBJECT.fullmatch(text)
    trouble = _TOPIC_IN_TROUBLE.fullmatch(topic) if topic else None
    if trouble:
        # "Vitrobot booking system locked" - "can you unlock it?": the pointer is the thing, not its state.
        thing = trouble.group("thing")
        topic = thing if re.match(r"(?:the|our|my|your|their|his|her)\b", thing, FLAGS) else f"the {thing}"
    if pointer and trouble:
        text = f"{pointer.group('verb')} {topic}"
    elif pointer and topic:
        verb = "handle" if _HANDLE_VERBS.fullmatch(pointer.group("verb")) else pointer.group("verb")
        text = f"{verb}: {topic}"
    elif topic and _VAGUE_OBJECT.fullmatch(text):
        # "send your feedback" on what? The subject says ("Launch deck - your feedback?" -> "Launch deck").
        text = f"{text} on {_TOPIC_PARTS.split(topic)[0]}"
    first_name = "" if _NO_REPLY.search(sender) else _sender_name(sender).split(" ")[0]
    held = _HELD_MEETING.fullmatch(text)
    if held and not held.group("topic") and not held.group("about"):
        meeting = True  # "let's do a call": a meeting with the sender, named as meetings are
    elif held:
        # "Let's do a tasting call": the reader takes part in the call, so its topic names it.
        with_who = f" with {first_name}" if first_name else ""
        named = " ".join(part for part in (held.group("topic"), held.group("noun")) if part)
        title = _fit(_trim_dangling(_drop_fragments(f"{named}{with_who}{held.group('about') or ''}")))
        if acceptable_title(_capitalise(title), meeting=True):
            return _capitalise(title)
    if (meeting or _DURATION_OBJECT.match(text)) and (
        _DURATION_OBJECT.match(text)
        or not re.match(r"(?:meet|talk|chat|discuss|catch up|speak)\b", text, FLAGS)
    ):
        title = _meeting_title(flat, text, sender=sender, subject=subject, following=following)
        title = _fit(_trim_dangling(_drop_fragments(title)))
        if acceptable_title(_capitalise(title), meeting=True):
            return _capitalise(title)
    title = _repair(text, flat=flat, first_name=first_name, topic=topic)
    return _capitalise(_about_what(title, flat, previous))


# An address nobody reads: "Reply to No-Reply" would send the user nowhere.
_NO_REPLY = re.compile(r"\b(?:no-?reply|do-?not-?reply|notifications?|mailer-daemon|bounces?)@", FLAGS)


def _sender_name(sender: str) -> str:
    m = re.match(r'\s*"?([^"<@]+?)"?\s*<', sender)
    if m:
        return m.group(1).strip()
    local = sender.split("@", 1)[0].strip()
    return local.replace(".", " ").title() if local and "@" in sender else ""


# Verbs a title may start with: the imperative of the work asked for.
KNOWN_VERBS = frozenset(
    """accept add address adjust advise agree align amend answer apply approve arrange ask assess assign attach
    attend authorise authorize back book bring buy calculate call cancel change chase check choose circulate clarify
    clean clear close collect comment compare complete compile confirm connect consider contact continue coordinate
    copy correct cover create cut decide define delete deliver describe design dig discuss distribute do
    double-check download draft drop edit email e-mail enter escalate estimate evaluate examine explain fax file fill
    finalise finalize find finish fix flag follow forward gather get give go grab handle have help hire hold identify
    include inform install introduce invite investigate invoice join keep let list load locate lock log look mail
    make manage mark meet mention merge move note notify open order organise organize outline pass pay phone pick
    ping plan post prepare present print prioritise prioritize process proofread provide publish purchase push put
    raise rate read reach rebook re-send recheck reconcile record refer register reject release remind remove rename
    renew repair reply report request reschedule resend reserve resolve respond restart return review revise rework
    ring run save scan schedule see select send set settle share ship show sign sort speak split start stop submit
    suggest summarise summarize supply support swap take talk tell test text tidy track transfer translate try turn
    update upgrade upload use validate verify visit walk water watch write
    acknowledge activate cc claim configure debug decline deploy disable enable host inspect lead measure monitor
    nominate recommend refund reimburse reset rsvp thank troubleshoot unlock vote
    draw fetch hash loop map nudge pull sketch wrap
    allocate audit backfill brief consolidate countersign export obtain offer prep redo refresh reorder repeat
    research""".split()
)
MEETING_NOUNS = (
    r"catch-up|call|meeting|sync|chat|lunch|dinner|breakfast|coffee|review|interview|demo|session|walkthrough|"
    r"workshop|planning|kick-?off|retro|retrospective|standup|stand-up"
)
# "grab lunch with the new hire": whom the reader meets, when it is not the sender.
_WITH_WHOM = re.compile(
    rf"\b(?:{MEETING_NOUNS}|meet|meeting|talk|speak|sit down)\s+with\s+(?!(?:you|u|us|me|him|her|them)\b)"
    r"(?P<who>(?:(?:the|my|our|your)\s+)?[\w'-]+(?:\s+(?!(?:on|at|in|to|about|for|and|or|so|before|after|"
    r"tomorrow|today|tonight|next|this|maybe|if|when)\b)[\w'-]+){0,3})",
    FLAGS,
)
# "do a tasting call", "have a quick budget sync": a meeting the reader holds with the sender, named by its
# topic. "schedule/book a budget review" stays an action: arranging it is the task.
_HELD_MEETING = re.compile(
    r"(?:(?:do|have|hold|hop on|jump on|get on)\s+)?(?:a|an|our|the|one more|another)\s+(?:(?:quick|short|brief|"
    r"little|proper|final)\s+)?(?:(?:\d+|half|an?)[- ]?(?:minutes?|mins?|hours?|hrs?|h)(?:[- ]long)?\s+)?"
    rf"(?:(?P<topic>(?!(?:{MEETING_NOUNS})\b|\d|(?:half|an?|one|two|few)\b)[\w'’&-]+"
    rf"(?:\s+(?!(?:{MEETING_NOUNS})\b)[\w'’&-]+){{0,3}}?)\s+)?(?P<noun>{MEETING_NOUNS})"
    r"(?P<about>\s+(?:about|on|regarding|to (?:discuss|go over|plan|review))\s+\S.*)?"
    # Where or when it is, left after the date phrase: "at 11", "in the cellar".
    r"(?:\s+(?:at|around|from|in)\s+\S.*)?",
    FLAGS,
)
# "Call with Ana about the Q3 budget", "Vendor review with Alex": a meeting named by its topic.
_MEETING_FORM = re.compile(
    rf"^(?P<named>(?:[\w'’&-]+ ){{0,4}}?)(?:{MEETING_NOUNS})(?: with (?:(?:the|my|our|your) )?[\w'’.-]+(?: [\w'’.-]+){{0,2}})?(?: (?:about|to|on|for) \S.*)?$",
    FLAGS,
)
# A title may not end on these: they promise more words that were cut away.
DANGLING = frozenset(
    """a an the to of for with and or but nor in on at by from into onto about as than your my our their his its
    so if because while when whether via per vs before after until till during without within
    not some any every each very just also please i we""".split()
)
# A title that ends on one of these lost the end of a clause ("what this deal is"): cut the clause.
_AUXILIARIES = frozenset(
    "is are was were be been will would can could should shall may might must do does did".split()
)
# Words that only point back at the object.
POINTERS = frozenset({"it", "this", "that", "them", "these", "those"})
# Words that may stand between a verb and its object ("look into it", "send over the deck").
PARTICLES = frozenset(
    {"up", "over", "back", "out", "in", "on", "at", "to", "into", "through", "off", "along", "together"}
)
# Objects too vague to stand alone: the subject says which numbers.
_VAGUE_NOUN = re.compile(
    r"\b(?P<what>the (?:numbers|figures|details|info|information|stuff|data|attachments?|documents?|docs?|"
    r"files?|things?|above|(?:attached |enclosed )?forms?|(?:first|second|third|last|final|signature|next) pages?|"
    r"pages?|copy|copies))(?=$|\s+(?:to|over|back|by|for|with|from|on|in|at|before|after|and)\b)",
    FLAGS,
)
# A part of a document is "of" it ("the second page of the kitchen estimate"); other things are "for" it.
_PART_OF = re.compile(r"\b(?:pages?|copy|copies)$", FLAGS)
_DURATION_OBJECT = re.compile(
    r"^(?:do|have|grab|block|book|take|set up|find|schedule)\s+(?:a |an )?(?:quick |short )?"
    r"(?:\d+|a few|a couple of|half an?|an?|one|two|ten|fifteen|twenty|thirty|forty[- ]five|sixty|ninety)"
    r"[- ]?(?:minutes?|mins?|hours?|hrs?|h)\b",
    FLAGS,
)
# A clause with its own subject after the ask ("… and I will come by", ", but your service…") is not the task.
_SUBJECT_WORD = r"(?:i|we|you|he|she|they|it|there)"
_NUMBER_WORD = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|a few|more)"
_NEW_CLAUSE = re.compile(
    # "two or three photos" is one amount, not a second clause.
    rf"(?:,\s*(?:but|or|so|and|then)\b|\s+(?:but|so)\s+|\s+or\s+(?!{_NUMBER_WORD}\b)"
    rf"|\s+and\s+(?={_SUBJECT_WORD}\b|(?:this|that|your|my|our|their|his|her|its)\b|the\s+\w+\s+(?:is|are|will)\b)"
    rf"|[,;:]\s+(?={_SUBJECT_WORD}\b)"
    # "before it goes to the board", but not "let Alex know when we can…" (that is what to tell).
    rf"|(?<!know)\s+(?:before|after|until|once|when|while|since|unless|as soon as)\s+(?:{_SUBJECT_WORD}|this|that)\b"
    # A second sentence the splitter kept ("…new office. Two copies…"); "Dr. Smith" has too short a word.
    r"|(?<=\w{3})\.\s+(?=[A-Z])|\.{2,}|\s+let'?s\b"
    r"|\s+if\s+(?:you|u)(?:'re|\s+are|\s+do)\b|\s+if\s+(?:available|possible|needed)\b).*$",
    FLAGS,
)
# Where a verb starts the ask inside a sentence that does not start with one ("Don can you try…").
_ASK_VERB = re.compile(
    rf"\b(?:{ASK_MODAL}|(?:can|could|would|will|should|must|shall)\s+(?:(?!not\b|never\b)\w+\s+)?|please\s+|"
    rf"to\s+)"
    rf"(?:also\s+|just\s+|please\s+)?(?P<verb>[\w-]+)\b",
    FLAGS,
)
# "Sam, just send…", "Also: send…": a verb after a name, a colon or a softener.
_VERB_AFTER_CALL = re.compile(
    r"(?:^|[,:]\s+)(?:(?:but|and|just|also|then|now|so)\s+)*(?P<verb>[\w-]+)", FLAGS
)
# "I need the signed NDA back": the reader sends it.
_WANTED_THING = re.compile(
    r"^(?:(?:i|we)\s*(?:really\s+)?(?:need|want|would like|'d like|require|would love|'d love|'d need|would need)(?:\s+to\s+(?:have|get|"
    r"receive|see))?|it (?:would|'d) be (?:\w+ )?(?:great|helpful|good|ideal|nice|useful) to (?:have|get|receive|"
    r"see))\s+"
    r"(?P<thing>(?:the|your|a|an|some|those|these|all|any)\b.+)$",
    FLAGS,
)
# "make sure to send…" is "send…"; "make sure we have covered…" stays as it is.
_REMINDER = re.compile(
    r"^(?:make sure|be sure|don'?t forget|remember)\s+(?:to\s+|that you\s+|you\s+)(?P<verb>[\w-]+)", FLAGS
)
_QUESTION_START = re.compile(
    r"^(?:do|did|does|are|is|was|were|have|has|had|can|could|will|would|should|shall|may|might|when|where|what|"
    r"who|whom|which|why|how|any|anything|anyone)\b",
    FLAGS,
)
_WORD = re.compile(r"[\w'’-]+")
_WH_QUESTION = re.compile(r"^(?:who|whom|whose|what|which|where|why|how)\b(?!\s+about\b)[^?]*\?\s*$", FLAGS)
# "Answer Alex: which hotel did you book": a direct question, quoted after the template.
_ANSWER_TITLE = re.compile(r"^answer(?: [\w'’-]+)?: \S", FLAGS)
# "Do you want tickets…" starts with a verb but is a question.
_ASKS_BACK = re.compile(r"^(?:do|does|did|have|has|had|can|could|will|would|should|shall|may|might|must)\s+"
                        r"(?:you|u|we|i|they|he|she|it|there|anyone)\b", FLAGS)  # fmt: skip


def title_words(text: str) -> list[str]:
    """The words of ``text`` as titles are checked: hyphens and quotes at a word's ends do not count."""
    words = [w.strip("-'’") for w in _WORD.findall(text)]
    return [w for w in words if w]


def _has_pointer_object(words: list[str]) -> bool:
    """ "it" or "them" anywhere, or "this"/"that"/"these"/"those" with no noun after them."""
    lowered = [w.lower() for w in words]
    for index, word in enumerate(lowered):
        after = lowered[index + 1] if index + 1 < len(lowered) else ""
        if word == "that" and after in _CLAUSE_STARTS:
            continue  # "confirm with Finance that the format works": "that" joins a clause
        if word in {"it", "them"} or (
            word in POINTERS and (not after or after in DANGLING or after in PARTICLES or after == "one")
        ):
            return True
    return False


# After "that", these start a clause: "that the format works", "that we can…".
_CLAUSE_STARTS = frozenset("the a an your our their my his her we you they he she".split())


def is_meeting_title(title: str) -> bool:
    """A meeting named by its topic: "Call with Ana about the Q3 budget", "Vendor review with Alex"."""
    form = _MEETING_FORM.match(title)
    if form is None:
        return False
    named = {w.lower() for w in title_words(form.group("named"))}
    return not named & (DANGLING | POINTERS | _AUXILIARIES)


def acceptable_title(title: str, *, meeting: bool = False) -> bool:
    """The rules every title keeps (see the module docstring); ``meeting`` allows the meeting form."""
    if not title or len(title) > MAX_TITLE_LENGTH or title != title.strip():
        return False
    if re.search(r"[-–—,;:(/&+]$", title):
        return False
    words = title_words(title)
    if not words or words[-1].lower() in DANGLING or words[-1].lower() in POINTERS:
        return False
    if _ANSWER_TITLE.match(title):
        return True  # the question is quoted; its words are not the task's object
    if _has_pointer_object(words):
        return False
    if meeting and is_meeting_title(title):
        return True
    first = title.split()[0].lower().rstrip(":,")
    if _BE_SOMEWHERE.match(title):
        return True  # "Be home for the plumber": being there is the task ("be able to send…" is not)
    return len(words) >= 2 and first in KNOWN_VERBS and not _ASKS_BACK.match(title)


_BE_SOMEWHERE = re.compile(
    r"be (?:home|at home|in|at|there|here|around|available|back|on site|in the office)\s+\S", FLAGS
)


def _capitalise(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


_FRAGMENT = re.compile(
    # "10-" or "10-11" left of a time range, a lone dash or slash, "$LINK" placeholders, "()".
    r"(?<!\S)\d{1,2}(?::\d\d)?\s*[-–—](?:\s*\d{1,2}(?::\d\d)?(?:\s*[ap]\.?m\.?)?)?(?=\s|$)"
    r"|\s[-–—/+](?=\s|$)|\$[A-Z][A-Z_]+\b|\(\s*\)"
)


def _drop_fragments(text: str) -> str:
    """What date stripping and cutting leave behind: "10-", a lone dash, empty brackets, "$LINK"."""
    return _tidy(_FRAGMENT.sub("", text))


def _trim_dangling(text: str) -> str:
    text = _tidy(text)
    while True:
        words = text.split()
        if len(words) <= 1:
            return text
        last = title_words(words[-1])
        if last and last[-1].lower() in _AUXILIARIES:
            clause = list(re.finditer(r"\s(?:what|which|that|who|where|how|when|if|whether)\b", text, FLAGS))
            text = _tidy(text[: clause[-1].start()] if clause else " ".join(words[:-1]))
            continue
        if last and last[-1].lower() not in DANGLING and not re.search(r"[-–—,;:(/&+]$|\d[-–]$", words[-1]):
            return text
        text = _tidy(" ".join(words[:-1]))


_AUTHOR_WORD = re.compile(r"\b(?:me|us|give)\b", FLAGS)


def _replace_me(text: str, first_name: str) -> str:
    """The author asking for themselves: "give me a call" is "Call Alex", "let me know" is "Let Alex know"."""
    if not _AUTHOR_WORD.search(text):
        return text
    who = first_name or "the sender"
    text = re.sub(
        r"(^|\band\s+)give (?:(?:me|us) )?a (?:call|ring|buzz|shout)\b", rf"\1call {who}", text, flags=FLAGS
    )
    text = re.sub(r"\blet (?:me|us) know\b", f"let {who} know", text, flags=FLAGS)
    text = re.sub(
        r"\bkeep (?:me|us) (posted|informed|updated|in the loop)\b", rf"keep {who} \1", text, flags=FLAGS
    )
    text = re.sub(r"(^|\band\s+)(call|email|e-mail|ping|text|phone|ring|remind|tell|ask|contact|meet|join|show|teach|help|"
                  r"brief|walk) (?:me|us)\b", rf"\1\2 {who}", text, flags=FLAGS)  # fmt: skip

    text = re.sub(
        r"\b(to|with|for) (?:me|us)\b(?=\s*$)", "" if not first_name else rf"\1 {who}", text, flags=FLAGS
    )
    return _tidy(text)


# "Need your sign-off on the plan": what the reader gives is the verb.
_NEED_YOUR = re.compile(
    r"^(?:(?:i|we)\s+)?(?:really\s+)?(?:need|want|would like|'d like)\s+(?:your|an?|the)\s+"
    r"(?P<what>sign-?off|approval|ok|okay|go-?ahead|green light|feedback|input|thoughts|comments|review|eyes)\s+"
    r"(?:on|for|of)\s+(?P<thing>.+)$",
    FLAGS,
)
_GIVEN_VERB = {"sign-off": "approve", "signoff": "approve", "approval": "approve", "ok": "approve",
               "okay": "approve", "go-ahead": "approve", "goahead": "approve", "green light": "approve"}  # fmt: skip


def _start_at_verb(text: str) -> str:
    """Start at the verb of the ask when something else stands first ("Don can you try to move…",
    "Sam, just send…")."""
    need = _NEED_YOUR.match(text)
    if need:
        return f"{_GIVEN_VERB.get(need.group('what').lower(), 'review')} {need.group('thing')}"
    wanted = _WANTED_THING.match(text)
    if wanted:
        return f"send {wanted.group('thing')}"
    if _BE_SOMEWHERE.match(text):
        return text  # "be at the new office to let them in": being there is the ask
    reminder = _REMINDER.match(text)
    if reminder and reminder.group("verb").lower() in KNOWN_VERBS:
        return text[reminder.start("verb") :]
    if text.split()[0].lower() in KNOWN_VERBS:
        return text
    for pattern in (_ASK_VERB, _VERB_AFTER_CALL):
        for m in pattern.finditer(text):
            if m.group("verb").lower() in KNOWN_VERBS:
                return text[m.start("verb") :]
    return text


def _points_at_object(words: list[str]) -> int | None:
    """Where the verb's object is only a pointer ("review it", "look into this"), or None."""
    lowered = [w.lower().strip(",.;:!?") for w in words]
    at = 2 if len(lowered) > 2 and lowered[1] in PARTICLES else 1
    # "take a look at this", "have a quick look over it": the object comes after the look.
    look = re.match(
        r"(?:an?) (?:(?:quick|closer|final|brief) )?look (?:at|over|through|into) ",
        " ".join(lowered[1:6]) + " ",
    )
    if look:
        at = 1 + len(look.group().split())
    if len(lowered) <= at or lowered[at] not in POINTERS:
        return None
    after = lowered[at + 1] if at + 1 < len(lowered) else ""
    if lowered[at] == "that" and after in _CLAUSE_STARTS:
        return None  # "check that the deposition is complete": "that" opens what to check
    if (
        lowered[at] in {"it", "them"}
        or not after
        or after in DANGLING
        or after in PARTICLES
        or after == "one"
    ):
        return at
    return None


def _name_pointers(text: str, topic: str) -> str:
    """Name a pointer object from the subject's topic, or leave out the part of the ask it sits in."""
    parts = re.split(r"\s+and\s+(?:then\s+)?(?:just\s+)?", text, flags=FLAGS)
    if len(parts) > 1:
        pointing = [_has_pointer_object(title_words(part)) for part in parts]
        if all(pointing):
            # "pull it together and send it to me": the last verb is what the reader hands over.
            parts = parts[-1:]
        elif any(pointing) and not (topic and pointing[0] and not any(pointing[1:])):
            parts = [part for part, points in zip(parts, pointing, strict=True) if not points]
        text = " and ".join(parts)
    if not topic:
        return text
    vague = _VAGUE_NOUN.search(text)
    if vague:
        joint = "of" if _PART_OF.search(vague.group()) else "for"
        return f"{text[: vague.end()]} {joint} {topic}{text[vague.end() :]}"
    words = text.split()
    at = _points_at_object(words)
    if at is not None:
        words[at : at + (2 if at + 1 < len(words) and words[at + 1].lower() == "one" else 1)] = [topic]
    return " ".join(words)


def _fit(text: str) -> str:
    """At most ``MAX_TITLE_LENGTH``: cut at the last clause break that fits, else at a word."""
    if len(text) <= MAX_TITLE_LENGTH:
        return text
    head = text[: MAX_TITLE_LENGTH + 1]
    clause = max(head.rfind(", "), head.rfind(" and "), head.rfind(" - "))
    cut = head[:clause] if clause > MAX_TITLE_LENGTH // 3 else head.rsplit(" ", 1)[0]
    return _trim_dangling(cut)


def _fallback(*, flat: str, first_name: str, topic: str) -> str:
    """Reply to the sender about the subject: when the sentence gives no acceptable title, no garbage."""
    who = f" to {first_name}" if first_name else ""
    question = " ".join(flat.split()).rstrip(" ?!.")
    if (
        flat.rstrip().endswith("?")
        and _QUESTION_START.match(question)
        and (_WH_QUESTION.match(flat) or not re.search(rf"{ASK_MODAL}|\bplease\b", question, FLAGS))
    ):
        asked = _fit(
            _trim_dangling(
                f"answer{' ' + first_name if first_name else ''}: {question[0].lower()}{question[1:]}"
            )
        )
        if acceptable_title(asked):
            return asked
    for title in (
        f"reply{who} about {topic}" if topic else "",
        f"reply{who}" if who else "",
        "reply to the email",
    ):
        title = _fit(_trim_dangling(title))
        if title and acceptable_title(_capitalise(title)):
            return title
    return "reply to the email"


# "confirm with Finance that the format works for them": the pointer is not the object, and the title
# reads without it.
_TRAILING_POINTER = re.compile(r"\s+(?:for|to|with|from|by|on|about)\s+(?:it|them)$", FLAGS)
# "Chase Equipment Services", "Call Parkside at 718-555-0199": whom to contact, not about what.
_CONTACT_ONLY = re.compile(
    r"^(?P<verb>call|phone|ring|email|e-mail|chase|contact|ping|text|nudge|remind|follow up with|reach out to)\s+"
    r"(?P<party>(?-i:[A-Z][\w&'.-]*)(?:\s+(?-i:[A-Z][\w&'.-]*)){0,3})(?:\s+(?:at|on)\s+\+?[\d(][\d\s().-]{5,})?$",
    FLAGS,
)
# What the scene before a contact ask is about: "We're out of bariatric commodes again - could you chase…".
_SCENE_THING = re.compile(
    r"\b(?:out of|short of|low on|run(?:ning)? out of|no more|missing|need more|need new|due for|overdue for|"
    r"problem with|issue with|trouble with)\s+(?:(?:his|her|their|its|our|your|my|the|some|any)\s+)?"
    r"(?P<thing>(?:[\w-]+\s+){0,3}?[\w-]+?)(?=\s+(?:again|today|now|yet|on|in|at|for|from|this|by|before)\b|\s*[-–—,.;:!?]|$)",
    FLAGS,
)


# "The printer on 3 is jammed again - can you call Xerox?": the thing in trouble.
_THING_IN_TROUBLE = re.compile(
    r"^(?:[\w'-]+[,:]\s+)?(?:the|our|my|your)\s+(?P<thing>[\w-]+(?:\s+(?!is\b|are\b)[\w-]+){0,5}?)\s+(?:is|are|was|were|has been|"
    r"keeps?)\s+(?:\w+\s+)?(?:jammed|broken|down|leaking|out of order|not working|stuck|failing|blocked|faulty|"
    r"playing up|acting up|overdue|late|missing|empty|flooded|dead|offline|beeping|making)\b",
    FLAGS,
)


# "We're short of napkins and take-away boxes": what "order more" is more of.
_RUNS_SHORT = re.compile(
    r"\b(?:short of|out of|low on|run(?:ning)? out of|run(?:ning)? low on|no more)\s+(?:(?:the|our|some)\s+)?"
    r"(?P<thing>[^.;:!?(),]+?)(?=\s*(?:[.;:!?(),]|$)|\s+(?:again|today|now|already|this|for|at|in|by|before)\b)",
    FLAGS,
)
# "Could you let us know if this date works for you?": a check of what the sentence before proposes.
_PROPOSAL_CHECK = re.compile(
    r"\b(?:let (?:me|us|\w+) know|tell (?:me|us)|confirm) (?:if|whether) (?:this|that|the (?:proposed|suggested))\s+"
    r"(?P<what>date|time|day|slot|timing|time slot)s?\s+(?:works?|suits?|is (?:ok|okay|fine|good|convenient))\b",
    FLAGS,
)
# What the sentence before proposes: a visit, a delivery, a call…, by its noun or its verb.
_PROPOSED_EVENT = re.compile(
    r"\b(?P<event>visit|visits|delivery|deliver|installation|install|inspection|inspect|appointment|meeting|"
    r"meet|call|interview|viewing|tasting|session|training|repair|service visit|come (?:in|by|over|round)|"
    r"drop by|stop by|pop (?:in|by))\b",
    FLAGS,
)
_EVENT_NOUN = {"visits": "visit", "deliver": "delivery", "install": "installation", "inspect": "inspection",
               "meet": "meeting", "come in": "visit", "come by": "visit", "come over": "visit", "come round": "visit",
               "drop by": "visit", "stop by": "visit", "pop in": "visit", "pop by": "visit"}  # fmt: skip


# A subject line that states a thing's trouble: "Vitrobot booking system locked", "Printer on 3 jammed again",
# "Walk-in freezer not working".
_TOPIC_IN_TROUBLE = re.compile(
    r"(?P<thing>[\w-]+(?:\s+(?!is\b|are\b)[\w-]+){0,5}?)\s+(?:(?:is|are|was|were|has been|keeps?)\s+)?(?:still\s+)?"
    r"(?:locked(?: out)?|jammed|broken|down|leaking|out of order|not working|stuck|failing|blocked|faulty|"
    r"playing up|acting up|empty|flooded|dead|offline|beeping|crashed|frozen|expired)(?:\s+again)?[.!]*",
    FLAGS,
)


def _about_what(title: str, flat: str, previous: str) -> str:
    """ "Chase Equipment Services about the bariatric commodes": a contact ask names what it is about, from
    the sentence's scene or the sentence before."""
    contact = _CONTACT_ONLY.fullmatch(title)
    if contact is None:
        return title
    for source in (flat, previous):
        scene = _SCENE_THING.search(source) or _THING_IN_TROUBLE.search(source)
        if scene:
            return f"{contact.group('verb')} {contact.group('party')} about the {scene.group('thing')}"
    return title


def _repair(text: str, *, flat: str, first_name: str, topic: str) -> str:
    """Hold ``text`` to the title rules; fall back to a reply to the sender when it cannot be made to."""
    if _WH_QUESTION.match(flat):
        # "Who would you recommend for the role?" asks for an answer, not for recommending.
        return _fallback(flat=flat, first_name=first_name, topic=topic)
    text = _replace_me(_drop_fragments(text), first_name) if text else ""
    if text:
        text = _start_at_verb(text)
        text = _NEW_CLAUSE.sub("", text)
        text = _trim_dangling(_drop_fragments(text))
    if text:
        text = _fit(_trim_dangling(_replace_me(_name_pointers(text, topic), first_name)))
    if text and not acceptable_title(_capitalise(text)):
        text = _TRAILING_POINTER.sub("", text)
    if text and not acceptable_title(_capitalise(text)):
        # "be at the new office to let them in": the purpose is not the task.
        text = _trim_dangling(re.sub(r"\s+(?:to|so that|so)\s+\w+\b.*$", "", text, flags=FLAGS))
    if text and acceptable_title(_capitalise(text)):
        return text
    return _fallback(flat=flat, first_name=first_name, topic=topic)
