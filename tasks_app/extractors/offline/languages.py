"""Asks and meeting proposals in Spanish, French and German, and their titles.

``patterns.classify_sentence`` and ``titles.task_title`` ask here first (one call each); a sentence
that is not in one of these languages gets None and goes on to the English rules. The dates of these
sentences are read by tasks_app.dates (Duckling plus our conventions, tasks_app/date_languages.py).

A sentence is taken to be in a language when at least two of that language's small words occur in it
and more of them than English ones: "¿Podrías enviarme el informe antes del viernes?" is Spanish,
"Please send the informe" is not.
"""

from __future__ import annotations

import functools
import re

from tasks_app.dates import find_due_phrases
from tasks_app.extractors import MAX_TITLE_LENGTH

__all__ = ["other_language_intent", "other_language_title", "sentence_language"]

FLAGS = re.IGNORECASE
_WORD = r"[^\W\d_]+"

_SMALL_WORDS = {
    "en": "the to you and of is please could can for with by on me we it this that i would will be are",
    "es": "el la los las del que por para con una es está podrías podría puedes puede favor gracias antes "
    "mañana nos te le su tu hola reunión semana hasta podemos envíame necesito",
    "fr": "le la les des du que pour avec une est vous nous merci avant demain je ce cette pourriez pouvez "
    "bonjour réunion semaine d'ici peut voir",
    "de": "der das den dem und ist sie wir uns bitte können könnten mit für bis zum morgen heute danke "
    "hallo ich nicht ein eine auf uhr treffen",
}
_SMALL = {
    language: re.compile(rf"(?<![\w'])(?:{'|'.join(map(re.escape, words.split()))})(?![\w'])", FLAGS)
    for language, words in _SMALL_WORDS.items()
}


# Any small word of the other languages: one search settles most English sentences.
_OTHER_WORDS = sorted({re.escape(word) for lang in ("es", "fr", "de") for word in _SMALL_WORDS[lang].split()})
_ANY_OTHER = re.compile(rf"(?<![\w'])(?:{'|'.join(_OTHER_WORDS)})(?![\w'])", FLAGS)


@functools.lru_cache(maxsize=4096)
def sentence_language(text: str) -> str | None:
    """ "es", "fr" or "de" when ``text`` reads as that language, else None (English or unknown)."""
    if not _ANY_OTHER.search(text):
        return None
    counts = {
        language: len(set(m.lower() for m in pattern.findall(text))) for language, pattern in _SMALL.items()
    }
    english = counts.pop("en")
    language, count = max(counts.items(), key=lambda item: item[1])
    # "on" and "la" are English and French: the language must lead, not merely be present.
    if count >= 2 and count > english and list(counts.values()).count(count) == 1:
        return language
    return None


_REQUEST = {
    "es": r"^[¿¡]?\s*por\s+favor\b|\bpor\s+favor\b|[¿]?\s*\b(?:podrías|podría|puedes|puede|podrían|pueden|"
    r"serías\s+tan\s+amable\s+de|te\s+importaría|le\s+importaría)\b|\b(?:te|le|les)\s+agradecería\b|"
    r"\bnecesito\s+que\b|\bno\s+olvides\b|\bacuérdate\s+de\b|\brecuerda\s+(?:que|de)\b|"
    r"\b(?:tienes|tiene|tenéis)\s+que\b|\bdebes\b|^(?:hola\s+\w+,\s*)?(?:revisa|envía|envíame|manda|"
    r"mándame|confirma|confírmame|prepara|firma|llama|llámame|responde|completa|actualiza|comparte|reserva|"
    r"avísame|avisa)\b",
    "fr": r"\b(?:pourriez|pouvez|pourrais|peux|voudriez|voulez)[- ](?:vous|tu)\b|^(?:bonjour\s+\w+,\s*)?"
    r"merci\s+de\b|\bmerci\s+d'|\bs'il\s+(?:vous|te)\s+pla[iî]t\b|\bje\s+vous\s+prie\s+de\b|\bveuillez\b|"
    r"\bj'aurais\s+besoin\s+que\b|\bn'oubli(?:ez|e)\s+pas\b|\bpensez?\s+à\b|\b(?:tu\s+dois|vous\s+devez)\b|"
    r"\bil\s+faut\s+que\s+(?:tu|vous)\b|^(?:envoyez|envoie|confirmez|vérifiez|relisez|validez|"
    r"signez|appelez|rappelez|préparez|remplissez|réservez)\b",
    "de": r"\b(?:könnten|können|würden|kannst|könntest|würdest)\s+(?:sie|du)\b|^bitte\b|\bbitte\s+"
    r"(?!schön|sehr)\w+|\bich\s+bitte\s+(?:sie|dich|um)\b|\bwären\s+sie\s+so\s+(?:nett|freundlich)\b|"
    r"\bdenken\s+sie\s+(?:bitte\s+)?daran\b|\bdenk\s+(?:bitte\s+)?daran\b|\bvergiss\s+nicht\b|"
    r"\b(?:du\s+musst|sie\s+müssen)\b|^(?:schicken|senden|prüfen|bestätigen|rufen|unterschreiben|"
    r"füllen|buchen)\s+sie\b|^(?:schick|sende|prüf|prüfe|bestätige|ruf)\b",
}
_MEETING = {
    "es": r"\b(?:podemos|podríamos|podrías|puedes)\s+(?:reunirnos|vernos|hablar|quedar|llamarnos|tener\s+una\s+"
    r"(?:reunión|llamada))\b|\b(?:reunión|llamada|videollamada|café)\b.*\?|\bte\s+(?:viene|va)\s+bien\b|"
    r"\ble\s+(?:viene|va)\s+bien\b|\b(?:quedamos|nos\s+vemos)\b.*\?",
    "fr": r"\bon\s+(?:peut|pourrait)\s+se\s+(?:voir|parler|retrouver|réunir|appeler|caler)\b|\bpouvons[- ]nous\s+"
    r"(?:nous\s+)?(?:voir|parler|rencontrer|réunir|appeler)\b|\b(?:réunion|rendez-vous|appel|visio|café)\b.*\?|"
    r"\b(?:vous|te)\s+convient\b|\bêtes[- ]vous\s+disponible\b|\bes[- ]tu\s+dispo(?:nible)?\b",
    "de": r"\b(?:können|könnten|sollen|wollen|sollten)\s+wir\s+(?:uns\b.*\b(?:treffen|sprechen|zusammensetzen|"
    r"austauschen)|(?:kurz\s+)?(?:telefonieren|sprechen))\b|\b(?:treffen|termin|besprechung|telefonat|anruf|"
    r"meeting)\b.*\?|\bpasst\s+(?:es\s+)?(?:ihnen|dir)\b|\b(?:hätten\s+sie|hättest\s+du|hast\s+du|haben\s+sie)\b.*\bzeit\b",
}
# Courtesy, FYI and bulk mail: no task even when an ask word appears.
_NOT_A_TASK = {
    "es": r"^(?:gracias|muchas\s+gracias|saludos|un\s+saludo|hola|buenos\s+días)\b(?!.*\?)|\bpara\s+tu\s+"
    r"información\b|\bdarse\s+de\s+baja\b|\bsi\s+tienes\s+(?:alguna\s+)?(?:duda|pregunta)s?\b",
    "fr": r"^(?:merci\s+(?:beaucoup\s+)?(?:pour|à)|cordialement|bonne\s+journée|bonjour)\b(?!.*\?)|\bpour\s+info\b|"
    r"\bse\s+désabonner\b|\bsi\s+vous\s+avez\s+des\s+questions\b|\bn'hésitez\s+pas\b",
    "de": r"^(?:danke|vielen\s+dank|viele\s+grüße|beste\s+grüße|mit\s+freundlichen|hallo|guten\s+tag)\b(?!.*\?)|"
    r"\bzur\s+info\b|\babmelden\b|\bbei\s+fragen\b|\bmelden\s+sie\s+sich\s+gerne\b",
}
_REQUEST_RE = {language: re.compile(pattern, FLAGS) for language, pattern in _REQUEST.items()}
_MEETING_RE = {language: re.compile(pattern, FLAGS) for language, pattern in _MEETING.items()}
_NOT_A_TASK_RE = {language: re.compile(pattern, FLAGS) for language, pattern in _NOT_A_TASK.items()}


def other_language_intent(text: str) -> tuple[bool, bool, bool, bool] | None:
    """(request, commitment, meeting, question) for a Spanish, French or German sentence, or None when
    the sentence is not in one of them. The sender's own promises are not read in these languages."""
    language = sentence_language(text)
    if language is None:
        return None
    if _NOT_A_TASK_RE[language].search(text):
        return (False, False, False, False)
    meeting = bool(_MEETING_RE[language].search(text))
    request = bool(_REQUEST_RE[language].search(text))
    question = text.rstrip().endswith("?") and (request or meeting)
    return (request, False, meeting, question)


# The ask's lead-in, removed from titles: "¿Podrías", "Por favor,", "Pourriez-vous", "Merci de", "Bitte",
# "Könnten Sie".
_LEAD_IN = {
    "es": r"^(?:(?:hola\s+)?\w+,\s*)?[¿¡]?\s*(?:por\s+favor,?\s*)?(?:(?:me|nos)\s+)?(?:(?:podrías|podría|puedes|"
    r"puede|podrían|pueden)(?:\s+usted)?|serías\s+tan\s+amable\s+de|te\s+importaría|le\s+importaría|"
    r"necesito\s+que|no\s+olvides|acuérdate\s+de|recuerda\s+(?:que\s+)?(?:(?:tienes|tiene)\s+que\s+)?|"
    r"(?:tienes|tiene|tenéis)\s+que|debes)?\s*(?:por\s+favor,?\s*)?",
    "fr": r"^(?:(?:bonjour\s+)?\w+,\s*)?(?:n'oubli(?:ez|e)\s+pas\s+de|pensez?\s+à|tu\s+dois|vous\s+devez|"
    r"il\s+faut\s+que\s+(?:tu|vous)|(?:pourriez|pouvez|pourrais|peux|voudriez|voulez)[- ](?:vous|tu)|merci\s+de|"
    r"merci\s+d'|je\s+vous\s+prie\s+de|veuillez|n'oubliez\s+pas\s+de)?\s*(?:s'il\s+vous\s+pla[iî]t,?\s*)?",
    "de": r"^(?:(?:hallo\s+)?\w+,\s*)?(?:bitte,?\s*)?(?:denk\s+(?:bitte\s+)?daran,?\s*|vergiss\s+nicht,?\s*)?(?:(?:könnten|können|würden|kannst|könntest|würdest)\s+(?:sie|du)"
    r"(?:\s+mir|\s+uns)?|wären\s+sie\s+so\s+(?:nett|freundlich)(?:,)?(?:\s+und)?|denken\s+sie\s+daran,?)?"
    r"\s*(?:bitte\s+)?",
}
# Words that only introduce the date ("antes del viernes", "avant vendredi", "bis Freitag").
_DATE_LEAD = {
    "es": r"(?:\b(?:antes(?:\s+de(?:l)?)?|para(?:\s+el)?|hasta(?:\s+el)?|el|a\s+más\s+tardar)\s+)?$",
    "fr": r"(?:\b(?:avant(?:\s+le)?|d'ici(?:\s+le|\s+la)?|pour(?:\s+le)?|jusqu'au|le)\s+)?$",
    "de": r"(?:\b(?:bis(?:\s+zum|\s+spätestens)?|spätestens(?:\s+am)?|vor|am|zum)\s+)?$",
}
# An object pronoun glued to the ask ("enviarme", "m'envoyer", "schicken Sie mir"): the reader knows who.
_TO_ME = {
    "es": (r"^(\w+?(?:ar|er|ir))(?:me|nos)\b", r"\1"),
    "fr": (r"^(?:m'|me\s+|nous\s+)", ""),
    "de": (r"^(\w+)\s+sie\s+(?:mir|uns)\s+", r"\1 Sie "),
}
_MEETING_TITLE = {"es": "Reunión con {name}", "fr": "Réunion avec {name}", "de": "Treffen mit {name}"}
# "una llamada sobre el presupuesto", "un point sur le budget", "eine kurze Abstimmung zu den Busverträgen":
# the meeting named by its topic.
_MEETING_TOPIC = {
    "es": r"\b(?P<noun>reunión|llamada|videollamada|charla)\s+(?P<topic>(?:sobre|acerca\s+de|para\s+(?:hablar\s+de|"
    r"revisar|ver))\s+[^?.!,;]+)",
    "fr": r"\b(?P<noun>réunion|point|appel|visio|échange)\s+(?P<topic>(?:sur|au\s+sujet\s+de|concernant|pour\s+"
    r"(?:parler\s+de|faire\s+le\s+point\s+sur))\s+[^?.!,;]+)",
    "de": r"\b(?P<noun>Abstimmung|Besprechung|Telefonat|Termin|Austausch|Gespräch|Meeting|Call)\s+(?P<topic>(?:zu|zum|"
    r"zur|über|wegen)\s+[^?.!,;]+)",
}
_MEETING_TITLE_ALONE = {"es": "Reunión", "fr": "Réunion", "de": "Treffen"}


def _sender_first_name(sender: str) -> str:
    m = re.match(r'\s*"?([^"<@]+?)"?\s*<', sender)
    if m:
        return m.group(1).split()[0]
    local = sender.split("@", 1)[0].strip()
    return local.split(".")[0].title() if local and "@" in sender else ""


def other_language_title(sentence: str, meeting: bool, sender: str) -> str | None:
    """The title of a Spanish, French or German ask: the sentence's own words, from the verb, without
    the lead-in, the date or the trailing punctuation; a meeting proposal is "Reunión con <name>"
    ("Réunion avec", "Treffen mit"). None when the sentence is not in one of those languages."""
    flat = " ".join(sentence.split())
    language = sentence_language(flat)
    if language is None:
        return None
    if meeting:
        topic = re.search(_MEETING_TOPIC[language], flat, FLAGS)
        if topic:
            return _finish(f"{topic.group('noun')} {topic.group('topic')}")
        name = _sender_first_name(sender)
        return _MEETING_TITLE[language].format(name=name) if name else _MEETING_TITLE_ALONE[language]
    text = flat
    for _phrase, start, end in reversed(find_due_phrases(text)):
        lead = re.search(_DATE_LEAD[language], text[:start], FLAGS)
        text = text[: lead.start() if lead else start].rstrip() + text[end:]
    text = re.sub(_LEAD_IN[language], "", text, count=1, flags=FLAGS)
    pattern, replacement = _TO_ME[language]
    text = re.sub(pattern, replacement, text, count=1, flags=FLAGS)
    return _finish(text)


def _finish(text: str) -> str | None:
    for _phrase, start, end in reversed(find_due_phrases(text)):
        text = text[:start] + text[end:]
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;:-–—.!?¿¡")
    if not text:
        return None
    text = text[0].upper() + text[1:]
    if len(text) > MAX_TITLE_LENGTH:
        text = text[: MAX_TITLE_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return text
