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
    "mañana nos te le su tu hola reunión semana hasta podemos envíame necesito me hay sería posible "
    "recuerda agradecería",
    "fr": "le la les des du que pour avec une est vous nous merci avant demain je ce cette pourriez pouvez "
    "bonjour réunion semaine d'ici peut voir tu est-ce faudrait peux pourrais aurais besoin",
    "de": "der das den dem und ist sie wir uns bitte können könnten mit für bis zum morgen heute danke "
    "hallo ich nicht ein eine auf uhr treffen die du mir dir kannst wäre möglich bräuchte einen zu",
}
_SMALL = {
    language: re.compile(rf"(?<![\w'])(?:{'|'.join(map(re.escape, words.split()))})(?![\w'])", FLAGS)
    for language, words in _SMALL_WORDS.items()
}


# Any small word of the other languages: one search settles most English sentences.
_OTHER_WORDS = sorted({re.escape(word) for lang in ("es", "fr", "de") for word in _SMALL_WORDS[lang].split()})
_ANY_OTHER = re.compile(rf"(?<![\w'])(?:{'|'.join(_OTHER_WORDS)})(?![\w'])", FLAGS)


# Spelling only one of the languages uses: "¿", "ñ" and "á/í/ó/ú" in Spanish, an elided "n'/d'/qu'" or "ç/è/ê/à/ù/œ"
# in French, "ß/ä/ö/ü" in German. A short ask ("Pásame el menú", "N'oublie pas de réserver la salle") has too
# few small words to tell, and its spelling counts as one more.
_SPELLING = {
    "es": re.compile(r"[¿¡ñáíóú]", FLAGS),
    "fr": re.compile(r"(?<!\w)(?:[dnlmjst]|qu)['’](?=[^\W\d_])|[çèêëàùûœî]", FLAGS),
    "de": re.compile(r"[ßäöü]", FLAGS),
}
# The small words that belong to one language only ("merci", "bitte"): they settle a tie.
_OWN_WORDS = {
    language: set(_SMALL_WORDS[language].split())
    - {word for other, words in _SMALL_WORDS.items() if other != language for word in words.split()}
    for language in ("es", "fr", "de")
}


@functools.lru_cache(maxsize=4096)
def sentence_language(text: str) -> str | None:
    """ "es", "fr" or "de" when ``text`` reads as that language, else None (English or unknown)."""
    if not _ANY_OTHER.search(text):
        return None
    words = {language: {m.lower() for m in pattern.findall(text)} for language, pattern in _SMALL.items()}
    english = len(words.pop("en"))
    counts = {
        language: len(found) + bool(_SPELLING[language].search(text)) for language, found in words.items()
    }
    best = max(counts.values())
    # "on" and "la" are English and French: the language must lead, not merely be present.
    if best < 2 or best <= english:
        return None
    leaders = [language for language, count in counts.items() if count == best]
    if len(leaders) > 1:
        # "Merci de me renvoyer le contrat": "me" and "le" are Spanish too, "merci" is French only.
        own = {language: len(words[language] & _OWN_WORDS[language]) for language in leaders}
        leaders = [language for language in leaders if own[language] == max(own.values())]
    return leaders[0] if len(leaders) == 1 else None


# "Y si puedes,", "Et si possible,", "Und wenn du kannst,": a softener before an imperative (a "puedes" or
# "tu peux" may already be gone, taken out as a "can" nobody asks); not before a subject or a reassurance
# ("si puedes, no te preocupes por el resto").
_IF_YOU_CAN = {
    "es": r"^(?:y\s+|e\s+|también\s+|además,?\s+)?(?:si\s*(?:puedes|puede|te\s+es\s+posible|es\s+posible)?|"
    r"cuando\s+puedas?)\s*,\s*(?!no\b|te\b|me\b|se\b|lo\b|la\b)",
    "fr": r"^(?:et\s+|aussi\s+)?(?:si\s*(?:tu\s+peux|vous\s+pouvez|possible)?|quand\s+(?:tu\s+peux|vous\s+pouvez))"
    r"\s*,\s*(?!je\b|nous\b|on\b|il\b|elle\b)",
    "de": r"^(?:und\s+|auch\s+)?(?:wenn|falls)\s*(?:du(?:\s+kannst)?|sie(?:\s+können)?|ihr(?:\s+könnt)?|möglich)?\s*,\s*"
    r"(?!(?:ich|wir|es|das|der|die|ein|eine|nicht|kein|keine|mach\s+dir)\b)",
}
_REQUEST = {
    "es": r"^[¿¡]?\s*por\s+favor\b|\bpor\s+favor\b|[¿]?\s*\b(?:podrías|podría|puedes|puede|podrían|pueden|"
    r"serías\s+tan\s+amable\s+de|te\s+importaría|le\s+importaría)\b|\b(?:te|le|les)\s+agradecería\b|"
    r"\bnecesito\s+que\b|\bno\s+olvides\b|\bacuérdate\s+de\b|\brecuerda\s+(?:que|de)\b|"
    r"\b(?:tienes|tiene|tenéis)\s+que\b|\bdebes\b|^(?:hola\s+\w+,\s*)?(?:revisa|envía|envíame|manda|"
    r"mándame|confirma|confírmame|prepara|firma|llama|llámame|responde|completa|actualiza|comparte|reserva|"
    r"avísame|avisa)\b"
    # "¿Me confirmas…?", "te agradecería que…", "hay que pagar…", "¿sería posible cambiar…?".
    r"|^[¿¡]?\s*(?:me|nos)\s+\w+(?:as|es)\b[^?]*\?|\b(?:te|le|les|os)\s+agradecer(?:ía|íamos)\s+que\b"
    r"|^(?:hay|habría|habrá)\s+que\b|\b(?:tendrías|tendría|deberías|debería)\s+que\b|\bdeberías\b"
    r"|\b(?:sería|es)\s+posible\b[^?]*\?|\b(?:quiero|queremos|necesitamos|necesitaríamos|necesitaría)\s+que\b"
    r"|^(?:recuerda|acuérdate\s+de|no\s+olvides)\s+\w+(?:ar|er|ir)(?:lo|la|los|las|le|les|me)?\b"
    # "necesito las facturas del mes": the reader is to send what the author needs.
    r"|\b(?:necesito|necesitamos|necesitaría|necesitaríamos)\s+(?:las?|los|el|tus?|sus?|vuestr[oa]s?)\s+"
    r"(?!(?:lunes|martes|miércoles|jueves|viernes|sábado|domingo|día|mes|fin|próximo|próxima|resto)\b)\w"
    # "Y si puedes, deposita el anticipo": an imperative after "if you can" (the "puedes" is taken out
    # before this is read, as a "can" nobody asks).
    rf"|{_IF_YOU_CAN['es']}\w+[ae]\b",
    "fr": r"\b(?:pourriez|pouvez|pourrais|peux|voudriez|voulez)[- ](?:vous|tu)\b|^(?:bonjour\s+\w+,\s*)?"
    r"merci\s+de\b|\bmerci\s+d'|\bs'il\s+(?:vous|te)\s+pla[iî]t\b|\bje\s+vous\s+prie\s+de\b|\bveuillez\b|"
    r"\bj'aurais\s+besoin\s+que\b|\bn'oubli(?:ez|e)\s+pas\b|\bpensez?\s+à\b|\b(?:tu\s+dois|vous\s+devez)\b|"
    r"\bil\s+faut\s+que\s+(?:tu|vous)\b|^(?:envoyez|envoie|confirmez|vérifiez|relisez|validez|"
    r"signez|appelez|rappelez|préparez|remplissez|réservez)\b"
    r"|\best-ce\s+que\s+(?:tu|vous)\s+(?:pourrais|pourriez|peux|pouvez|voudrais|voudriez)\b"
    r"|\b(?:pourrais|voudrais)[- ]tu\b|\bil\s+faudrait\s+que\s+(?:tu|vous)\b|\bj'aurais\s+besoin\s+(?:de|d')\b"
    # "Accepterais-tu de faire partie du jury ?", "Seriez-vous d'accord pour…?": an invitation to take a part.
    r"|\b(?:accepterais|accepteriez|aimerais|aimeriez|serais|seriez)[- ](?:tu|vous)\b[^?]*\?"
    r"|\bserait-il\s+possible\b"
    rf"|{_IF_YOU_CAN['fr']}\w+(?:e|ez)\b"
    # "Tu peux la demander au loueur ?": the question asked in the statement's order.
    r"|^(?:(?:bonjour\s+)?\w+,\s*)?(?:et\s+)?(?:tu\s+(?:peux|pourrais)|vous\s+(?:pouvez|pourriez))\b[^?]*\?",
    "de": r"\b(?:könnten|können|würden|kannst|könntest|würdest)\s+(?:sie|du)\b|^bitte\b|\bbitte\s+"
    r"(?!schön|sehr)\w+|\bich\s+bitte\s+(?:sie|dich|um)\b|\bwären\s+sie\s+so\s+(?:nett|freundlich)\b|"
    r"\bdenken\s+sie\s+(?:bitte\s+)?daran\b|\bdenk\s+(?:bitte\s+)?daran\b|\bvergiss\s+nicht\b|"
    r"\b(?:du\s+musst|sie\s+müssen)\b|^(?:schicken|senden|prüfen|bestätigen|rufen|unterschreiben|"
    r"füllen|buchen)\s+sie\b|^(?:schick|sende|prüf|prüfe|bestätige|ruf)\b"
    r"|\b(?:ich|wir)\s+(?:bräuchte|bräuchten|benötige|benötigen|brauche|brauchen)\b|\bwäre\s+es\s+möglich\b"
    # "Die Rechnung ist bis zum 30. September zu bezahlen": a duty in the passive.
    r"|\b(?:ist|sind)\s+(?:[^\s?!]+\s+){0,8}?zu\s+(?:bezahlen|überweisen|zahlen|unterschreiben|senden|schicken|"
    r"bestätigen|erledigen|einzureichen|einreichen|begleichen|prüfen)\b"
    # "Und wenn du kannst, reservier den großen Raum": an imperative after "if you can".
    rf"|{_IF_YOU_CAN['de']}\w+",
}
_MEETING = {
    "es": r"\b(?:podemos|podríamos|podrías|puedes)\s+(?:reunirnos|vernos|hablar|quedar|llamarnos|tener\s+una\s+"
    r"(?:reunión|llamada))\b|\b(?:reunión|llamada|videollamada|café)\b.*\?|\bte\s+(?:viene|va)\s+bien\b|"
    r"\ble\s+(?:viene|va)\s+bien\b|\b(?:quedamos|nos\s+vemos)\b.*\?",
    "fr": r"\bon\s+(?:peut|pourrait)\s+se\s+(?:voir|parler|retrouver|réunir|appeler|caler)\b|"
    r"\bje\s+(?:vous|te)\s+propose\s+(?:un|une)\s+(?:point|appel|call|visio|réunion|rendez-vous|échange|déjeuner|café)\b|"
    r"\b(?:on|nous)\s+(?:peut|pourrait|pouvons|pourrions)\s+(?:faire|caler|organiser|prévoir|fixer)\s+(?:un|une)\s+"
    r"(?:point|appel|call|visio|réunion|rendez-vous|échange)\b|\bpouvons[- ]nous\s+"
    r"(?:nous\s+)?(?:voir|parler|rencontrer|réunir|appeler)\b|\b(?:réunion|rendez-vous|appel|visio|café)\b.*\?|"
    r"\b(?:vous|te)\s+convient\b|\bêtes[- ]vous\s+disponible\b|\bes[- ]tu\s+dispo(?:nible)?\b",
    "de": r"\b(?:können|könnten|sollen|wollen|sollten)\s+wir\s+(?:uns\b.*\b(?:treffen|sprechen|zusammensetzen|"
    r"austauschen)|(?:[\w.]+\s+){0,6}?(?:kurz\s+)?(?:telefonieren|sprechen|treffen|zusammensetzen))\b|\b(?:treffen|termin|besprechung|telefonat|anruf|"
    r"meeting)\b.*\?|\bpasst\s+(?:es\s+)?(?:ihnen|dir)\b|\b(?:hätten\s+sie|hättest\s+du|hast\s+du|haben\s+sie)\b.*\bzeit\b",
}
# Courtesy, FYI and bulk mail: no task even when an ask word appears.
_NOT_A_TASK = {
    "es": r"^(?:gracias|muchas\s+gracias|saludos|un\s+saludo|hola|buenos\s+días)\b(?!.*\?)|\bpara\s+tu\s+"
    r"información\b|\bdarse\s+de\s+baja\b|\bsi\s+tienes\s+(?:alguna\s+)?(?:duda|pregunta)s?\b",
    "fr": r"^(?:merci\s+(?:beaucoup\s+)?(?:pour|à|d['’]avance|par\s+avance)|cordialement|bonne\s+journée|bonjour)\b(?!.*\?)|\bpour\s+info\b|"
    r"\bse\s+désabonner\b|\bsi\s+vous\s+avez\s+des\s+questions\b|\bn'hésitez\s+pas\b",
    "de": r"^(?:danke|vielen\s+dank|viele\s+grüße|beste\s+grüße|mit\s+freundlichen|hallo|guten\s+tag)\b(?!.*\?)|"
    r"\bzur\s+info\b|\babmelden\b|\bbei\s+fragen\b|\bmelden\s+sie\s+sich\s+gerne\b",
}
_CAN_MODAL = {
    "es": re.compile(r"\b(?:puedes|puede|pueden|podéis)\b", FLAGS),
    "fr": re.compile(r"\b(?:vous\s+pouvez|tu\s+peux)\b", FLAGS),
    "de": re.compile(r"\b(?:sie\s+können|du\s+kannst|ihr\s+könnt)\b", FLAGS),
}
_REQUEST_RE = {language: re.compile(pattern, FLAGS) for language, pattern in _REQUEST.items()}
_MEETING_RE = {language: re.compile(pattern, FLAGS) for language, pattern in _MEETING.items()}
_NOT_A_TASK_RE = {language: re.compile(pattern, FLAGS) for language, pattern in _NOT_A_TASK.items()}


_GREETING = re.compile(
    r"^\s*(?:hola|buenos\s+días|buenas(?:\s+tardes)?|bonjour|bonsoir|salut|hallo|guten\s+(?:tag|morgen)|"
    r"liebe[rs]?|querid[oa]s?|estimad[oa]s?|cher|chère)(?:\s+[^\W\d_]+(?:\s+[^\W\d_]+)?)?\s*,\s*(?=\S)",
    FLAGS,
)


# A bill that falls due ("El pago de la factura 2026-118 vence el 30", "La facture est à régler avant le…",
# "Die Miete ist am 1. fällig"): the task is to pay it.
_BILL_DUE: dict[str, tuple[re.Pattern[str], str]] = {
    "es": (
        re.compile(
            r"(?:\bel\s+pago\s+de\s+)?(?P<bill>\b(?:la\s+|el\s+|tu\s+|su\s+)?(?:factura|recibo|cuota)(?:\s+[\w#/-]*\d[\w/-]*)?)"
            r"[^.?!]{0,40}?\bvence\b",
            FLAGS,
        ),
        "Pagar {bill}",
    ),
    "fr": (
        re.compile(
            r"(?P<bill>\b(?:la\s+|votre\s+)?(?:facture|cotisation|échéance)(?:\s+[\w#/-]*\d[\w/-]*)?)[^.?!]{0,40}?"
            r"\b(?:est\s+(?:due|à\s+régler|payable|exigible)|arrive\s+à\s+échéance)\b",
            FLAGS,
        ),
        "Payer {bill}",
    ),
    "de": (
        re.compile(
            r"(?P<bill>\b(?:die\s+|Ihre\s+)?(?:Rechnung|Zahlung|Miete|Beitrag|Rate)(?:\s+[\w#/-]*\d[\w/-]*)?)[^?!]{0,40}?"
            r"\b(?:ist|wird)\s+(?:[^?!]{0,25}\s+)?fällig\b",
            FLAGS,
        ),
        "{bill} bezahlen",
    ),
}


def other_language_intent(text: str) -> tuple[bool, bool, bool, bool] | None:
    """(request, commitment, meeting, question) for a Spanish, French or German sentence, or None when
    the sentence is not in one of them. The sender's own promises are not read in these languages."""
    language = sentence_language(text)
    if language is None:
        return None
    # "Bonjour Marta, merci de nous envoyer…": the greeting is not the sentence (nor its courtesy).
    text = _GREETING.sub("", text, count=1) or text
    if _NOT_A_TASK_RE[language].search(text):
        return (False, False, False, False)
    meeting = bool(_MEETING_RE[language].search(text))
    # "Puedes seguir el envío desde tu cuenta", "Vous pouvez payer en ligne": a "can" that is not asked
    # is an option the reader has, not an ask.
    asked = text.rstrip().endswith("?") or text.lstrip().startswith("¿")
    request = bool(_REQUEST_RE[language].search(text if asked else _CAN_MODAL[language].sub("", text)))
    request = request or bool(_BILL_DUE[language][0].search(text))
    question = text.rstrip().endswith("?") and (request or meeting)
    return (request, False, meeting, question)


# The ask's lead-in, removed from titles: "¿Podrías", "Por favor,", "Pourriez-vous", "Merci de", "Bitte",
# "Könnten Sie".
_LEAD_IN = {
    "es": rf"^(?:(?:hola\s+)?\w+,\s*)?(?:{_IF_YOU_CAN['es']})?[¿¡]?\s*(?:por\s+favor,?\s*)?(?:(?:me|nos|se)\s+)?(?:(?:lo|la|los|las)\s+(?=(?:podrías|"
    r"podría|puedes|puede|podrían|pueden)\b))?(?:(?:podrías|podría|puedes|"
    r"puede|podrían|pueden)(?:\s+usted)?|serías\s+tan\s+amable\s+de|te\s+importaría|le\s+importaría|"
    r"necesito\s+que|(?:te|le|les|os)\s+pido\s+que|no\s+olvides|acuérdate\s+de|recuerda\s+(?:que\s+)?(?:(?:tienes|tiene)\s+que\s+)?|"
    r"(?:tienes|tiene|tenéis)\s+que|debes|(?:te|le|les|os)\s+agradecer(?:ía|íamos)\s+que|(?:hay|habría|habrá)\s+que|"
    r"(?:tendrías|tendría|deberías|debería)(?:\s+que)?|(?:sería|es)\s+posible|"
    r"(?:quiero|queremos|necesitamos|necesitaríamos|necesitaría)\s+que)?"
    r"\s*(?:por\s+favor,?\s*)?",
    "fr": rf"^(?:(?:bonjour\s+)?\w+,\s*)?(?:{_IF_YOU_CAN['fr']})?(?:n'oubli(?:ez|e)\s+pas\s+de|pensez?\s+à|tu\s+dois|vous\s+devez|"
    r"il\s+faut\s+que\s+(?:tu|vous)|(?:pourriez|pouvez|pourrais|peux|voudriez|voulez)[- ](?:vous|tu)|merci\s+de|"
    r"(?:et\s+)?(?:tu\s+(?:peux|pourrais)|vous\s+(?:pouvez|pourriez))(?=\s[^?]*\?)|"
    r"merci\s+d'|je\s+vous\s+prie\s+de|veuillez|n'oubliez\s+pas\s+de|est-ce\s+que\s+(?:tu|vous)\s+(?:pourrais|"
    r"pourriez|peux|pouvez|voudrais|voudriez)|(?:pourrais|voudrais)[- ]tu|il\s+faudrait\s+que\s+(?:tu|vous)|"
    r"j'aurais\s+besoin\s+que\s+(?:tu|vous)|serait-il\s+possible\s+de|"
    r"(?:accepterais|accepteriez|aimerais|aimeriez)[- ](?:tu|vous)\s+(?:de\s+|d')?|"
    r"(?:serais|seriez)[- ](?:tu|vous)\s+(?:d'accord|prête?s?|partante?s?|disponibles?)\s+(?:pour\s+|à\s+)?)?"
    r"\s*(?:s'il\s+vous\s+pla[iî]t,?\s*)?",
    "de": r"^(?:(?:hallo\s+)?\w+,\s*)?(?:bitte,?\s*)?(?:denkt?\s+(?:bitte\s+)?(?:daran|dran),?\s*|vergiss\s+nicht,?\s*|vergesst\s+nicht,?\s*)?(?:(?:(?:könnten|können|würden|kannst|könntest|würdest)\s+(?:sie|du)|(?:könnt|könntet|würdet)\s+ihr)"
    r"(?:\s+mir|\s+uns)?|wären\s+sie\s+so\s+(?:nett|freundlich)(?:,)?(?:\s+und)?|denken\s+sie\s+daran,?|"
    r"wäre\s+es\s+möglich,?)?"
    r"\s*(?:bitte\s+)?",
}
# Adverbs that soften or add to an ask and stand right after its lead-in.
_ASK_ADVERB = {
    "es": r"^(?:también|además|solo|sólo|simplemente)\s+(?=\w)",
    "fr": r"^(?:(?:aussi|également|encore|juste|simplement|rapidement|bien\s+vouloir)\s+)+(?=\w)",
    "de": r"^(?:(?:auch|außerdem|zusätzlich|ebenfalls|noch|mal|kurz|doch|eben|schnell)\s+)+(?=\w)",
}
# "please" inside the ask ("Pásame porfa el menú", "Envoie-moi stp les photos"): courtesy, not the task.
_PLEASE = {
    "es": r",?\s*\b(?:por\s+favor|porfa|porfis|porfavor)\b,?",
    "fr": r",?\s*(?:\bs'il\s+(?:vous|te)\s+pla[iî]t\b|\b(?:svp|stp)\b),?",
    "de": r",?\s*\bbitte\b,?(?=\s|$)",
}
# Words that only introduce the date ("antes del viernes", "avant vendredi", "bis Freitag").
_DATE_LEAD = {
    "es": r"(?:\b(?:a\s+más\s+tardar\s+)?(?:antes(?:\s+de(?:l)?)?|para(?:\s+el)?|hasta(?:\s+el)?|el|al|a(?:\s+las?)?|"
    r"a\s+más\s+tardar)\s+)?$",
    "fr": r"(?:\b(?:avant(?:\s+le)?|d'ici(?:\s+le|\s+la)?|pour(?:\s+le)?|jusqu'au|le)\s+)?$",
    "de": r"(?:\b(?:bis(?:\s+zum|\s+spätestens)?|spätestens(?:\s+am)?|vor|am|zum|auf|um|gegen)\s+)?$",
}
# An object pronoun glued to the ask ("enviarme", "m'envoyer", "schicken Sie mir"): the reader knows who.
_TO_ME = {
    "es": (r"^(\w+?(?:ar|er|ir))(?:me|nos)\b", r"\1"),
    "fr": (r"^(?:m['’]|me\s+|nous\s+)", ""),
    "de": (r"^(\w+)\s+sie\s+(?:mir|uns)\s+", r"\1 Sie "),
}
# An imperative with the author's pronoun fixed to it: "Mándame la lista" is "Mandar la lista", "Envoyez-moi le
# devis" is "Envoyez le devis" (the reader knows who asked).
_IMPERATIVE_TO_ME = {
    "es": re.compile(r"^(?P<stem>[^\W\d_]{2,}?)(?P<vowel>[aá])(?:me|nos)(?:lo|la|los|las)?\b", FLAGS),
    "fr": re.compile(r"^(?P<verb>[^\W\d_]{3,})-(?:moi|nous)\b", FLAGS),
}
_SPANISH_IRREGULAR_IMPERATIVE = {"dime": "decir", "hazme": "hacer", "ponme": "poner", "tráeme": "traer",
                                 "dame": "dar", "dinos": "decir", "mírame": "mirar"}  # fmt: skip
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
_ABOUT = {
    "es": r"\b(?:sobre|acerca\s+de|respecto\s+a|en\s+relación\s+con|para\s+(?:hablar\s+de|repasar|revisar|"
    r"preparar|cerrar|comentar|ver|organizar|planificar|lanzar))\s+[^?.!,;]+",
    "fr": r"\b(?:au\s+sujet\s+de|concernant|à\s+propos\s+de|pour\s+(?:parler\s+de|lancer|préparer|discuter\s+de|"
    r"faire\s+le\s+point\s+sur|faire\s+le\s+bilan|caler|organiser|voir|revoir|boucler)|sur)\s+[^?.!,;]+",
    "de": r"\b(?:wegen|über|bezüglich|zu[mr]?)\s+[^?.!,;]+"
    r"|\bum\s+[^?.!,;]+?\s+(?:abzustimmen|zu\s+besprechen|durchzugehen|zu\s+planen|vorzubereiten|zu\s+klären)\b",
}
_MEETING_TITLE_ALONE = {"es": "Reunión", "fr": "Réunion", "de": "Treffen"}


def _sender_first_name(sender: str) -> str:
    m = re.match(r'\s*"?([^"<@]+?)"?\s*<', sender)
    if m:
        return m.group(1).split()[0]
    local = sender.split("@", 1)[0].strip()
    return local.split(".")[0].title() if local and "@" in sender else ""


# What the sentence before an ask says is needed, sent or missing: the thing a pronoun in the ask stands
# for ("we need an updated certificate of occupancy and the headcount by May 19. Please upload both").
def _thing_after(cue: str, determiner: str, stop_words: str) -> re.Pattern[str]:
    """A noun phrase after ``cue``, from its determiner to a bracket, a comma, the sentence's end or a word
    that starts what comes after the thing (a deadline, a purpose)."""
    return re.compile(
        rf"\b(?:{cue})\s+(?P<thing>(?:{determiner})\s*[^.;:!?(),]+?)(?=\s*(?:[(),.;:!?]|$)|\s+(?:{stop_words})\b)",
        FLAGS,
    )


_ANTECEDENT = {
    "en": _thing_after(
        r"need|needs|needed|require|requires|required|missing|attached|enclosed|here (?:is|are)|still need|"
        r"(?:i|we) (?:still )?(?:don'?t|do not) have|(?:i|we) (?:haven'?t|have not) (?:got|received)|"
        r"wants?|would like|asked for|(?:is|are) asking for|requested|(?:is|are) waiting (?:for|on)",
        r"an?|the|your|both|all|two|three|\d+",
        r"by|before|until|no later than|so|because|which|that|to|for the|for our|for your",
    ),
    "fr": _thing_after(
        r"manque(?:nt)?|besoin d(?:e|u|es)|nous faut|attendons(?: encore)?|attends(?: encore)?|(?:ci-)?joint(?:e|s|es)?|"
        r"n'avons pas (?:encore )?reçu|n'ai pas (?:encore )?reçu",
        r"les|la|le|l'|vos|votre|des|une|un|du",
        r"avant|pour|afin|d'ici",
    ),
    "es": _thing_after(
        r"necesitamos|necesito|nos faltan?|me faltan?|faltan?|adjunto|te envío|le envío|no hemos recibido|"
        r"no he recibido",
        r"el|la|los|las|tu|tus|su|sus|un|una",
        r"antes|para|a más tardar",
    ),
    "de": _thing_after(
        r"(?:benötigen|benötige|brauchen|brauche|bräuchten|fehlt|fehlen|erwarten|vermissen|anbei)"
        r"(?:\s+(?:wir|ich|uns|mir))?(?:\s+(?:noch|bitte|dringend|leider))*",
        r"Ihre|Ihren|Ihr|die|den|das|eine|einen|ein|deine|dein|deinen",
        r"bis|vor|damit",
    ),
}


# "the expense reports for August are due on Friday. Please submit yours": the thing said before its state.
_THING_BEFORE = re.compile(
    r"(?:^|\b(?:that|reminder:?|noticed|see|saw|think|seems?)\s+)(?P<thing>(?:the|your|our|all)\s+[^.;:!?(),]+?)\s+"
    r"(?:is|are)\s+(?:now\s+|still\s+)?(?:due|overdue|missing|ready|attached|outstanding|down|broken|offline|full|"
    r"stuck|failing|leaking|not working)\b",
    FLAGS,
)


# "The new menu cards arrived", "Le devis du traiteur est arrivé", "Ya llegó el presupuesto del toldo", "Der
# Kostenvoranschlag ist da": what has just come in is what the ask after it points at.
_ARRIVED = {
    "en": re.compile(
        r"(?:^|[,:]\s*)(?P<thing>(?:the|your|our)\s+[^.;:!?(),]+?)\s+(?:has\s+|have\s+)?(?:just\s+)?(?:arrived|came in|"
        r"is here|are here|(?:is|are) (?:now )?ready)\b"
        r"|\b(?:attached|enclosed)\s+(?:is|are)\s+(?P<thing2>(?:the|your|our|an?)\s+[^.;:!?(),]+?)(?=\s*(?:[.;:!?(),]|$))",
        FLAGS,
    ),
    "fr": re.compile(
        r"(?:^|[,:]\s*)(?P<thing>(?:le|la|les|l'|votre|ton|ta|tes)\s*[^.;:!?(),]+?)\s+(?:est|sont)\s+(?:bien\s+|enfin\s+)?"
        r"(?:arrivée?s?|prête?s?|là)\b",
        FLAGS,
    ),
    "es": re.compile(
        r"(?:^|[,:]\s*)(?:(?:ya\s+)?(?:llegó|llegaron|ha\s+llegado|han\s+llegado)\s+(?P<thing>(?:el|la|los|las|tu|tus)\s+"
        r"[^.;:!?(),]+?)(?=\s*(?:[.;:!?(),]|$))|(?P<thing2>(?:el|la|los|las|tu|tus)\s+[^.;:!?(),]+?)\s+(?:ya\s+)?"
        r"(?:llegó|llegaron|ha\s+llegado|han\s+llegado|está\s+listo|está\s+lista|están\s+listos|están\s+listas)\b)",
        FLAGS,
    ),
    "de": re.compile(
        r"(?:^|[,:]\s*)(?P<thing>(?:der|die|das|dein|deine|Ihr|Ihre)\s+[^.;:!?(),]+?)\s+(?:ist|sind)\s+(?:jetzt\s+|endlich\s+)?"
        r"(?:da|angekommen|fertig|eingetroffen)\b",
        FLAGS,
    ),
}


def antecedent(previous: str, language: str = "en") -> str | None:
    """The thing the sentence before an ask says is needed, missing or attached, in its own words ("the
    receipts for your September expenses"), or None. It names a pronoun object in the ask after it; a short
    sentence may show no language of its own, so the ask's ``language`` is the default."""
    flat = " ".join(previous.split())
    language = sentence_language(flat) or language
    found = (
        _ANTECEDENT[language].search(flat)
        or (_THING_BEFORE.search(flat) if language == "en" else None)
        or _ARRIVED[language].search(flat)
    )
    if found is None:
        return None
    words = (found.groupdict().get("thing") or found.group("thing2")).split()
    if not 2 <= len(words) <= 14:
        return None
    if words[0].lower() in _DETERMINERS:
        words[0] = words[0].lower()  # "The new menu cards arrived": the sentence's capital is not the thing's
    return " ".join(words)


_DETERMINERS = frozenset(
    "the your our le la les votre ton ta tes el los las tu tus der die das dein deine".split()
)


# A thing that is only a version of something ("the final version", "la versión final", "le projet corrigé",
# "die finale Fassung"): of what, the subject line says.
_VERSION_OF = {
    "en": (r"(?:the|your|our|a|an)\s+(?:[\w-]+\s+){0,2}?(?:version|copy|draft|revision)", r"of\b", "of"),
    "es": (r"(?:el|la|los|las|tu|su|una?)\s+(?:versión|copia|borrador)(?:\s+(?:final|definitiva|corregida|"
           r"actualizada|revisada|nueva))?", r"(?:de|del)\b", "de"),
    "fr": (r"(?:la|le|les|votre|ta|une?)\s+(?:(?:nouvelle|dernière)\s+)?(?:version|copie|mouture)(?:\s+(?:finale|"
           r"définitive|corrigée|révisée|mise\s+à\s+jour))?", r"(?:de|du|des|d')", "de"),
    "de": (r"(?:die|eine|deine|Ihre)\s+(?:(?:finale|endgültige|neue|überarbeitete|korrigierte)\s+)?(?:Fassung|Version|"
           r"Kopie)", r"(?:des|der|vom|von)\b", "von"),
}  # fmt: skip


def version_of(thing: str, language: str, topic: str) -> str:
    """ "la versión final con los cambios que platicamos" -> "la versión final de contrato de arrendamiento
    2027" when the subject is "Contrato de arrendamiento 2027": a version names nothing until it says of
    what. ``thing`` as it is when it says of what already, or when there is no topic."""
    head, of_already, of = _VERSION_OF.get(language, _VERSION_OF["en"])
    # "the draft contract" is a contract: the version word must head the phrase, not qualify a noun after it.
    found = re.match(
        rf"(?P<head>{head})\b(?P<rest>(?:\s+(?:with|that|which|including|con|que|avec|qui|mit|{of_already})\b.*)?)$",
        thing,
        FLAGS,
    )
    if not topic or found is None or re.match(rf"\s+{of_already}", found.group("rest"), FLAGS):
        return thing
    named = topic if language == "de" else topic[0].lower() + topic[1:]
    return f"{found.group('head')} {of} {named}"


# A pronoun object in a French, Spanish or German ask: "Les déposer sur l'espace client", "enviarlos",
# "Senden Sie diese an…" (or, with the pronoun lost, "Senden Sie an…").
_PRONOUN_ASK: dict[str, list[tuple[re.Pattern[str], str]]] = {
    "fr": [(re.compile(r"^(?:les|la|le|l')\s*(?P<verb>[^\W\d_]+(?:er|ir|re))\b", FLAGS), "{verb} {thing}")],
    "es": [
        (
            re.compile(r"^(?P<verb>[^\W\d_]+?(?:ar|er|ir|ár|ér|ír))(?:me|nos|se)?(?:lo|la|los|las)\b", FLAGS),
            "{verb} {thing}",
        ),
    ],
    "de": [
        (
            re.compile(
                r"^(?P<verb>[^\W\d_]+)\s+Sie(?:\s+(?:diese|dieses|diesen|sie|es|ihn|die|das))?(?=\s+(?:an|bis|per|"
                r"über|nach|zu|zum|zur|bitte)\b|\s*$)",
                FLAGS,
            ),
            "{verb} Sie {thing}",
        ),
        # "Könnten Sie ihn uns bis Freitag schicken?" -> "Ihn uns schicken": the verb comes last.
        (re.compile(r"^(?:ihn|sie|es|diese[nms]?)(?:\s+(?:uns|mir|ihm|ihr))?(?=\s)", FLAGS), "{thing}"),
    ],
}
# "¿Nos lo puedes enviar?": the pronoun object stands before the modal, and the lead-in takes it away.
_CLITIC_BEFORE_MODAL = re.compile(
    r"(?:^|[¿,]\s*)(?:me|nos|se|te)?\s*(?:lo|la|los|las)\s+(?:podrías|podría|puedes|puede|podrían|pueden)\b",
    FLAGS,
)


def other_language_title(
    sentence: str, meeting: bool, sender: str, *, previous: str = "", language: str = "", topic: str = ""
) -> str | None:
    """The title of a Spanish, French or German ask: the sentence's own words, from the verb, without
    the lead-in, the date or the trailing punctuation; a meeting proposal is "Reunión con <name>"
    ("Réunion avec", "Treffen mit"). None when the sentence is not in one of those languages."""
    flat = " ".join(sentence.split())
    # ``language`` when the caller knows it (a short list item shows none of its own).
    language = language or sentence_language(flat) or ""
    if not language:
        return None
    if meeting:
        meeting_topic = re.search(_MEETING_TOPIC[language], flat, FLAGS)
        if meeting_topic:
            return _finish(f"{meeting_topic.group('noun')} {meeting_topic.group('topic')}")
        name = _sender_first_name(sender)
        title = _MEETING_TITLE[language].format(name=name) if name else _MEETING_TITLE_ALONE[language]
        # "¿podemos hablar mañana sobre el grupo de Sevilla?": the topic said anywhere in the sentence.
        about = re.search(_ABOUT[language], flat, FLAGS)
        if about:
            dated = about.group()
            for _phrase, start, end in reversed(find_due_phrases(dated)):
                dated = dated[:start] + dated[end:]
            return _finish(f"{title} {dated}") or title
        return title
    bill = _BILL_DUE[language][0].search(flat)
    if bill and not _REQUEST_RE[language].search(flat):
        thing = (
            re.sub(r"^(?:die|Ihre)\s+", "", bill.group("bill").strip(), flags=FLAGS)
            if language == "de"
            else bill.group("bill").strip()
        )
        return _finish(
            _BILL_DUE[language][1].format(bill=thing[0].lower() + thing[1:] if language != "de" else thing),
            dates=False,
        )
    text = flat
    for phrase, start, end in reversed(_due_phrases(text)):
        lead = re.search(_DATE_LEAD[language], text[:start], FLAGS)
        if "," in phrase and re.match(r"\s*,", text[end:]):
            # "bis Dienstag, 27.10., zusammenstellen": the comma after the date closes its apposition.
            end += text[end:].index(",") + 1
        text = text[: lead.start() if lead else start].rstrip() + text[end:]
    text = _GREETING.sub("", text, count=1) or text
    text, purpose = _ask_before_purpose(language, text)
    text = re.sub(_LEAD_IN[language], "", text, count=1, flags=FLAGS)
    text = re.sub(_REASON[language], "", text, count=1, flags=FLAGS)
    # "Pourriez-vous aussi m'envoyer…", "¿Podrías también…", "Könnten Sie mir außerdem…": the adverb belongs to
    # the ask (the "also" of a second ask), not to the task.
    text = re.sub(_ASK_ADVERB[language], "", text, count=1, flags=FLAGS)
    pattern, replacement = _TO_ME[language]
    text = re.sub(pattern, replacement, text, count=1, flags=FLAGS)
    text = _without_author_pronoun(language, text)
    text = re.sub(_PLEASE[language], "", text, flags=FLAGS)
    text = _infinitive_first(language, flat, text)
    text = re.sub(r"\s*\([^()]*\)", "", text)  # "(hängt an)", "(ver adjunto)": an aside, not the task
    if language == "es":
        # "revisar el contrato y decirme…", "pedírsela y mandármela": the author's pronoun on a second
        # infinitive goes (its accent with it); an object pronoun stays ("mandarla").
        text = re.sub(
            # At the end with no object, "y avisarme" keeps its pronoun: "y avisar" would read as cut short.
            r"(\sy\s+\w+?)([aeiáéí])r(?:me|nos)(?:(l[oa]s?)\b|\b(?=\s+\w))",
            lambda m: f"{m.group(1)}{'aeiaei'['aeiáéí'.index(m.group(2))]}r{m.group(3) or ''}",
            text,
            flags=FLAGS,
        )
    if language == "fr":
        # "Merci de compléter le formulaire et de me le renvoyer": the second verb's "de" and the author go.
        text = re.sub(r"\s+et\s+(?:de\s+|d['’])(?:(?:me|nous)\s+|m['’])?", " et ", text, flags=FLAGS)
        text = re.sub(r"\s+et\s+(?:(?:me|nous)\s+|m['’])(?=\w+(?:er|ir|re)\b)", " et ", text, flags=FLAGS)
    if language == "de":
        text = _german_to_do(text)
        # "Kannst du dich darum kümmern?" -> "Sich darum kümmern": a to-do's reflexive is "sich".
        text = re.sub(r"^(?:dich|euch)\b", "sich", text, count=1, flags=FLAGS)
        # "Logo dunkler machen", not "Das Logo dunkler machen": a German to-do leaves out the article before
        # a noun (an adjective after it, "einen ersten Entwurf", keeps it).
        text = re.sub(
            r"^(?:das|die|der|den|dem|ein|eine|einen)\s+(?=(?-i:[A-ZÄÖÜ])\w*\s)", "", text, flags=FLAGS
        )
    if purpose and language != "de":
        # "Para el pedido de enero necesito que me confirmes los kilos" -> "Confirmar los kilos para el pedido
        # de enero": the purpose says which kilos; a German to-do ends on its verb, so there it is left out.
        text = f"{text.rstrip(' ?.!')} {purpose[0].lower()}{purpose[1:]}"
    finished = _finish(text)
    if finished and previous and language == "de":
        finished = _german_pointer_named(finished, previous) or finished
    if not finished or not previous or language not in _PRONOUN_ASK:
        return finished
    thing = antecedent(previous, language)
    if thing is None:
        return finished
    thing = version_of(thing, sentence_language(" ".join(previous.split())) or language, topic)
    if language == "es" and _CLITIC_BEFORE_MODAL.search(flat):
        verb, _, rest = finished.partition(" ")
        return _finish(f"{verb} {thing} {rest}", dates=False)
    for pointer_ask, form in _PRONOUN_ASK[language]:
        pointing = pointer_ask.match(finished)
        if pointing is None:
            continue
        # "enviárnosla": the accent the pronouns needed goes with them.
        verb = re.sub(
            r"([áéí])r$",
            lambda m: "aei"["áéí".index(m.group(1))] + "r",
            pointing.groupdict().get("verb") or "",
        )
        if language == "de" and pointing.group().lower().startswith("ihn"):
            thing = re.sub(r"^der\b", "den", thing, flags=FLAGS)  # "ihn prüfen": the thing is the object
        named = form.format(verb=verb.lower(), thing=thing) + finished[pointing.end() :]
        return _finish(named, dates=False)
    return finished


# A bare month (or holiday) is a date only after a word that says when ("en enero", "antes de marzo", "fin
# janvier", "bis Januar"); elsewhere it says which thing ("el pedido de enero", "le concert de Noël", "para
# cerrar noviembre").
_MONTH = re.compile(
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    r"januar|jänner|februar|märz|april|juni|juli|august|september|oktober|dezember|"
    r"navidad|nochevieja|pascua|noël|pâques|weihnachten|silvester|ostern",
    FLAGS,
)
_MONTH_AS_DATE = re.compile(
    r"\b(?:en|para|antes\s+de|hasta|desde|durante|(?:a\s+)?(?:finales|principios|mediados)\s+de|pour|avant|d'ici|"
    r"jusqu'(?:en|à)|début|fin|mi-|courant|dès|im|bis|ab|vor|seit|Anfang|Ende|Mitte|zum)\s*$",
    FLAGS,
)


def _due_phrases(text: str) -> list[tuple[str, int, int]]:
    """The date phrases a title leaves out: all but a bare month that names a thing (``_MONTH_AS_DATE``)."""
    return [
        (phrase, start, end)
        for phrase, start, end in find_due_phrases(text)
        if not (_MONTH.fullmatch(phrase.strip()) and not _MONTH_AS_DATE.search(text[:start]))
    ]


# A purpose said before the ask ("Para el pedido de enero necesito que…", "Pour le dossier, pourriez-vous…",
# "Für den Bericht kannst du…"): the ask starts at its cue, and the purpose is said after the task.
_FRONTED_PURPOSE = {
    "es": r"^(?P<front>(?:para|en\s+cuanto\s+a|respecto\s+a)\s+[^,¿?]{3,60}?),?\s+(?=(?:necesito|necesitamos|"
    r"necesitaría|necesitaríamos)\s+(?:que|las?|los|el|tus?|sus?)\b|(?:te\s+pido|le\s+pido|quiero|queremos)\s+que\b|¿?\s*(?:me\s+|nos\s+)?(?:podrías|podría|puedes|puede)\b)",
    "fr": r"^(?P<front>(?:pour|concernant|quant\s+à)\s+[^,?]{3,60}?),?\s+(?=j'aurais\s+besoin\s+que|il\s+(?:me\s+|nous\s+)?"
    r"faudrait\s+que|(?:pourriez|pouvez|pourrais|peux)[- ](?:vous|tu)\b|merci\s+d)",
    "de": r"^(?P<front>(?:für|zum|zur|wegen|bezüglich)\s+[^,?]{3,60}?),?\s+(?=(?:könnten|können|würden|kannst|könntest|"
    r"würdest)\s+(?:sie|du)\b|(?:ich|wir)\s+(?:bräuchte|brauche|brauchen|bräuchten)\b)",
}
# Why the ask is made, after it: "…, porque cerramos la tostadora", "…, parce que…", "…, weil…".
_REASON = {
    "es": r",?\s+(?:porque|ya\s+que|puesto\s+que|para\s+que|así\s+que)\b.*$"
    r"|,\s*(?:sobre\s+todo|en\s+especial|especialmente|en\s+particular)\b.*$",
    "fr": r",?\s+(?:parce\s+qu(?:e\b|')|puisque\b|afin\s+(?:que|de|d')|pour\s+que\b|car\b).*$"
    r"|,\s*(?:surtout|notamment|en\s+particulier)\b.*$",
    "de": r",\s*(?:weil|da|denn|damit|sodass|so\s+dass|vor\s+allem|insbesondere|besonders)\b.*$",
}


def _ask_before_purpose(language: str, text: str) -> tuple[str, str]:
    """``text`` from its ask on, and the purpose said before it ("" when there is none)."""
    fronted = re.match(_FRONTED_PURPOSE[language], text, FLAGS)
    if fronted is None:
        return text, ""
    return text[fronted.end() :], fronted.group("front")


# What a German "darum"/"dafür" stands for: the thing the sentence before says must be done ("die Wartung für
# den Rotor muss noch beauftragt werden. Bitte kümmere dich darum").
_GERMAN_DUTY_THING = re.compile(
    r"(?:^|[:,]\s*|\b(?:dass|und)\s+)(?P<thing>(?:die|der|das|den|unsere?|eure?|deine?)\s+[^.;:!?,]+?)\s+"
    r"(?:muss|müssen|sollte|sollten|soll|sollen)\s+(?:\w+\s+){0,3}?\w+\s+werden\b",
    FLAGS,
)
_DA_POINTER = {"darum": "um", "dafür": "für", "darüber": "über"}


def _german_pointer_named(title: str, previous: str) -> str | None:
    """ "Sich darum kümmern" -> "Sich um die Wartung für den Ti-45-Rotor kümmern", when the sentence before
    says what must be done; None when it says nothing of the kind."""
    pointer = re.search(r"\b(?P<da>darum|dafür|darüber)\b", title, FLAGS)
    thing = _GERMAN_DUTY_THING.search(" ".join(previous.split()))
    if pointer is None or thing is None:
        return None
    # The thing was the subject ("der Vertrag"); after "um", "für" or "über" it is "den Vertrag".
    found = re.sub(r"^der\b", "den", thing.group("thing"), flags=FLAGS)
    named = f"{_DA_POINTER[pointer.group('da').lower()]} {found[0].lower()}{found[1:]}"
    return _finish(f"{title[: pointer.start()]}{named}{title[pointer.end() :]}", dates=False)


def _without_author_pronoun(language: str, text: str) -> str:
    """ "Mándame la lista" -> "mandar la lista", "Envoie-moi les photos" -> "Envoie les photos"."""
    first = text.split(" ", 1)[0].lower()
    if language == "es" and first in _SPANISH_IRREGULAR_IMPERATIVE:
        return _SPANISH_IRREGULAR_IMPERATIVE[first] + text[len(first) :]
    fixed = _IMPERATIVE_TO_ME.get(language)
    m = fixed.match(text) if fixed else None
    if m is None:
        return text
    if language == "es":
        # The accent the pronoun needed goes with it: "pása|me" -> "pasar".
        stem = m.group("stem").translate(str.maketrans("áéíóú", "aeiou"))
        return f"{stem.lower()}ar{text[m.end() :]}"
    return f"{m.group('verb')}{text[m.end() :]}"


def _infinitive_first(language: str, flat: str, text: str) -> str:
    """The verb a title starts with, as an infinitive: the Spanish subjunctive after "necesito que / te
    agradecería que" and the "¿me confirmas…?" form; the French subjunctive after "besoin que / il faudrait
    que"; in German, "zu verschieben" at the end loses its "zu", and "ich bräuchte X" asks for X to be sent."""
    if language == "es":
        if re.search(
            r"\b(?:necesito|necesitamos|necesitaríamos|necesitaría|quiero|queremos|te\s+pido|le\s+pido|"
            r"agradecer(?:ía|íamos))\s+que\s+\S+",
            flat,
            FLAGS,
        ):
            return _spanish_infinitive(text)
        if re.search(r"(?:^|[¿,]\s*)(?:me|nos)\s+\w+(?:as|es)\b[^?]*\?", flat, FLAGS):
            return _spanish_infinitive(text)
        # "necesito las facturas del mes": the reader sends what the author needs.
        text = re.sub(
            r"^(?:necesito|necesitamos|necesitaría|necesitaríamos)\s+(?=(?:las?|los|el|tus?|sus?|vuestr[oa]s?)\s)",
            "enviar ",
            text,
            flags=FLAGS,
        )
        return re.sub(r"^(?:recuerda|acuérdate\s+de|no\s+olvides)\s+", "", text, flags=FLAGS)
    if language == "fr" and re.search(r"\b(?:besoin|faudrait|faut)\s+que\s+(?:tu|vous)\b", flat, FLAGS):
        text = re.sub(r"^(?:m'|me\s+|nous\s+)", "", text, flags=FLAGS)
        first, _, rest = text.partition(" ")
        verb = re.sub(r"(?:iez|ions|es|e)$", "er", first.lower()) if len(first) > 3 else first
        verb = re.sub(r"yer$", "yer", verb)
        return f"{verb} {rest}".strip()
    if language == "de":
        # "Die Rechnung ist … zu bezahlen" -> "Die Rechnung bezahlen".
        text = re.sub(
            r"\s+(?:ist|sind)\s+(?=(?:[^\s?!]+\s+){0,8}?zu\s+\w+en\b)", " ", text, count=1, flags=FLAGS
        )
        text = re.sub(r"\bzu\s+(\w+en)\s*([?.!]*)$", r"\1\2", text, flags=FLAGS)
        # "uns die Vollmacht zurückzuschicken" -> "die Vollmacht zurückschicken".
        text = re.sub(
            r"\b(zurück|ab|an|auf|aus|ein|mit|vor|weiter|nach|her|hin|durch|vorbei|fest|frei|los|zu)zu(\w+en)\s*([?.!]*)$",
            r"\1\2\3",
            text,
            flags=FLAGS,
        )
        text = re.sub(r"^(?:uns|mir)\s+(?=\w)", "", text, flags=FLAGS)
        wanted = re.match(
            r"^(?:ich|wir)\s+(?:bräuchte|bräuchten|benötige|benötigen|brauche|brauchen)\s+(.+?)[?.!]*$",
            text,
            FLAGS,
        )
        if wanted:
            return f"{wanted.group(1)} senden"
    return text


# Words a German ask may start with that are no imperative: articles, pronouns, adverbs, modal verbs.
_GERMAN_NOT_A_VERB = frozenset(
    """der die das den dem des ein eine einen einem einer ich wir du ihr sie es er man mir uns dir euch hier
    da dort morgen heute anbei bitte danke auch noch nur wie was wann wo wer ob und oder aber denn dann kann
    können könnte könnten kannst könntest würde würden würdest soll sollen sollte solltet muss müssen müsst
    ist sind war hat haben habt wird werden gibt es am im zum zur vom beim bis vor nach mit für von zu in an
    auf aus bei über unter diese dieser dieses diesen nicht kein keine wäre wären hallo liebe lieber""".split()
)
# A separable verb's particle, which a German imperative puts at the end of its clause ("gebt … ab").
_GERMAN_PARTICLE = (
    r"ab|an|auf|aus|bei|ein|mit|nach|vor|weg|weiter|zurück|zusammen|durch|vorbei|fest|frei|los|her|hin|"
    r"herein|hoch|um|rein|raus|rüber"
)
_GERMAN_IRREGULAR_IMPERATIVE = {
    "gib": "geben", "nimm": "nehmen", "lies": "lesen", "sieh": "sehen", "hilf": "helfen", "sei": "sein",
    "seid": "sein", "vergiss": "vergessen", "sprich": "sprechen", "triff": "treffen", "wirf": "werfen",
    "iss": "essen", "tu": "tun", "tut": "tun", "empfiehl": "empfehlen", "gebt": "geben",
}  # fmt: skip
_GERMAN_IMPERATIVE = re.compile(
    rf"^(?P<verb>[^\W\d_]{{2,}})(?!\s+Sie\b)(?P<rest>(?:,?\s+(?!und\b)[^\s,;]+)+?)"
    rf"(?:\s+(?P<particle>{_GERMAN_PARTICLE}))?(?=\s*(?:[,;.!?]|\s+und\s+|$))",
    FLAGS,
)


def _german_infinitive(verb: str) -> str:
    """ "gebt" -> "geben", "schick" -> "schicken", "überweist" -> "überweisen", "sammelt" -> "sammeln"."""
    word = verb.lower()
    if word in _GERMAN_IRREGULAR_IMPERATIVE:
        return _GERMAN_IRREGULAR_IMPERATIVE[word]
    if word.endswith("t") and len(word) > 3:
        word = word[:-1]  # the "ihr" form: "schickt", "überweist"
        if word.endswith("e") and word[-2:-1] in ("t", "d"):
            word = word[:-1]  # "meldet", "arbeitet"
    if word.endswith(("el", "er")):
        return f"{word}n"
    if re.search(r"e[lr]e$", word):
        return f"{word[:-1]}n"  # "kümmere" -> "kümmern", "wechsele" -> "wechseln"
    if re.search(r"[bdgkmpstz]le$", word):
        return f"{word[:-2]}eln"  # "sammle" -> "sammeln", "handle" -> "handeln"
    return f"{word}n" if word.endswith("e") else f"{word}en"


def _german_to_do(text: str) -> str:
    """A "du" or "ihr" imperative as a German to-do, with the infinitive last: "gebt die Erklärung bei Frau
    Albers ab und überweist die 12 €" -> "die Erklärung bei Frau Albers abgeben" (the second verb starts a
    task of its own). The polite "Senden Sie … zurück" is a title as it stands and is left alone."""
    m = _GERMAN_IMPERATIVE.match(text.rstrip(" .!?"))
    if m is None or m.group("verb").lower() in _GERMAN_NOT_A_VERB:
        return text
    rest = re.sub(r"^[\s,]+", "", m.group("rest"))
    rest = re.sub(r"^(?:(?:mir|uns|doch|mal|noch|auch)\s+)+", "", rest, flags=FLAGS)
    rest = re.sub(r"\s*\bbitte\b", "", rest, flags=FLAGS).strip()
    words = rest.split()
    if not words or (not m.group("particle") and re.fullmatch(r"[a-zäöüß]+(?:en|ern|eln)", words[-1])):
        return text  # "Morgen die Folien schicken" already ends on its infinitive
    rest = re.sub(r"^(?:euch|dich)\b", "sich", rest, flags=FLAGS)  # "meldet euch bei Jonas"
    verb = f"{(m.group('particle') or '').lower()}{_german_infinitive(m.group('verb'))}"
    return f"{rest} {verb}"


# The subjunctive after "necesito que" ("reserves", "mandes", "hagas") and the infinitive a title needs.
_SPANISH_IRREGULAR = {
    "hagas": "hacer", "haga": "hacer", "pongas": "poner", "ponga": "poner", "digas": "decir", "diga": "decir",
    "traigas": "traer", "traiga": "traer", "vengas": "venir", "venga": "venir", "tengas": "tener",
    "tenga": "tener", "vayas": "ir", "vaya": "ir", "des": "dar", "dé": "dar", "veas": "ver", "vea": "ver",
}  # fmt: skip


def _spanish_infinitive(text: str) -> str:
    text = re.sub(r"^[¿¡]?\s*(?:me|nos|te|le|les|os)\s+", "", text, flags=FLAGS)
    first, _, rest = text.partition(" ")
    word = first.lower()
    if word in _SPANISH_IRREGULAR:
        verb = _SPANISH_IRREGULAR[word]
    elif re.fullmatch(r"\w+(?:aras|ara|ases)", word):
        verb = re.sub(r"(?:aras|ara|ases)$", "ar", word)  # "enviaras" -> "enviar"
    elif re.fullmatch(r"\w+(?:ieras|iera|ieses)", word):
        verb = re.sub(r"(?:ieras|iera|ieses)$", "er", word)  # "hicieras" stays rough; "leyeras" too
    elif re.fullmatch(r"\w+[ií]as", word):
        verb = re.sub(r"[ií]as$", "iar", word)  # "envías" -> "enviar"
    elif re.fullmatch(r"\w+as", word) and len(word) > 4:
        verb = re.sub(r"as$", "ar", word)  # "confirmas" -> "confirmar"
    elif re.fullmatch(r"\w+[ií]es|\w+[ií]e", word):
        verb = re.sub(r"[ií]es?$", "iar", word)  # "envíes" -> "enviar"
    elif word.endswith(("es", "e")) and len(word) > 3:
        verb = re.sub(r"es?$", "ar", word)  # "reserves" -> "reservar", "mande" -> "mandar"
    elif word.endswith(("as", "a")) and len(word) > 3:
        verb = re.sub(
            r"as?$", "ir" if word.rstrip("as").endswith(("rib", "cub", "sub", "abr")) else "er", word
        )
    else:
        return text
    return f"{verb} {rest}".strip()


def _finish(text: str, *, dates: bool = True) -> str | None:
    for _phrase, start, end in reversed(_due_phrases(text) if dates else []):
        text = text[:start] + text[end:]
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;:-–—.!?¿¡")
    if not text:
        return None
    text = text[0].upper() + text[1:]
    words = text.split()
    while len(words) > 2 and words[-1].lower() in _DANGLING:
        words.pop()  # "Cambiar el vuelo de los García al" once "25 de mayo" is gone
    text = " ".join(words).rstrip(" ,;:")
    if len(text) > MAX_TITLE_LENGTH:
        # Cut at a word, never mid-word or with an ellipsis, and not on a word that wants more after it.
        words = text[: MAX_TITLE_LENGTH + 1].rsplit(" ", 1)[0].rstrip(" ,;:").split()
        while len(words) > 2 and words[-1].lower() in _DANGLING:
            words.pop()
        text = " ".join(words).rstrip(" ,;:")
    return text


_DANGLING = frozenset(
    """de del la el los las un una a al en y o con por para que su sus le les du des et ou à au aux pour avec
    sur dans der die das den dem des ein eine einen und oder zu zum zur mit für von im am an auf""".split()
)
