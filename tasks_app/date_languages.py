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
"""

from __future__ import annotations

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
    "es": r"hoy|mañana|pasado\s+mañana|semana|mes|dentro\s+de\s+\d+|final\s+de(?:l)?\s+mes",
    "fr": r"aujourd'hui|demain|après-demain|semaine|mois|dans\s+\d+\s+jours?|d'ici",
    "de": r"heute|morgen|übermorgen|woche|monats?|in\s+\d+\s+tagen",
}
_COUNTS = {
    "es": r"(?:\d+|un|una|dos|tres|cuatro|cinco|seis|siete|diez)\s+(?:días|dias|semanas)",
    "fr": r"(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|dix)\s+(?:jours|semaines)",
    "de": r"(?:\d+|einem|einer|zwei|drei|vier|fünf|sechs|sieben|zehn)\s+(?:tagen|wochen)",
}


def _day_pattern(language: str) -> str:
    """Words of ``language`` that say which day (numeric dates are in _NUMERIC_DATE: they name no language)."""
    weekdays = "|".join(_WEEKDAYS[language])
    months = _MONTHS[language]
    return (
        rf"\b(?:{weekdays})\b|\b(?:{_DAY_WORDS[language]})\b|\b{_COUNTS[language]}\b"
        rf"|\b\d{{1,2}}(?:er|\.)?\s+(?:de\s+)?(?:{months})\b|\b(?:{months})\b(?<!\bapril)(?<!\baugust)"
        rf"(?<!\bseptember)(?<!\bnovember)(?<!\bmai)(?<!\bmars)"
    )


_NUMERIC_DATE = r"|(?<![\d/.])\d{1,2}[/.]\d{1,2}(?:[/.](?:\d{4}|\d{2}))?\b\.?"
_NUMERIC = re.compile(_NUMERIC_DATE[1:])
_DAY = {language: re.compile(_day_pattern(language) + _NUMERIC_DATE, FLAGS) for language in LANGUAGES}
# Time words that only one language uses; with _DAY they decide that a text is in that language.
_TIME_CUES = {
    "es": r"\ba\s+las?\s+\d|\bde\s+la\s+(?:mañana|tarde|noche)\b|\besta\s+(?:tarde|noche)\b",
    "fr": r"\b(?:à|vers|avant|dès|jusqu'à|de)\s+\d{1,2}\s*h(?:\s*\d{2})?\b|\b\d{1,2}h\d{2}\b|\bce\s+soir\b|\bcet\s+après-midi\b|\bfin\s+de\s+journée\b",
    "de": r"\b\d{1,2}(?:[:.]\d{2})?\s*uhr\b|\bum\s+\d|\bfeierabend\b",
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


_HOUR = r"(?P<{n}h>\d{{1,2}})(?:\s*(?:[:.]|h)\s*(?P<{n}m>\d{{2}}))?"
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
    r"de\s+la\s+(?:tarde|noche)|de\s+l'après-midi|du\s+soir|nachmittags|abends|p\.?m\.?\b", FLAGS
)
_MORNING_MARK = re.compile(r"de\s+la\s+mañana|du\s+matin|morgens|früh|vormittags|a\.?m\.?\b", FLAGS)
_PARTS = {
    "es": [(r"por\s+la\s+mañana|de\s+la\s+mañana|temprano", 9), (r"por\s+la\s+tarde|esta\s+tarde", 14),
           (r"por\s+la\s+noche|esta\s+noche", 19), (r"mediodía|medio\s+día", 12)],
    "fr": [(r"matin|matinée", 9), (r"après-midi", 14), (r"soir|soirée", 19), (r"midi", 12)],
    "de": [(r"früh|morgens|vormittags?", 9), (r"nachmittags?", 14),
           (r"abends?", 19), (r"mittags?", 12)],
}  # fmt: skip
_EOD = {
    "es": r"final\s+del\s+día|fin\s+del\s+día|fin\s+de\s+la\s+jornada|cierre\s+del\s+día",
    "fr": r"fin\s+de\s+(?:la\s+)?journée|fin\s+de\s+la\s+journée",
    "de": r"feierabend|dienstschluss|geschäftsschluss|tagesende|ende\s+des\s+tages",
}
_END_OF = {
    "es": (r"final\s+de(?:l)?\s+(?:la\s+)?semana", r"final\s+de(?:l)?\s+mes|fin\s+de(?:l)?\s+mes"),
    "fr": (r"fin\s+de\s+(?:la\s+)?semaine", r"fin\s+d(?:u|e)\s+mois"),
    "de": (r"ende\s+der\s+woche|wochenende", r"ende\s+des\s+monats|monatsende"),
}
_NEXT_WEEKDAY = {
    "es": r"(?:próximo|proximo)\s+(?P<wd>{wd})|(?P<wd2>{wd})\s+que\s+viene",
    "fr": r"(?P<wd>{wd})\s+prochain",
    "de": r"(?:nächsten|nächster|kommenden)\s+(?P<wd>{wd})|(?P<wd2>{wd})\s+nächste\s+woche",
}


def _hour_of(hour: int, minute: int | None, marks: str) -> int:
    if _AFTERNOON_MARK.search(marks) and hour < 12:
        return hour + 12
    if _MORNING_MARK.search(marks) or (minute is not None and hour >= 7):
        return hour
    # Business hours, as in English: "a las 3", "um 4", "à 5h" are afternoon.
    return hour + 12 if 1 <= hour <= 6 else hour


def _clock(text: str, language: str) -> _Clock | None:
    """The time of day the phrase states: a clock or range, a part of the day, or end of day."""
    lead = _CLOCK_LEAD[language]
    first, second = _HOUR.format(n="a"), _HOUR.format(n="b")
    ranged = re.search(
        rf"(?:{lead}|{_RANGE_LEAD[language]}|\b){first}{_CLOCK_MARK}{_RANGE_WORD}{second}{_CLOCK_MARK}{_NOT_A_CLOCK}",
        text,
        FLAGS,
    )
    single = re.search(
        rf"(?:(?:{lead}){first}{_CLOCK_MARK}{_NOT_A_CLOCK}|\b(?P<c24>\d{{1,2}})[:.](?P<c24m>\d{{2}})\b"
        rf"|\b{second}\s*(?:h\b|uhr\b))",
        text,
        FLAGS,
    )
    marks = text
    if ranged:
        h1, m1 = int(ranged.group("ah")), ranged.group("am")
        h2, m2 = int(ranged.group("bh")), ranged.group("bm")
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
            raw_minute = single.group("am") or single.group("bm")
            hour = _hour_of(int(raw_hour), int(raw_minute) if raw_minute else None, marks)
            minute = int(raw_minute or 0)
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return _Clock(dt.time(hour, minute))
    if re.search(_EOD[language], text, FLAGS):
        return _Clock(EOD)
    for pattern, hour in _PARTS[language]:
        if re.search(rf"\b(?:{pattern})", text, FLAGS):
            return _Clock(dt.time(hour, 0))
    return None


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
    """(phrase, start, end) of each date/time phrase Duckling finds in ``text``, with a zone named by
    place right after it ("... hora de Londres") included."""
    found = []
    for entity in _parse(text, language, dt.datetime(2026, 1, 1, 12, 0)):
        start, end = int(entity["start"]), int(entity["end"])
        # Duckling may take the first word of the zone ("... a las 10 hora" of "hora de Londres").
        zone = foreign_place_zone(text[start:], anchored=False)
        if zone is not None and zone[2] <= end - start + 2:
            end = max(end, start + zone[2] + zone[1])
        found.append((text[start:end], start, end))
    return found


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

    entities = _parse(text, language, wall)
    if entities:
        entity = entities[0]
        body = text[int(entity["start"]) : int(entity["end"])]
        # A time of day said around the entity ("el martes, a las 10") belongs to it.
        around = text[max(0, int(entity["start"]) - 20) : int(entity["end"]) + 30]
    else:
        # Nothing Duckling knows; our own end-of-week/month words may still name a day.
        entity, body, around = None, text, text
    day = _day_by_convention(body, language, today)
    if day is None and entity is None:
        return None
    clock = _clock(body, language) or _clock(around, language)
    if day is None and entity is not None and _DAY[language].search(body):
        day = _entity_day(entity, wall)
    if day is None:
        if clock is None:
            return None
        # A time without a day: its next occurrence after the email was sent.
        day = reference.astimezone(zone).date()
        if _localize(day, clock.time, zone) <= reference:
            day += dt.timedelta(days=1)
    due = _localize(day, clock.time if clock else DEADLINE_DEFAULT, zone)
    end = _localize(day, clock.end, zone) if clock and clock.end else None
    return ResolvedDate(due, clock is not None, end, body, zone_name, stated is not None)


def _day_by_convention(body: str, language: str, today: dt.date) -> dt.date | None:
    """The product's own readings where they differ from Duckling's: next <weekday>, end of week/month."""
    end_week, end_month = _END_OF[language]
    if re.search(end_week, body, FLAGS):
        return today + dt.timedelta(days=(4 - today.weekday()) % 7)
    if re.search(end_month, body, FLAGS):
        following = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - dt.timedelta(days=1)
    weekdays = _WEEKDAYS[language]
    pattern = _NEXT_WEEKDAY[language].format(wd="|".join(weekdays))
    m = re.search(pattern, body, FLAGS)
    if m:
        target = weekdays[(m.group("wd") or m.groupdict().get("wd2") or "").lower()]
        next_monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
        return next_monday + dt.timedelta(days=target)
    bare = re.search(rf"\b({'|'.join(weekdays)})\b", body, FLAGS)
    if bare and not _has_date(body, language):
        # A bare weekday is the next such day strictly after the sender's date, as in English.
        ahead = (weekdays[bare.group(1).lower()] - today.weekday()) % 7 or 7
        return today + dt.timedelta(days=ahead)
    return None


def _has_date(body: str, language: str) -> bool:
    """A day number in the phrase ("el lunes 22 de junio", "am Montag, den 30. November", "le 3/11")."""
    months = _MONTHS[language]
    return bool(
        re.search(rf"\b\d{{1,2}}(?:er|\.)?\s+(?:de\s+)?(?:{months})\b|\d{{1,2}}[/.]\d{{1,2}}", body, FLAGS)
    )
