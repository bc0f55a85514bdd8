"""Dates in Spanish, French and German (tasks_app/date_languages.py): Duckling's day, our conventions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tasks_app.date_evaluation import evaluate_date_phrases, load_date_phrases
from tasks_app.date_languages import date_language
from tasks_app.dates import find_due_phrases, resolve_due

MADRID, PARIS, BERLIN = "Europe/Madrid", "Europe/Paris", "Europe/Berlin"
# Friday 12 June 2026, 14:00 in Madrid.
FRIDAY = dt.datetime(2026, 6, 12, 14, 0, tzinfo=ZoneInfo(MADRID))


def wall(phrase: str, reference: dt.datetime = FRIDAY, zone: str = MADRID) -> tuple[dt.datetime, bool]:
    resolved = resolve_due(phrase, reference=reference, timezone=zone)
    assert resolved is not None, phrase
    return resolved.due.astimezone(ZoneInfo(zone)).replace(tzinfo=None), resolved.has_time


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("¿Podrías enviarme el informe antes del viernes?", "es"),
        ("on peut se voir jeudi à 14h ?", "fr"),
        ("Können wir uns am Montag um 9 Uhr treffen?", "de"),
        ("para el 20/06", "es"),
        ("del 10/06", "es"),
        ("bis zum 25.11.", "de"),
        ("Can you send it by Friday?", None),
        ("We offer 24/7 support", None),
        ("I am free on 3/12", None),
        ("Let's book a 2h meeting on Friday", None),
        ("The MIDI export is done, send it by Friday", None),
        ("Happy Abend everyone, please reply by Monday", None),
    ],
)
def test_it_tells_the_language_of_the_date_words(text: str, language: str | None) -> None:
    assert date_language(text) == language


def test_a_bare_weekday_is_the_next_one_strictly_after_the_sender_date() -> None:
    # Said on a Friday, "el viernes" is the Friday after, as in English.
    assert wall("¿Podrías enviarme el informe antes del viernes?") == (dt.datetime(2026, 6, 19, 17, 0), False)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("mañana a las 10", dt.datetime(2026, 6, 13, 10, 0)),
        ("mañana por la mañana", dt.datetime(2026, 6, 13, 9, 0)),
        ("esta noche", dt.datetime(2026, 6, 12, 19, 0)),
        ("a las 4 de la tarde", dt.datetime(2026, 6, 12, 16, 0)),
        ("el miércoles a mediodía", dt.datetime(2026, 6, 17, 12, 0)),
        ("mañana al final del día", dt.datetime(2026, 6, 13, 17, 0)),
    ],
)
def test_spanish_times_follow_our_conventions(phrase: str, expected: dt.datetime) -> None:
    assert wall(phrase) == (expected, True)


def test_a_bare_hour_in_another_language_is_business_hours() -> None:
    assert wall("mañana a las 3") == (dt.datetime(2026, 6, 13, 15, 0), True)
    thursday = dt.datetime(2026, 10, 15, 9, 0, tzinfo=ZoneInfo(PARIS))
    assert wall("demain à 3h", thursday, PARIS) == (dt.datetime(2026, 10, 16, 15, 0), True)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("el 15 de junio", dt.datetime(2026, 6, 15, 17, 0)),
        ("para el 20/06", dt.datetime(2026, 6, 20, 17, 0)),  # day/month outside English
        ("la semana que viene", dt.datetime(2026, 6, 15, 17, 0)),
        ("el lunes que viene", dt.datetime(2026, 6, 15, 17, 0)),  # next calendar week, as "next Monday"
        ("a final de mes", dt.datetime(2026, 6, 30, 17, 0)),
        ("dentro de 3 días", dt.datetime(2026, 6, 15, 17, 0)),
    ],
)
def test_spanish_days_without_a_time_are_17_00_deadlines(phrase: str, expected: dt.datetime) -> None:
    assert wall(phrase) == (expected, False)


def test_french_days_times_and_ranges() -> None:
    thursday = dt.datetime(2026, 10, 15, 9, 0, tzinfo=ZoneInfo(PARIS))
    assert wall("on peut se voir jeudi à 14h ?", thursday, PARIS) == (dt.datetime(2026, 10, 22, 14, 0), True)
    assert wall("lundi prochain", thursday, PARIS) == (dt.datetime(2026, 10, 19, 17, 0), False)
    assert wall("d'ici la fin du mois", thursday, PARIS) == (dt.datetime(2026, 10, 31, 17, 0), False)
    resolved = resolve_due("vendredi de 10h à 11h30", reference=thursday, timezone=PARIS)
    assert resolved is not None and resolved.duration_minutes == 90
    assert resolved.due.replace(tzinfo=None) == dt.datetime(2026, 10, 16, 10, 0)


def test_german_days_times_and_ranges() -> None:
    tuesday = dt.datetime(2026, 11, 17, 11, 0, tzinfo=ZoneInfo(BERLIN))
    assert wall("Können wir uns am Montag um 9 Uhr treffen?", tuesday, BERLIN) == (
        dt.datetime(2026, 11, 23, 9, 0),
        True,
    )
    assert wall("bis zum 25.11.", tuesday, BERLIN) == (dt.datetime(2026, 11, 25, 17, 0), False)
    assert wall("nächsten Dienstag", tuesday, BERLIN) == (dt.datetime(2026, 11, 24, 17, 0), False)
    assert wall("bis Ende der Woche", tuesday, BERLIN) == (dt.datetime(2026, 11, 20, 17, 0), False)
    resolved = resolve_due("am Freitag von 10 bis 11:30 Uhr", reference=tuesday, timezone=BERLIN)
    assert resolved is not None and resolved.duration_minutes == 90
    assert resolved.due.replace(tzinfo=None) == dt.datetime(2026, 11, 20, 10, 0)


@pytest.mark.parametrize(
    ("phrase", "zone", "expected"),
    [
        ("el viernes a las 10 hora de Londres", "Europe/London", dt.datetime(2026, 6, 19, 10, 0)),
        ("el viernes a las 9 hora de Nueva York", "America/New_York", dt.datetime(2026, 6, 19, 9, 0)),
        ("vendredi à 10h heure de Londres", "Europe/London", dt.datetime(2026, 6, 19, 10, 0)),
        ("Freitag um 10 Uhr Londoner Zeit", "Europe/London", dt.datetime(2026, 6, 19, 10, 0)),
    ],
)
def test_a_zone_named_by_place_in_another_language(phrase: str, zone: str, expected: dt.datetime) -> None:
    resolved = resolve_due(phrase, reference=FRIDAY, timezone=MADRID)
    assert resolved is not None
    assert resolved.zone_stated
    assert resolved.due == expected.replace(tzinfo=ZoneInfo(zone))


def test_manana_is_counted_from_the_senders_local_date() -> None:
    # Monday 23:00 in Mexico City is already Tuesday 07:00 in Madrid: the sender's "mañana" is Tuesday.
    monday_night = dt.datetime(2026, 6, 15, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    assert wall("mañana a las 10", monday_night) == (dt.datetime(2026, 6, 16, 10, 0), True)
    assert wall("para mañana", monday_night) == (dt.datetime(2026, 6, 16, 17, 0), False)


def test_it_finds_foreign_phrases_with_their_offsets_and_zone() -> None:
    text = "Hola Ana, ¿podemos reunirnos el martes a las 10 hora de Londres? Gracias."
    [(phrase, start, end)] = find_due_phrases(text)
    assert text[start:end] == phrase
    assert phrase == "el martes a las 10 hora de Londres"


@pytest.mark.parametrize(
    "text", ["Muchas gracias por tu ayuda", "J'ai lu les 3 documents", "Wir haben 3 Optionen"]
)
def test_sentences_without_a_date_give_none(text: str) -> None:
    assert resolve_due(text, reference=FRIDAY, timezone=MADRID) is None


def test_the_labelled_date_phrases_score_at_least_what_docs_report() -> None:
    # docs/extraction.md reports the holdout coverage; a regression below it must be seen.
    rows = load_date_phrases()

    def ours(row):  # type: ignore[no-untyped-def]
        resolved = resolve_due(row.phrase, reference=row.reference, timezone=row.timezone)
        return (resolved.due, resolved.has_time, resolved.end) if resolved else None

    score = evaluate_date_phrases(ours, rows)
    assert len(rows) >= 150
    assert score.rate("holdout") >= 0.95
    assert score.rate("tune") >= 0.95


def test_without_the_duckling_wheel_other_languages_give_no_date_and_say_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    from tasks_app import date_languages

    # Where the wheel is not built (macOS, ARM) the import fails; English dates must go on working.
    monkeypatch.setitem(sys.modules, "duckling", None)
    date_languages._duckling.cache_clear()
    date_languages._parse.cache_clear()
    try:
        assert resolve_due("pasado mañana", reference=FRIDAY, timezone=MADRID) is None
        assert "pyduckling-native-phihos is not installed" in caplog.text
        # Our own rules still read weekdays, clocks and end of month.
        assert wall("el martes a las 10") == (dt.datetime(2026, 6, 16, 10, 0), True)
        assert wall("a final de mes") == (dt.datetime(2026, 6, 30, 17, 0), False)
        assert wall("Friday at 10am") == (dt.datetime(2026, 6, 19, 10, 0), True)
    finally:
        date_languages._duckling.cache_clear()
        date_languages._parse.cache_clear()


def test_a_malformed_date_phrase_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "phrases.jsonl"
    path.write_text(
        '{"phrase": "Friday", "language": "en", "reference": "2026-03-04T10:00:00+01:00",'
        ' "timezone": "Europe/Berlin", "due": null, "has_time": false}\n'
        '{"phrase": "Friday", "language": "en", "reference": "2026-03-04T10:00:00",'
        ' "timezone": "Europe/Berlin", "due": null, "has_time": false}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"phrases.jsonl:2: reference must be ISO 8601 with an offset"):
        load_date_phrases(path)


# Tuesday 17 November 2026, 11:00 in Berlin (the same wall time in Madrid and Paris).
TUESDAY = dt.datetime(2026, 11, 17, 11, 0, tzinfo=ZoneInfo(BERLIN))


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("bis zum 18.11.", dt.datetime(2026, 11, 18, 17, 0)),
        ("Bitte schicken Sie die Rechnung bis zum 19.03.", dt.datetime(2027, 3, 19, 17, 0)),
        ("am 20.11. bitte", dt.datetime(2026, 11, 20, 17, 0)),
        ("bis 10.12.2026", dt.datetime(2026, 12, 10, 17, 0)),
        ("bis Freitag, 20.11.", dt.datetime(2026, 11, 20, 17, 0)),
        ("antes del 20/11", dt.datetime(2026, 11, 20, 17, 0)),
        ("Por favor, envía el presupuesto antes del 3/12", dt.datetime(2026, 12, 3, 17, 0)),
        ("hasta el 5.12.", dt.datetime(2026, 12, 5, 17, 0)),
        ("avant le 30/11", dt.datetime(2026, 11, 30, 17, 0)),
    ],
)
def test_a_numeric_date_is_day_month_and_never_a_clock(phrase: str, expected: dt.datetime) -> None:
    # "bis zum 18.11." was read as 18:11 on the 18th.
    assert wall(phrase, TUESDAY, BERLIN) == (expected, False)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("um 14.30 Uhr", dt.datetime(2026, 11, 17, 14, 30)),
        ("um 10.10", dt.datetime(2026, 11, 18, 10, 10)),  # "um" only leads a time
        ("am 20.11. um 14.30 Uhr", dt.datetime(2026, 11, 20, 14, 30)),
        ("bis 18.11. um 9 Uhr", dt.datetime(2026, 11, 18, 9, 0)),
        ("le 20/11 à 14h30", dt.datetime(2026, 11, 20, 14, 30)),
        ("14h30", dt.datetime(2026, 11, 17, 14, 30)),
    ],
)
def test_a_dotted_time_after_a_clock_word_stays_a_time(phrase: str, expected: dt.datetime) -> None:
    assert wall(phrase, TUESDAY, BERLIN) == (expected, True)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("antes del viernes 20", dt.datetime(2026, 11, 20, 17, 0)),
        ("¿Lo tienes para el viernes 11?", dt.datetime(2026, 12, 11, 17, 0)),  # not the next Friday
        ("avant vendredi 11", dt.datetime(2026, 12, 11, 17, 0)),
        ("bis Freitag, den 11.", dt.datetime(2026, 12, 11, 17, 0)),
        ("el martes 24", dt.datetime(2026, 11, 24, 17, 0)),
    ],
)
def test_a_weekday_with_its_day_number_is_that_date(phrase: str, expected: dt.datetime) -> None:
    # "antes del viernes 13" gave the 6th, the first Friday.
    assert wall(phrase, TUESDAY, BERLIN) == (expected, False)


def test_a_weekday_with_the_13th_finds_the_next_friday_the_13th() -> None:
    # Friday 12 June 2026: the next Friday the 13th is in November.
    assert wall("antes del viernes 13") == (dt.datetime(2026, 11, 13, 17, 0), False)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("avant le 20", dt.datetime(2026, 11, 20, 17, 0)),
        ("antes del 3", dt.datetime(2026, 12, 3, 17, 0)),  # the 3rd has passed this month
        ("Schicken Sie es bitte bis zum 3.", dt.datetime(2026, 12, 3, 17, 0)),
        ("am 25. bitte", dt.datetime(2026, 11, 25, 17, 0)),
        ("le 1er", dt.datetime(2026, 12, 1, 17, 0)),
    ],
)
def test_a_day_number_alone_is_that_day_of_this_or_next_month(phrase: str, expected: dt.datetime) -> None:
    assert wall(phrase, TUESDAY, BERLIN) == (expected, False)


@pytest.mark.parametrize(
    "text",
    [
        "Somos el 3 de 10 candidatos",
        "Wir waren zum 3. Mal dort",
        "J'ai lu le 3e chapitre",
        "el 50% del total",
    ],
)
def test_a_number_that_is_not_a_day_gives_no_date(text: str) -> None:
    assert resolve_due(text, reference=TUESDAY, timezone=BERLIN) is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("bis Ende nächster Woche", dt.datetime(2026, 11, 27, 17, 0)),
        ("para el final de la próxima semana", dt.datetime(2026, 11, 27, 17, 0)),
        ("d'ici la fin de la semaine prochaine", dt.datetime(2026, 11, 27, 17, 0)),
        ("Mitte Dezember", dt.datetime(2026, 12, 15, 17, 0)),
        ("a mediados de diciembre", dt.datetime(2026, 12, 15, 17, 0)),
        ("mi-décembre", dt.datetime(2026, 12, 15, 17, 0)),
        ("Ende Dezember", dt.datetime(2026, 12, 31, 17, 0)),
        ("a finales de diciembre", dt.datetime(2026, 12, 31, 17, 0)),
        ("fin décembre", dt.datetime(2026, 12, 31, 17, 0)),
        ("en 15 jours", dt.datetime(2026, 12, 2, 17, 0)),
        ("dentro de dos semanas", dt.datetime(2026, 12, 1, 17, 0)),
    ],
)
def test_end_of_next_week_mid_and_end_of_a_month(phrase: str, expected: dt.datetime) -> None:
    assert wall(phrase, TUESDAY, BERLIN) == (expected, False)


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        (
            "Envíamelo mañana antes de las 12, por favor",
            "mañana antes de las 12",
            dt.datetime(2026, 11, 18, 12, 0),
        ),
        ("Pouvez-vous le faire demain, vers 10h ?", "demain, vers 10h", dt.datetime(2026, 11, 18, 10, 0)),
        ("Bitte bis Ende November schicken", "Ende November", dt.datetime(2026, 11, 30, 17, 0)),
        ("Por favor, envíalo antes del 20/11.", "20/11", dt.datetime(2026, 11, 20, 17, 0)),
    ],
)
def test_the_phrase_found_in_a_sentence_keeps_its_day_and_time_together(
    text: str, phrase: str, expected: dt.datetime
) -> None:
    # The extractor resolves each found phrase alone: "mañana" without "antes de las 12" gave 17:00.
    found = [p for p, _start, _end in find_due_phrases(text)]
    assert found == [phrase]
    resolved = resolve_due(found[0], reference=TUESDAY, timezone=BERLIN)
    assert resolved is not None
    assert resolved.due.replace(tzinfo=None) == expected


def test_a_part_of_the_day_after_manana_is_tomorrow_even_in_the_morning() -> None:
    early = dt.datetime(2026, 11, 17, 8, 0, tzinfo=ZoneInfo(MADRID))
    assert wall("mañana por la mañana", early) == (dt.datetime(2026, 11, 18, 9, 0), True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("el lunes pasado hablamos; envíalo el jueves", dt.datetime(2026, 11, 19, 17, 0)),
        ("mardi dernier on en a parlé, envoyez-le vendredi", dt.datetime(2026, 11, 20, 17, 0)),
        ("Letzten Montag haben wir gesprochen, bitte bis Freitag", dt.datetime(2026, 11, 20, 17, 0)),
    ],
)
def test_a_day_already_past_is_skipped_for_the_deadline_after_it(text: str, expected: dt.datetime) -> None:
    assert wall(text, TUESDAY, BERLIN) == (expected, False)


@pytest.mark.parametrize("phrase", ["el lunes pasado", "ayer", "letzten Montag", "mardi dernier"])
def test_a_day_already_past_alone_is_no_deadline(phrase: str) -> None:
    assert resolve_due(phrase, reference=TUESDAY, timezone=BERLIN) is None


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("Passt es Ihnen Freitagmittag?", "Freitagmittag", dt.datetime(2026, 11, 20, 12, 0)),
        ("Können wir uns Montagvormittag treffen?", "Montagvormittag", dt.datetime(2026, 11, 23, 9, 0)),
        ("am Donnerstagnachmittag um 3", "Donnerstagnachmittag um 3", dt.datetime(2026, 11, 19, 15, 0)),
        (
            "¿Puedes mandarlo el lunes a primera hora?",
            "el lunes a primera hora",
            dt.datetime(2026, 11, 23, 9, 0),
        ),
        (
            "Envoyez-moi ça lundi à la première heure",
            "lundi à la première heure",
            dt.datetime(2026, 11, 23, 9, 0),
        ),
    ],
)
def test_a_weekday_with_its_part_of_the_day_is_one_phrase(
    text: str, phrase: str, expected: dt.datetime
) -> None:
    [(found, _start, _end)] = find_due_phrases(text)
    assert found == phrase
    assert wall(found, TUESDAY, BERLIN) == (expected, True)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        (
            "Donnerstag zwischen 14 und 15 Uhr",
            dt.datetime(2026, 11, 19, 14, 0),
            dt.datetime(2026, 11, 19, 15, 0),
        ),
        ("jeudi entre 14h et 15h30", dt.datetime(2026, 11, 19, 14, 0), dt.datetime(2026, 11, 19, 15, 30)),
        (
            "el jueves entre las 10 y las 11",
            dt.datetime(2026, 11, 19, 10, 0),
            dt.datetime(2026, 11, 19, 11, 0),
        ),
    ],
)
def test_between_two_times_is_a_range(phrase: str, start: dt.datetime, end: dt.datetime) -> None:
    resolved = resolve_due(phrase, reference=TUESDAY, timezone=BERLIN)
    assert resolved is not None and resolved.end is not None
    assert (resolved.due.replace(tzinfo=None), resolved.end.replace(tzinfo=None)) == (start, end)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("para finales de mes", dt.datetime(2026, 11, 30, 17, 0)),
        ("a finales de esta semana", dt.datetime(2026, 11, 20, 17, 0)),
        ("el 3 y 4 de diciembre", dt.datetime(2026, 12, 3, 17, 0)),  # two days, not a range of hours
    ],
)
def test_spanish_end_of_week_and_month_in_the_plural(phrase: str, expected: dt.datetime) -> None:
    assert wall(phrase, TUESDAY, BERLIN) == (expected, False)


@pytest.mark.parametrize(
    "phrase",
    [
        "el viernes de la semana que viene",
        "la próxima semana, el viernes",
        "vendredi de la semaine prochaine",
        "la semaine prochaine, vendredi",
        "am Freitag nächster Woche",
        "nächste Woche Freitag",
    ],
)
def test_a_weekday_of_next_week_is_in_the_next_calendar_week(phrase: str) -> None:
    # Said on Monday 16 November: this week's Friday is the 20th, next week's the 27th.
    monday = dt.datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo(BERLIN))
    assert wall(phrase, monday, BERLIN) == (dt.datetime(2026, 11, 27, 17, 0), False)


@pytest.mark.parametrize(
    ("phrase", "hours"),
    [
        ("dentro de 2 horas", 2),
        ("en las próximas 48 horas", 48),
        ("dans une heure", 1),
        ("d'ici 48 heures", 48),
        ("Bitte innerhalb von 24 Stunden antworten", 24),
        ("in zwei Stunden", 2),
    ],
)
def test_hours_from_now_are_an_instant(phrase: str, hours: int) -> None:
    # "dentro de 2 horas" was 17:00 that day.
    resolved = resolve_due(phrase, reference=TUESDAY, timezone=BERLIN)
    assert resolved is not None and resolved.has_time
    assert resolved.due == TUESDAY + dt.timedelta(hours=hours)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("innerhalb der nächsten zwei Tage", dt.datetime(2026, 11, 19, 17, 0)),
        ("en los próximos 3 días", dt.datetime(2026, 11, 20, 17, 0)),
    ],
)
def test_the_next_n_days(phrase: str, expected: dt.datetime) -> None:
    assert wall(phrase, TUESDAY, BERLIN) == (expected, False)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("heute Abend um 8", dt.datetime(2026, 11, 17, 20, 0)),  # was 08:00
        ("esta tarde a las 5", dt.datetime(2026, 11, 17, 17, 0)),
        ("ce soir vers 8h", dt.datetime(2026, 11, 17, 20, 0)),
    ],
)
def test_an_evening_word_puts_a_bare_hour_in_the_evening(phrase: str, expected: dt.datetime) -> None:
    assert wall(phrase, TUESDAY, BERLIN) == (expected, True)


def test_a_numeric_date_duckling_splits_is_found_whole() -> None:
    # Duckling reads "el 24", "11 a" and "a las 16:30"; the extractor got "11 a las 16:30".
    [(phrase, _start, _end)] = find_due_phrases("¿Puedes venir el 24/11 a las 16:30?")
    assert phrase == "24/11 a las 16:30"
    assert wall(phrase, TUESDAY, BERLIN) == (dt.datetime(2026, 11, 24, 16, 30), True)


@pytest.mark.parametrize("text", ["La reunión dura 2 horas", "Das Meeting dauert zwei Stunden"])
def test_a_duration_is_not_a_due_date(text: str) -> None:
    assert resolve_due(text, reference=TUESDAY, timezone=BERLIN) is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("morgen um halb drei", dt.datetime(2026, 11, 18, 14, 30)),  # halb drei is 2:30
        ("Freitag um halb neun", dt.datetime(2026, 11, 20, 8, 30)),
        ("um Viertel nach 10", dt.datetime(2026, 11, 18, 10, 15)),
        ("mañana a las tres y media", dt.datetime(2026, 11, 18, 15, 30)),
        ("el jueves a las 5 menos cuarto", dt.datetime(2026, 11, 19, 16, 45)),
        ("mañana a las diez", dt.datetime(2026, 11, 18, 10, 0)),
        ("demain à trois heures et demie", dt.datetime(2026, 11, 18, 15, 30)),
        ("jeudi à 10h et quart", dt.datetime(2026, 11, 19, 10, 15)),
    ],
)
def test_spoken_times_in_other_languages(phrase: str, expected: dt.datetime) -> None:
    assert wall(phrase, TUESDAY, BERLIN) == (expected, True)


@pytest.mark.parametrize(
    "text", ["Se lo di a las dos personas", "J'ai travaillé pendant trois heures", "Das kostet halb so viel"]
)
def test_a_number_word_that_counts_is_no_time(text: str) -> None:
    assert resolve_due(text, reference=TUESDAY, timezone=BERLIN) is None
    assert find_due_phrases(text) == []
