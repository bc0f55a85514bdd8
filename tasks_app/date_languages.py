"""Dates written in Spanish, French and German: Duckling finds the day, our conventions set the time.

Duckling (the ``pyduckling-native-phihos`` wheel) was chosen over dateparser's ``search_dates`` by
measurement on ``eval_data/date_phrases.jsonl`` (``bench/date_libraries.py``; figures in
docs/extraction.md). It is only asked about a text that has a date word of one of these languages
(``date_language``), so English mail never pays for it.

The split of the work:

- Duckling says **which day**: weekdays, "mañana", "übermorgen", "le 20 octobre", "15/03", "in 3 Tagen",
  "la semaine prochaine"... It gets the sender's wall clock (the Date header in its own offset) as its
  reference, so "mañana" in a mail sent 23:00 Monday in Mexico City is Tuesday for a reader in Madrid.
- Our rules say **what time**, as in English (tasks_app/dates.py): a day without a time is the 17:00
  deadline; "fin de journée" / "Feierabend" = 17:00; morning 09:00, afternoon 14:00, evening 19:00,
  midday 12:00; a bare hour 1-6 is pm ("a las 3" = 15:00); a time without a day is its next occurrence.
  "next <weekday>" ("el próximo martes", "mardi prochain", "nächsten Dienstag") is that weekday in the
  next calendar week, end of week = Friday, end of month = its last day. A zone named by place ("hora de
  Londres", "heure de Paris", "Londoner Zeit") is where the phrase resolves.
- Where Duckling reads differently or not at all, our rules decide (``_day_by_convention``): numeric
  dates are day/month and a dotted pair is a date, not a clock ("bis zum 18.11.") unless a time word
  follows or "um"/"à"/"a las" leads it; a weekday with its day number is that date ("viernes 13"); a day
  number alone is this or next month's ("avant le 3"); end of next week, mid / end of a month, German
  weekday compounds ("Freitagmittag"). A day already past ("el lunes pasado") is no due date.
- A day and its time said apart are found as one phrase ("mañana antes de las 12"), because the extractor
  resolves each found phrase alone.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from tasks_app.dates import (
    DEADLINE_DEFAULT,
    EOD,
    ResolvedDate,
    foreign_place_zone,
    sender_date,
)

logger = logging.getLogger(__name__)

__all__ = ["LANGUAGES", "date_language", "find_foreign_due_phrases", "resolve_foreign_due"]

LANGUAGES = ("es", "fr", "de")
FLAGS = re.IGNORECASE

_WEEKDAYS: dict[str, dict[str, int]] = {
    "es": {"lunes": 0, "martes": 1, "miércoles": 2, "miercoles": 2, "jueves": 3, "viernes": 4,
           "sábado": 5, "sabado": 5, "domingo": 6},
    "fr": {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6},
    "de": {"montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5,
           "sonnabend": 5, "sonntag": 6},
}  # fmt: skip
_MONTHS = {
    "es": r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre",
    "fr": r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre"
    r"|decembre",
    "de": r"januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember",
}
# A word that says which day. Names that are English words too ("April", "November") only count after a
# day number ("3. November", "le 3 avril").
_DAY_WORDS = {
    "es": r"hoy|mañana|pasado\s+mañana|semana|mes|dentro\s+de\s+\d+|final\s+de(?:l)?\s+mes|(?:el|del)\s+\d{1,2}(?![\d%,.:/])",
    "fr": r"aujourd'hui|demain|après-demain|semaine|mois|dans\s+\d+\s+jours?|d'ici|(?:le|au)\s+\d{1,2}(?:er)?(?![\d%,.:/])",
    "de": r"heute|morgen|übermorgen|woche|monats?|in\s+\d+\s+tagen|(?:am|zum|vom|den)\s+\d{1,2}(?=\.(?!\d))"
    r"|(?:mitte|ende|anfang)\s+(?:januar|februar|märz|april|mai|juni|juli|august|september|oktober|november"
    r"|dezember)",
}
_COUNTS = {
    "es": r"(?:\d+|un|una|dos|tres|cuatro|cinco|seis|siete|diez)\s+(?:días|dias|semanas)",
    "fr": r"(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|dix)\s+(?:jours|semaines)",
    "de": r"(?:\d+|einem|einer|zwei|drei|vier|fünf|sechs|sieben|zehn)\s+(?:tagen?|wochen)",
}


# German writes a weekday and a part of the day as one word: "Freitagmittag", "Montagvormittag".
_WEEKDAY_SUFFIX = {"de": "(?:vormittags?|nachmittags?|mittags?|abends?|morgens?|früh)?"}


def _day_pattern(language: str) -> str:
    """Words of ``language`` that say which day (numeric dates are in _NUMERIC_DATE: they name no language)."""
    weekdays = "|".join(_WEEKDAYS[language])
    months = _MONTHS[language]
    return (
        rf"\b(?:{weekdays}){_WEEKDAY_SUFFIX.get(language, '')}\b|\b(?:{_DAY_WORDS[language]})\b|\b{_COUNTS[language]}\b"
        rf"|\b\d{{1,2}}(?:er|\.)?\s+(?:de\s+)?(?:{months})\b|\b(?:{months})\b(?<!\bapril)(?<!\baugust)"
        rf"(?<!\bseptember)(?<!\bnovember)(?<!\bmai)(?<!\bmars)"
    )


_NUMERIC_DATE = r"|(?<![\d/.])\d{1,2}[/.]\d{1,2}(?:[/.](?:\d{4}|\d{2}))?\b\.?"
_NUMERIC = re.compile(_NUMERIC_DATE[1:])
_DAY = {language: re.compile(_day_pattern(language) + _NUMERIC_DATE, FLAGS) for language in LANGUAGES}
# Time words that only one language uses; with _DAY they decide that a text is in that language.
_TIME_CUES = {
    "es": r"\b(?:dentro\s+de|en\s+las\s+próximas)\s+(?:\d+|una|dos|tres|cuatro)\s+horas?\b|\ba\s+las?\s+(?:\d|(?:una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce)\b)|\bde\s+la\s+(?:mañana|tarde|noche)\b|\besta\s+(?:tarde|noche)\b",
    "fr": r"\b(?:à|vers|avant|dès|jusqu'à|de)\s+\d{1,2}\s*h(?:\s*\d{2})?\b"
    r"|\b(?:à|vers|dans|d'ici)\s+(?:\d+|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze)\s+heures?\b|\b\d{1,2}h\d{2}\b|\bce\s+soir\b|\bcet\s+après-midi\b|\bfin\s+de\s+journée\b",
    "de": r"\b\d{1,2}(?:[:.]\d{2})?\s*uhr\b|\bum\s+\d|\bfeierabend\b"
    r"|\b(?:in|innerhalb)\s+(?:von\s+|der\s+nächsten\s+)?(?:\d+|einer|zwei|drei|vier|sechs|zwölf|24|48)\s+stunden?\b"
    r"|\b(?:halb|viertel\s+(?:nach|vor)|dreiviertel)\s+(?:\d{1,2}|eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun"
    r"|zehn|elf|zwölf)\b",
}
# Single words that are a time of day only in that language's context ("midi" is also MIDI).
_WEAK_TIME_CUES = {"es": r"\bmediodía\b", "fr": r"\bmidi\b", "de": r"\b(?:mittag|nachmittag|abend)\b"}
_STRONG = {
    language: re.compile(rf"{_day_pattern(language)}|{_TIME_CUES[language]}", FLAGS) for language in LANGUAGES
}
_CUE = {
    language: re.compile(
        rf"{_day_pattern(language)}|{_TIME_CUES[language]}|{_WEAK_TIME_CUES[language]}", FLAGS
    )
    for language in LANGUAGES
}
_ANY_CUE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in _CUE.values()), FLAGS)
# Words that mark the language itself, to tell "mañana" (es) from an English sentence quoting it: at
# least one date word and the language wins when it has more of these than the others.
_FUNCTION_WORDS = {
    "es": r"\b(?:el|la|los|las|del|de|antes|para|por|podemos|podrías|puedes|gracias|que|hasta|con)\b",
    "fr": r"\b(?:le|la|les|du|de|avant|pour|pouvez|pourriez|merci|que|jusqu'à|d'ici|à)\b",
    "de": r"\b(?:der|das|den|dem|am|um|bis|zum|zur|bitte|können|könnten|sie|wir|uns|vom|von)\b",
}
_FUNCTION = {language: re.compile(pattern, FLAGS) for language, pattern in _FUNCTION_WORDS.items()}


@functools.lru_cache(maxsize=4096)
def date_language(text: str) -> str | None:
    """The language ("es", "fr", "de") of the date words in ``text``, or None (English or no date)."""
    if not _ANY_CUE.search(text) and not _NUMERIC.search(text):
        return None
    best: tuple[int, int, str] | None = None
    for language in LANGUAGES:
        cues = len(_CUE[language].findall(text))
        if not cues:
            continue
        words = len(_FUNCTION[language].findall(text))
        if not words and not _STRONG[language].search(text):
            # Only a time word ("midi", "Abend") in an English sentence: not enough to call it French.
            continue
        score = (cues, words, language)
        if best is None or score[:2] > best[:2]:
            best = score
    if best is None and _NUMERIC.search(text):
        # "para el 20/06": a numeric date names no language; two of its small words do, or one in a short
        # phrase ("del 10/06", the phrase found in a longer Spanish sentence).
        ranked = sorted((len(set(_FUNCTION[lang].findall(text.lower()))), lang) for lang in LANGUAGES)
        needed = 1 if len(text.split()) <= 3 else 2
        if ranked[-1][0] >= needed and ranked[-1][0] > ranked[-2][0]:
            return ranked[-1][1]
    return best[2] if best else None


@dataclass(frozen=True)
class _Clock:
    time: dt.time
    end: dt.time | None = None


_HOUR = r"(?<![/.\d])(?P<{n}h>\d{{1,2}})(?:\s*(?:[:.]|h)\s*(?P<{n}m>\d{{2}}))?"
_CLOCK_LEAD = {
    "es": r"(?:a|hasta|antes\s+de|desde|sobre)\s+las?\s+",
    "fr": r"(?:à|avant|vers|jusqu'à|dès)\s+",
    "de": r"(?:um|bis|ab|gegen|vor)\s+",
}
_RANGE_LEAD = {"es": r"de\s+|entre\s+", "fr": r"de\s+|entre\s+", "de": r"von\s+|zwischen\s+"}
# "dentro de 3 días", "in 3 Tagen": a count, not a clock.
_NOT_A_CLOCK = r"(?!\s*(?:d[ií]as|semanas|mes|jours|semaines|mois|tagen|wochen|monat|minut|stunden))"
_CLOCK_MARK = r"(?:\s*(?:h\b|uhr\b|horas?\b|heures?\b))?"
_RANGE_WORD = r"\s*(?:-|–|—|a\s+las?|a|à|bis|hasta)\s*"
_AFTERNOON_MARK = re.compile(
    r"de\s+la\s+(?:tarde|noche)|de\s+l'après-midi|du\s+soir|nachmittags|abends|p\.?m\.?\b"
    r"|\b(?:esta|por\s+la)\s+(?:tarde|noche)|\bce\s+soir|\b(?:cet\s+)?après-midi|\b(?:heute\s+)?(?:abend|nachmittag)\b"
    r"|(?<=tag)(?:abend|nachmittag)",
    FLAGS,
)
_MORNING_MARK = re.compile(r"de\s+la\s+mañana|du\s+matin|morgens|früh|vormittags|a\.?m\.?\b", FLAGS)
_PARTS = {
    "es": [(r"por\s+la\s+mañana|de\s+la\s+mañana|temprano|primera\s+hora", 9), (r"por\s+la\s+tarde|esta\s+tarde", 14),
           (r"por\s+la\s+noche|esta\s+noche", 19), (r"mediodía|medio\s+día", 12)],
    "fr": [(r"matin|matinée|première\s+heure", 9), (r"après-midi", 14), (r"soir|soirée", 19), (r"midi", 12)],
    "de": [(r"früh|morgens|vormittags?|(?<=tag)morgen", 9), (r"nachmittags?", 14),
           (r"abends?", 19), (r"mittags?", 12)],
}  # fmt: skip
_EOD = {
    "es": r"final\s+del\s+día|fin\s+del\s+día|fin\s+de\s+la\s+jornada|cierre\s+del\s+día",
    "fr": r"fin\s+de\s+(?:la\s+)?journée|fin\s+de\s+la\s+journée",
    "de": r"feierabend|dienstschluss|geschäftsschluss|tagesende|ende\s+des\s+tages",
}
_END_OF = {
    # "esta semana", "cette semaine", "diese Woche": by the end of it, as "this week" in English.
    "es": (
        r"finale?s?\s+de(?:l)?\s+(?:la\s+|esta\s+)?semana|esta\s+semana",
        r"finale?s?\s+de(?:l)?\s+(?:este\s+)?mes|fin\s+de(?:l)?\s+mes",
    ),
    "fr": (r"fin\s+de\s+(?:la\s+)?semaine|cette\s+semaine", r"fin\s+d(?:u|e)\s+mois"),
    "de": (r"ende\s+der\s+woche|wochenende|diese\s+woche|dieser\s+woche", r"ende\s+des\s+monats|monatsende"),
}
_NEXT_WEEKDAY = {
    "es": r"(?:próximo|proximo)\s+(?P<wd>{wd})|(?P<wd2>{wd})\s+que\s+viene"
    r"|(?P<wd3>{wd})\s+de\s+la\s+(?:semana\s+que\s+viene|pr[óo]xima\s+semana)"
    r"|(?:semana\s+que\s+viene|pr[óo]xima\s+semana),?\s+(?:el\s+)?(?P<wd4>{wd})",
    "fr": r"(?P<wd>{wd})\s+prochain|(?P<wd3>{wd})\s+de\s+la\s+semaine\s+prochaine"
    r"|semaine\s+prochaine,?\s+(?:le\s+)?(?P<wd4>{wd})",
    "de": r"(?:nächsten|nächster|kommenden)\s+(?P<wd>{wd})|(?P<wd2>{wd}),?\s+(?:nächste[rn]?|kommende[rn]?)\s+woche"
    r"|(?:nächste[rn]?|kommende[rn]?)\s+woche,?\s+(?:am\s+)?(?P<wd4>{wd})",
}


def _hour_of(hour: int, minute: int | None, marks: str) -> int:
    if _AFTERNOON_MARK.search(marks) and hour < 12:
        return hour + 12
    if _MORNING_MARK.search(marks) or (minute is not None and hour >= 7):
        return hour
    # Business hours, as in English: "a las 3", "um 4", "à 5h" are afternoon.
    return hour + 12 if 1 <= hour <= 6 else hour


_HOUR_NAMES = {
    "es": "una uno dos tres cuatro cinco seis siete ocho nueve diez once doce",
    "fr": "une un deux trois quatre cinq six sept huit neuf dix onze douze",
    "de": "eins ein zwei drei vier fünf sechs sieben acht neun zehn elf zwölf",
}
_HOUR_NUMBERS = {
    language: {name: (1 if index < 2 else index) for index, name in enumerate(names.split())}
    for language, names in _HOUR_NAMES.items()
}
# "a las tres y media", "um halb drei" (2:30), "Viertel nach 10", "à trois heures et quart".
_SPOKEN = {
    "es": r"\b(?:a|hasta|antes\s+de|desde|sobre|hacia)\s+las?\s+(?P<h>\d{{1,2}}|{names})"
    r"(?:\s+(?P<rel>y\s+media|y\s+cuarto|menos\s+cuarto))?\b(?!:)",
    "fr": r"\b(?:à|vers|avant|dès|jusqu'à)\s+(?P<h>\d{{1,2}}|{names})\s*(?:h|heures?)"
    r"(?:\s+(?P<rel>et\s+demie|et\s+quart|moins\s+le\s+quart))?\b",
    "de": r"\b(?P<rel>halb|viertel\s+nach|viertel\s+vor|dreiviertel)\s+(?P<h>\d{{1,2}}|{names})\b",
}
_SPOKEN_OFFSET = {"y media": 30, "y cuarto": 15, "menos cuarto": -15, "et demie": 30, "et quart": 15,
                  "moins le quart": -15, "halb": -30, "viertel nach": 15, "viertel vor": -15,
                  "dreiviertel": -15}  # fmt: skip


# A noun right after a number: "las dos personas", "trois semaines" (not "de la tarde", "en punto").
_COUNTED = re.compile(
    r"\s+(?!de\b|del\b|en\s+punto|horas?\b|heures?\b|uhr\b|y\b|o\b|et\b)[^\W\d_]{3,}", FLAGS
)


def _spoken_clock(text: str, language: str) -> _Clock | None:
    m = re.search(_SPOKEN[language].format(names="|".join(_HOUR_NAMES[language].split())), text, FLAGS)
    if m is None:
        return None
    raw = m.group("h").lower()
    if raw.isdigit() and not m.group("rel"):
        return None  # "a las 3", "à 15h": the clock rules read digits
    if not m.group("rel") and _COUNTED.match(text, m.end()):
        return None  # "a las dos personas": a count
    hour = int(raw) if raw.isdigit() else _HOUR_NUMBERS[language][raw]
    if not 1 <= hour <= 12 and not (language != "de" and hour <= 23):
        return None
    hour = _hour_of(hour, None, text)
    offset = _SPOKEN_OFFSET[" ".join(m.group("rel").lower().split())] if m.group("rel") else 0
    moment = dt.datetime.combine(dt.date(2000, 1, 2), dt.time(hour % 24)) + dt.timedelta(minutes=offset)
    return _Clock(moment.time())


def _clock(text: str, language: str) -> _Clock | None:
    """The time of day the phrase states: a clock or range, a part of the day, or end of day."""
    spoken = _spoken_clock(text, language)
    if spoken is not None:
        return spoken
    lead = _CLOCK_LEAD[language]
    first, second = _HOUR.format(n="a"), _HOUR.format(n="b")
    ranges = re.finditer(
        rf"(?:\b(?:{lead}|{_RANGE_LEAD[language]})|\b){first}{_CLOCK_MARK}{_RANGE_WORD}{second}{_CLOCK_MARK}{_NOT_A_CLOCK}"
        # "entre 14h et 15h", "zwischen 14 und 15 Uhr": "and" joins two times only after "between".
        rf"|\b(?:entre|zwischen)\s+(?:las?\s+)?{_HOUR.format(n='c')}{_CLOCK_MARK}\s*(?:y|et|und)\s*(?:las?\s+)?"
        rf"{_HOUR.format(n='d')}{_CLOCK_MARK}{_NOT_A_CLOCK}",
        text,
        FLAGS,
    )
    singles = re.finditer(
        rf"(?:\b(?:{lead}){first}{_CLOCK_MARK}{_NOT_A_CLOCK}|\b(?P<c24>\d{{1,2}})[:.](?P<c24m>\d{{2}})\b"
        rf"|\b{second}\s*(?:h(?:(?=\d{{2}}\b)(?P<hm>\d{{2}}))?\b|uhr\b))",
        text,
        FLAGS,
    )
    ranged = next((m for m in ranges if not _is_day_month(text, m, language)), None)
    single = next((m for m in singles if not _is_day_month(text, m, language)), None)
    marks = text
    if ranged:
        h1, m1 = int(ranged.group("ah") or ranged.group("ch")), ranged.group("am") or ranged.group("cm")
        h2, m2 = int(ranged.group("bh") or ranged.group("dh")), ranged.group("bm") or ranged.group("dm")
        start_h, end_h = (
            _hour_of(h1, int(m1) if m1 else None, marks),
            _hour_of(h2, int(m2) if m2 else None, marks),
        )
        if start_h > end_h and end_h < 12:
            end_h += 12
        if 0 <= start_h <= 23 and 0 <= end_h <= 23:
            return _Clock(dt.time(start_h, int(m1 or 0)), dt.time(end_h, int(m2 or 0)))
    if single:
        if single.group("c24"):
            hour, minute = int(single.group("c24")), int(single.group("c24m"))
        else:
            raw_hour = single.group("ah") or single.group("bh")
            raw_minute = single.group("am") or single.group("bm") or single.group("hm")
            hour = _hour_of(int(raw_hour), int(raw_minute) if raw_minute else None, marks)
            minute = int(raw_minute or 0)
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return _Clock(dt.time(hour, minute))
    if re.search(_EOD[language], text, FLAGS):
        return _Clock(EOD)
    for pattern, hour in _PARTS[language]:
        if re.search(rf"(?:\b|(?<=tag))(?:{pattern})", text, FLAGS):
            return _Clock(dt.time(hour, 0))
    return None


# Words that only ever lead a clock time: "um 10.10" is ten past ten, "bis zum 10.10." the 10th of October.
_CLOCK_ONLY_LEAD = {
    "es": r"(?:a|sobre|hacia|desde)\s+las?",
    "fr": r"à|vers|dès",
    "de": r"um|gegen|ab",
}
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})(?![\d:])")
_TIME_MARK_AFTER = re.compile(r"\s*(?:uhr|h|horas?|heures?)\b", FLAGS)


def _is_day_month(text: str, match: re.Match[str], language: str) -> bool:
    """Whether a clock candidate is really a dotted day and month ("bis zum 18.11.", "am 19.03."): it
    could be a date, no time word follows it, and no word that only leads a clock comes before it."""
    dotted = _DOTTED.search(match.group(0))
    if dotted is None:
        return False
    day, month = int(dotted.group(1)), int(dotted.group(2))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return False
    number_end = match.start() + dotted.end()
    if _TIME_MARK_AFTER.match(text, number_end):
        return False
    before = text[: match.start() + dotted.start()]
    return not re.search(rf"\b(?:{_CLOCK_ONLY_LEAD[language]})\s*$", before, FLAGS)


@functools.cache
def _duckling() -> tuple[Any, Any, Any] | None:
    """The Duckling module, its zone table and the "time" dimension, loaded once per process; None where
    the wheel is not installed (it is built for Linux x86-64 only, see requirements.txt)."""
    try:
        import duckling
    except ImportError:
        logger.warning(
            "pyduckling-native-phihos is not installed: Spanish, French and German dates are not read "
            "(only weekdays, clock times and end of week / month). It has wheels for Linux x86-64 only."
        )
        return None
    # Duckling is only given UTC (see _parse): the table just has to exist.
    zones = duckling.load_time_zones(str(resources.files("tzdata").joinpath("zoneinfo")))
    return duckling, zones, duckling.parse_dimensions(["time"])


@functools.cache
def _locale(language: str) -> Any:
    loaded = _duckling()
    assert loaded is not None
    duckling, _zones, _dimensions = loaded
    return duckling.default_locale_lang(duckling.parse_lang(language.upper()))


# A sentence is parsed for its phrases and again for its due date: keep the answers.
@functools.lru_cache(maxsize=1024)
def _parse(text: str, language: str, wall: dt.datetime) -> tuple[dict[str, Any], ...]:
    """Duckling's time entities in ``text`` with ``wall`` (naive, the sender's clock) as now.

    Duckling reads zone files in the system's layout and silently falls back to UTC on the tzdata
    package's; so it is told the wall clock is UTC, and its answers are read as wall times."""
    loaded = _duckling()
    if loaded is None:
        return ()
    duckling, zones, dimensions = loaded
    now = int(wall.replace(tzinfo=dt.UTC).timestamp())
    context = duckling.Context(duckling.parse_ref_time(zones, "UTC", now), _locale(language))
    found: list[dict[str, Any]] = duckling.parse(text, context, dimensions, False)
    return tuple(found)


def _entity_day(entity: dict[str, Any], wall: dt.datetime) -> dt.date | None:
    value = entity["value"]
    point = value if "value" in value else (value.get("from") or value.get("to"))
    if value.get("to") and point is value.get("from"):
        # "dentro de 3 días", "d'ici vendredi": from now until a day; the day is the end.
        if dt.datetime.fromisoformat(value["from"]["value"]).replace(tzinfo=None) == wall:
            point = value["to"]
    if not point:
        return None
    return dt.datetime.fromisoformat(point["value"]).date()


def find_foreign_due_phrases(text: str, language: str) -> list[tuple[str, int, int]]:
    """(phrase, start, end) of each date/time phrase in ``text``: Duckling's, with a zone named by place
    right after it ("... hora de Londres") and words that shift its day before it ("Ende nächster
    Woche") included, plus those only our conventions read ("antes del 20/11", "avant le 3"). A day and
    a time said together ("mañana antes de las 12") are one phrase."""
    spans = []
    for entity in _parse(text, language, dt.datetime(2026, 1, 1, 12, 0)):
        if _is_a_count(text, entity, language):
            continue
        start, end = _with_lead_in(text, int(entity["start"]), language), int(entity["end"])
        # Duckling may take the first word of the zone ("... a las 10 hora" of "hora de Londres").
        zone = foreign_place_zone(text[start:], anchored=False)
        if zone is not None and zone[2] <= end - start + 2:
            end = max(end, start + zone[2] + zone[1])
        spans.append((start, end))
    for m in _convention_phrase(language).finditer(text):
        # Overlaps merge below: "el 24/11 a las 16:30" is read by Duckling as "el 24", "11 a", "a las 16:30".
        if m.end() > m.start():
            spans.append((_with_lead_in(text, m.start(), language), m.end()))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start < merged[-1][1] or _FOREIGN_JOINER.match(text[merged[-1][1] : start])):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(text[start:end], start, end) for start, end in merged]


# Words before a date that change which day it is: "Ende nächster Woche", "a mediados de noviembre".
_LEAD_IN = {
    "es": r"(?:a\s+)?(?:mediados|finales|principios|final|fin)\s+de(?:l|\s+la)?\s*$",
    "fr": r"(?:à\s+la\s+)?(?:fin|début|milieu)\s+(?:de\s+la\s+|du\s+|de\s+|d')?$",
    "de": r"(?:ende|anfang|mitte)\s+(?:der\s+|des\s+)?$",
}
# What may sit between a day and its time in one phrase ("mañana antes de las 12", "lundi, à 10h").
_FOREIGN_JOINER = re.compile(
    r"^[\s,]*(?:(?:antes\s+de|hasta|desde|sobre|a(?:\s+la)?|por\s+la|en|avant|à(?:\s+la)?|vers|dès|jusqu'à"
    r"|bis|um|gegen|vor|ab|am)\s*)?$",
    FLAGS,
)


def _with_lead_in(text: str, start: int, language: str) -> int:
    lead = re.search(_LEAD_IN[language], text[max(0, start - 30) : start], FLAGS)
    return start - (len(text[max(0, start - 30) : start]) - lead.start()) if lead else start


@functools.cache
def _convention_phrase(language: str) -> re.Pattern[str]:
    """Day phrases our conventions read that Duckling may miss (see _day_by_convention)."""
    months = _MONTHS[language]
    end_week, end_month = _END_OF[language]
    return re.compile(
        rf"\b(?:{_END_OF_NEXT_WEEK[language]}|{end_week}|{end_month})\b"
        rf"|\b(?:{_MID_MONTH[language]}|{_END_OF_MONTH_NAME[language]})(?:{months})\b"
        rf"|{_NUMERIC_DAY.pattern}|{_ORDINAL_DAY[language]}{_NOT_A_DAY_AFTER.format(months=months)}"
        rf"|{_IN_COUNT.pattern}|{_IN_HOURS.pattern}"
        + (
            rf"|\b(?:{'|'.join(_WEEKDAYS[language])}){_WEEKDAY_SUFFIX[language]}\b"
            if language in _WEEKDAY_SUFFIX
            else ""
        )
        + rf"|\b(?:{'|'.join(pattern for pattern, _hour in _PARTS[language])}|{_EOD[language]})\b",
        FLAGS,
    )


def _is_a_count(text: str, entity: dict[str, Any], language: str) -> bool:
    """Duckling reads "el 3" of "el 3 de 10 candidatos" as the 3rd and "a las dos" of "a las dos personas"
    as 2 o'clock: a day number our rules don't take as a day (see _ORDINAL_DAY), or an hour word before a
    noun, is a count."""
    start, end = int(entity["start"]), int(entity["end"])
    hour_word = rf"\b(?:{'|'.join(_HOUR_NAMES[language].split())})$"
    if re.search(hour_word, text[start:end], FLAGS) and _COUNTED.match(text, end):
        return True  # "a las dos personas"
    if not re.fullmatch(_ORDINAL_DAY[language].removeprefix(r"\b") + r"\.?", text[start:end], FLAGS):
        return False
    return not re.match(
        _ORDINAL_DAY[language] + _NOT_A_DAY_AFTER.format(months=_MONTHS[language]), text[start:], FLAGS
    )


def _first_entity(
    entities: tuple[dict[str, Any], ...], wall: dt.datetime, today: dt.date, text: str, language: str
) -> dict[str, Any] | None:
    """The entity the phrase is about: the first one, but not a day already past ("gestern", "el lunes
    pasado") when a later one follows; of two readings of the same words, the one without alternatives
    ("mañana por la mañana" is also read as this morning)."""
    for index, entity in enumerate(entities):
        if _is_a_count(text, entity, language):
            continue
        same = [e for e in entities if (e["start"], e["end"]) == (entity["start"], entity["end"])]
        entity = min(same, key=lambda e: len(e["value"].get("values", ())))
        day = _entity_day(entity, wall)
        later = any(e["start"] >= entity["end"] for e in entities[index + 1 :])
        if day is not None and day < today and later:
            continue
        return entity
    return None


def _localize(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC).astimezone(zone)


def resolve_foreign_due(
    phrase: str, *, reference: dt.datetime, timezone: str, language: str
) -> ResolvedDate | None:
    """Resolve the first date/time phrase of ``phrase`` written in ``language`` (see the module doc)."""
    stated = foreign_place_zone(phrase, anchored=False)
    zone_name = stated[0] if stated else timezone
    zone = ZoneInfo(zone_name)
    text = phrase[: stated[2]] + phrase[stated[2] + stated[1] :] if stated else phrase
    today = sender_date(reference, fallback_zone=zone)
    sender_clock = reference if reference.utcoffset() != dt.timedelta(0) else reference.astimezone(zone)
    wall = dt.datetime.combine(today, sender_clock.time())

    hours = _IN_HOURS.search(text)
    if hours and not _IN_COUNT.search(text[: hours.start()]):
        # "dentro de 2 horas", "dans une heure", "in zwei Stunden": an instant, as "in 2 hours".
        raw = hours.group("hcount").lower()
        amount = int(raw) if raw.isdigit() else _COUNT_WORDS[raw]
        unit = hours.group("hunit").lower()
        delta = dt.timedelta(minutes=amount) if unit.startswith("min") else dt.timedelta(hours=amount)
        due = (reference + delta).astimezone(zone)
        return ResolvedDate(due, True, None, text[hours.start() : hours.end()], zone_name, stated is not None)
    entity = _first_entity(_parse(text, language, wall), wall, today, text, language)
    own = _convention_phrase(language).search(text)
    if entity is not None:
        start, end = _with_lead_in(text, int(entity["start"]), language), int(entity["end"])
        if own and own.start() < end and start < own.end():
            # "la fin de la semaine" + "prochaine": our reading of the same words may be longer.
            start, end = min(start, own.start()), max(end, own.end())
        elif own and own.end() <= start and _FOREIGN_JOINER.match(text[own.end() : start]):
            start = own.start()  # "am Dienstagnachmittag um 3": our day, Duckling's time
    else:
        # Nothing Duckling knows; our own conventions may still name a day ("antes del 20/11").
        start, end = (_with_lead_in(text, own.start(), language), own.end()) if own else (0, len(text))
    body = text[start:end]
    # A time of day said around the phrase ("el martes, a las 10") belongs to it.
    around = text[max(0, start - 20) : end + 30]
    day = _day_by_convention(body, language, today)
    if day is None and entity is None:
        return None
    clock = _clock(body, language) or _clock(around, language)
    if (
        clock is not None
        and _COUNTED.match(text, end)
        and re.search(rf"\b(?:{'|'.join(_HOUR_NAMES[language].split())})$", body, FLAGS)
    ):
        clock = None  # "a las dos personas": Duckling's "a las dos" is a count
    if day is None and entity is not None and _DAY[language].search(body):
        day = _entity_day(entity, wall)
    if day is not None and day < today:
        return None  # "gestern", "el lunes pasado": a day already gone is no deadline
    if day is None:
        if clock is None:
            return None
        # A time without a day: its next occurrence after the email was sent.
        day = reference.astimezone(zone).date()
        if _localize(day, clock.time, zone) <= reference:
            day += dt.timedelta(days=1)
    due = _localize(day, clock.time if clock else DEADLINE_DEFAULT, zone)
    until = _localize(day, clock.end, zone) if clock and clock.end else None
    return ResolvedDate(due, clock is not None, until, body, zone_name, stated is not None)


_MONTH_NUMBERS: dict[str, int] = {
    name: number
    for names in (
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "januar februar märz april mai juni juli august september oktober november dezember",
    )
    for number, name in enumerate(names.split(), start=1)
} | {"setiembre": 9, "fevrier": 2, "aout": 8, "decembre": 12, "jänner": 1}
# Extra words for the end of *next* week: "final de la próxima semana", "fin de la semaine prochaine",
# "Ende nächster Woche".
_END_OF_NEXT_WEEK = {
    "es": r"final\s+de\s+la\s+(?:próxima|proxima)\s+semana|final\s+de\s+la\s+semana\s+que\s+viene",
    "fr": r"fin\s+de\s+la\s+semaine\s+prochaine",
    "de": r"ende\s+(?:der\s+)?(?:nächsten|nächster|kommenden)\s+woche",
}
_LAST_WEEKDAY = {
    "es": r"\b(?:{wd})\s+pasado\b|\b(?:el\s+)?pasado\s+(?:{wd})\b",
    "fr": r"\b(?:{wd})\s+dernier\b",
    "de": r"\b(?:letzten|letzter|vergangenen|vergangener|vorigen|voriger)\s+(?:{wd})\b",
}
_MID_MONTH = {
    "es": r"(?:a\s+)?mediados\s+de\s+",
    "fr": r"(?:à\s+la\s+)?mi-\s*|milieu\s+(?:du\s+mois\s+)?d(?:e\s+|')",
    "de": r"mitte\s+",
}
# A day number said without a month ("el 3", "le 3", "am 3.", "bis zum 15."): not a count or an amount.
_ORDINAL_DAY = {
    "es": r"\b(?:el|del|al)\s+(?P<n>\d{1,2})",
    "fr": r"\b(?:le|au)\s+(?P<n>\d{1,2})(?:er)?",
    "de": r"\b(?:am|zum|vom|den|bis)\s+(?P<n>\d{1,2})\.",
}
# "finales de noviembre", "fin novembre", "Ende November": the last day of that month.
_END_OF_MONTH_NAME = {
    "es": r"(?:a\s+)?(?:finales|final|fin)\s+de\s+",
    "fr": r"(?:à\s+la\s+)?fin\s+(?:de\s+|d')?",
    "de": r"ende\s+",
}
_NOT_A_DAY_AFTER = (
    r"(?![\d%€$:/]|[.,]\d|\s*(?:de\s+)?(?:{months})\b"
    r"|\s*(?:%|€|\$|euros?|personas|personnes|personen|leute|gente|fois|veces|mal\b|jours?|d[ií]as"
    r"|tagen?|semaines?|semanas|wochen?|mois|mes(?:es)?\b|monaten?|años?|ans?\b|jahren?|horas?|heures?"
    r"|stunden?|minut|h\b|uhr\b|de\s+(?:la|los|las)\b|des\b|der\b|(?:de|sur|von|aus)\s+\d))"
)
_COUNT_WORDS = {"un": 1, "una": 1, "une": 1, "einem": 1, "einer": 1, "dos": 2, "deux": 2, "zwei": 2,
                "tres": 3, "trois": 3, "drei": 3, "cuatro": 4, "quatre": 4, "vier": 4, "cinco": 5,
                "cinq": 5, "fünf": 5, "seis": 6, "six": 6, "sechs": 6, "siete": 7, "sept": 7,
                "sieben": 7, "diez": 10, "dix": 10, "zehn": 10, "quince": 15, "quinze": 15}  # fmt: skip
_IN_COUNT = re.compile(
    rf"\b(?:en|dans|dentro\s+de|in|innerhalb(?:\s+von)?)\s+(?:(?:los|las|les|der)\s+)?"
    rf"(?:próximos|proximos|próximas|prochains|nächsten\s+)?\s*(?P<count>\d+|{'|'.join(_COUNT_WORDS)})\s+"
    r"(?P<unit>d[ií]as|jours|tage|tagen|semanas|semaines|wochen)\b",
    FLAGS,
)
_IN_HOURS = re.compile(
    rf"\b(?:en|dans|dentro\s+de|d'ici|in|innerhalb(?:\s+von)?)\s+(?:(?:las|les|der)\s+)?"
    rf"(?:próximas|proximas|prochaines|nächsten\s+)?\s*(?P<hcount>\d+|{'|'.join(_COUNT_WORDS)})\s+"
    r"(?P<hunit>horas?|heures?|stunden?|minutos?|minutes?|minuten)\b",
    FLAGS,
)
_NUMERIC_DAY = re.compile(r"(?<![\d/.:,])(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2})(?!\d))?(?![\d/:])")


def _day_by_convention(body: str, language: str, today: dt.date) -> dt.date | None:
    """The product's own readings where they differ from Duckling's or it has none: next <weekday>,
    end of (next) week / month, mid-month, numeric day/month, a weekday with its day number, a day
    number alone, "in N days"."""
    if re.search(_END_OF_NEXT_WEEK[language], body, FLAGS):
        return today + dt.timedelta(days=(4 - today.weekday()) % 7 + 7)
    end_week, end_month = _END_OF[language]
    if re.search(end_week, body, FLAGS):
        return today + dt.timedelta(days=(4 - today.weekday()) % 7)
    if re.search(end_month, body, FLAGS):
        following = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - dt.timedelta(days=1)
    mid = re.search(rf"\b(?:{_MID_MONTH[language]})(?P<month>{_MONTHS[language]})\b", body, FLAGS)
    if mid:
        return _next_month_day(today, _MONTH_NUMBERS[mid.group("month").lower()], 15)
    month_end = re.search(
        rf"\b(?:{_END_OF_MONTH_NAME[language]})(?P<month>{_MONTHS[language]})\b", body, FLAGS
    )
    if month_end:
        month = _MONTH_NUMBERS[month_end.group("month").lower()]
        year = today.year + (1 if month < today.month else 0)
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    numeric = _numeric_day(body, language, today)
    if numeric is not None:
        return numeric
    weekdays = _WEEKDAYS[language]
    pattern = _NEXT_WEEKDAY[language].format(wd="|".join(weekdays))
    m = re.search(pattern, body, FLAGS)
    if m:
        name = next(value for key, value in m.groupdict().items() if key.startswith("wd") and value)
        target = weekdays[name.lower()]
        next_monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
        return next_monday + dt.timedelta(days=target)
    numbered = re.search(
        rf"\b(?P<wd>{'|'.join(weekdays)}),?\s+(?:(?:el|le|den)\s+)?(?P<n>\d{{1,2}})(?:er|\.)?"
        + _NOT_A_DAY_AFTER.format(months=_MONTHS[language]),
        body,
        FLAGS,
    )
    if numbered:
        # "el viernes 13", "vendredi 13", "Freitag, den 13.": the coming day with both that weekday
        # and that number; a pair that doesn't occur soon is read by its weekday.
        target, number = weekdays[numbered.group("wd").lower()], int(numbered.group("n"))
        for offset in range(1, 190):
            candidate = today + dt.timedelta(days=offset)
            if candidate.day == number and candidate.weekday() == target:
                return candidate
    bare = re.search(rf"\b({'|'.join(weekdays)}){_WEEKDAY_SUFFIX.get(language, '')}\b", body, FLAGS)
    if bare and re.search(_LAST_WEEKDAY[language].format(wd="|".join(weekdays)), body, FLAGS):
        return None  # "el lunes pasado", "mardi dernier", "letzten Montag": Duckling's past day
    if bare and not _has_date(body, language):
        # A bare weekday is the next such day strictly after the sender's date, as in English.
        ahead = (weekdays[bare.group(1).lower()] - today.weekday()) % 7 or 7
        return today + dt.timedelta(days=ahead)
    ordinal = re.search(
        _ORDINAL_DAY[language] + _NOT_A_DAY_AFTER.format(months=_MONTHS[language]), body, FLAGS
    )
    if ordinal and not bare and 1 <= int(ordinal.group("n")) <= 31:
        # "avant le 3": that day of this month, or of the next when it has passed (as "by the 3rd").
        return _next_day_number(today, int(ordinal.group("n")))
    count = _IN_COUNT.search(body)
    if count:
        raw = count.group("count").lower()
        number = int(raw) if raw.isdigit() else _COUNT_WORDS[raw]
        weeks = count.group("unit").lower() in ("semanas", "semaines", "wochen")
        return today + dt.timedelta(days=number * (7 if weeks else 1))
    return None


def _numeric_day(body: str, language: str, today: dt.date) -> dt.date | None:
    """A day/month date ("antes del 20/11", "bis zum 18.11.", "le 3/12/2026"); a dotted pair only when it
    is not a clock ("um 10.15")."""
    for m in _NUMERIC_DAY.finditer(body):
        if "." in m.group(0) and m.group(3) is None and _is_day_month(body, m, language) is False:
            continue
        day, month = int(m.group(1)), int(m.group(2))
        if not (1 <= day <= 31 and 1 <= month <= 12):
            continue
        year = m.group(3)
        if year:
            try:
                return dt.date(int(year) + (2000 if len(year) == 2 else 0), month, day)
            except ValueError:
                continue
        found = _next_month_day(today, month, day)
        if found is not None:
            return found
    return None


def _next_month_day(today: dt.date, month: int, day: int) -> dt.date | None:
    """That month and day this year, or next year when it has passed."""
    for year in (today.year, today.year + 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _next_day_number(today: dt.date, number: int) -> dt.date | None:
    for months_ahead in range(3):
        year, month = divmod(today.month - 1 + months_ahead, 12)
        try:
            candidate = dt.date(today.year + year, month + 1, number)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _has_date(body: str, language: str) -> bool:
    """A day number in the phrase ("el lunes 22 de junio", "am Montag, den 30. November", "le 3/11")."""
    months = _MONTHS[language]
    return bool(
        re.search(rf"\b\d{{1,2}}(?:er|\.)?\s+(?:de\s+)?(?:{months})\b|\d{{1,2}}[/.]\d{{1,2}}", body, FLAGS)
    )
