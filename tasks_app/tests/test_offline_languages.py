"""Asks and meeting proposals in Spanish, French and German (tasks_app/extractors/offline/languages.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tasks_app.extractors import EmailForExtraction, ExtractedTask
from tasks_app.extractors.offline import OfflineExtractor
from tasks_app.extractors.offline.languages import sentence_language
from tasks_app.extractors.offline.patterns import classify_sentence

# Wednesday 10 June 2026, 10:00.
SENT = dt.datetime(2026, 6, 10, 10, 0)


def extract(body: str, zone: str = "Europe/Madrid") -> list[ExtractedTask]:
    email = EmailForExtraction(
        id="m1",
        subject="Informe",
        body=body,
        sender='"Ana García" <ana@example.es>',
        sent_at=SENT.replace(tzinfo=ZoneInfo(zone)),
        timezone=zone,
    )
    return OfflineExtractor().extract(email)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("¿Podrías enviarme el informe antes del viernes?", "es"),
        ("Pourriez-vous m'envoyer le rapport avant vendredi ?", "fr"),
        ("Bitte schicken Sie mir den Bericht bis Freitag.", "de"),
        ("Please send me the report by Friday.", None),
        ("Let's meet at La Tasca on Friday.", None),
    ],
)
def test_it_tells_the_language_of_a_sentence(text: str, language: str | None) -> None:
    assert sentence_language(text) == language


@pytest.mark.parametrize(
    ("body", "zone", "title", "due"),
    [
        ("Hola Sam,\n\n¿Podrías enviarme el informe antes del viernes?\n\nGracias,\nAna", "Europe/Madrid",
         "Enviar el informe", dt.datetime(2026, 6, 12, 17, 0)),
        ("Por favor, revisa el contrato antes del jueves.", "Europe/Madrid", "Revisa el contrato",
         dt.datetime(2026, 6, 11, 17, 0)),
        ("Bonjour,\n\nPourriez-vous m'envoyer le rapport avant vendredi ?\n\nMerci", "Europe/Paris",
         "Envoyer le rapport", dt.datetime(2026, 6, 12, 17, 0)),
        ("Merci de valider le devis avant lundi.", "Europe/Paris", "Valider le devis",
         dt.datetime(2026, 6, 15, 17, 0)),
        ("Bitte schicken Sie mir den Bericht bis Freitag.", "Europe/Berlin", "Schicken Sie den Bericht",
         dt.datetime(2026, 6, 12, 17, 0)),
        ("Könnten Sie das Angebot bis Mittwoch prüfen?", "Europe/Berlin", "Angebot prüfen",
         dt.datetime(2026, 6, 17, 17, 0)),
    ],
)  # fmt: skip
def test_a_request_with_a_deadline_gives_a_task_titled_with_its_own_words(
    body: str, zone: str, title: str, due: dt.datetime
) -> None:
    [task] = extract(body, zone)
    assert task.title == title
    assert task.kind == "deadline"
    assert task.due == due.replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("body", "zone", "title", "start"),
    [
        ("¿podemos reunirnos el martes a las 10?", "Europe/Madrid", "Reunión con Ana",
         dt.datetime(2026, 6, 16, 10, 0)),
        ("on peut se voir jeudi à 14h ?", "Europe/Paris", "Réunion avec Ana", dt.datetime(2026, 6, 11, 14, 0)),
        ("Können wir uns am Montag um 9 Uhr treffen?", "Europe/Berlin", "Treffen mit Ana",
         dt.datetime(2026, 6, 15, 9, 0)),
    ],
)  # fmt: skip
def test_a_meeting_proposal_gives_a_meeting(body: str, zone: str, title: str, start: dt.datetime) -> None:
    [task] = extract(body, zone)
    assert (task.title, task.kind) == (title, "meeting")
    assert task.due == start.replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    "text",
    [
        "Muchas gracias por tu ayuda con el informe.",
        "Merci beaucoup pour votre aide avec le rapport.",
        "Vielen Dank für Ihre Hilfe mit dem Bericht, wir sind sehr zufrieden.",
        "Si tienes alguna duda, por favor escríbeme.",
        "N'hésitez pas à me contacter pour le rapport.",
    ],
)
def test_thanks_and_courtesy_offers_are_not_tasks(text: str) -> None:
    assert not classify_sentence(text).any


def test_a_statement_in_another_language_is_not_a_task() -> None:
    assert not classify_sentence("El informe está listo y lo he subido a la carpeta del equipo.").any
    assert extract("El informe está listo y lo he subido a la carpeta del equipo.") == []


def test_english_sentences_still_go_to_the_english_rules() -> None:
    [task] = extract("Please send the report by Friday.", "Europe/Berlin")
    assert task.title == "Send the report"


@pytest.mark.parametrize(
    ("body", "zone", "title", "due"),
    [
        ("Marta, recuerda que tienes que renovar la póliza del seguro antes del 10/06.", "Europe/Madrid",
         "Renovar la póliza del seguro", dt.datetime(2026, 6, 10, 17, 0)),
        ("¿Me puedes mandar mañana el contrato firmado?", "Europe/Madrid", "Mandar el contrato firmado",
         dt.datetime(2026, 6, 11, 17, 0)),
        ("Paul, n'oublie pas de signer le bon de commande avant vendredi.", "Europe/Paris",
         "Signer le bon de commande", dt.datetime(2026, 6, 12, 17, 0)),
        ("Denk bitte daran, die Rechnung bis Freitag zu bezahlen.", "Europe/Berlin",
         "Rechnung bezahlen", dt.datetime(2026, 6, 12, 17, 0)),
    ],
)  # fmt: skip
def test_reminders_and_obligations_put_to_the_reader_are_requests(
    body: str, zone: str, title: str, due: dt.datetime
) -> None:
    [task] = extract(body, zone)
    assert (task.title, task.kind) == (title, "deadline")
    assert task.due == due.replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("body", "zone", "title"),
    [
        ("hättest du am Donnerstag von 9:30 bis 10:30 Uhr Zeit für eine kurze Abstimmung zu den Busverträgen?",
         "Europe/Berlin", "Abstimmung zu den Busverträgen"),
        ("¿Podemos tener una llamada sobre el presupuesto el jueves a las 10?", "Europe/Madrid",
         "Llamada sobre el presupuesto"),
        ("On peut se voir jeudi à 14h pour un point sur le budget ?", "Europe/Paris", "Point sur le budget"),
    ],
)  # fmt: skip
def test_a_meeting_proposal_is_named_by_its_topic_when_it_gives_one(body: str, zone: str, title: str) -> None:
    [task] = extract(body, zone)
    assert (task.title, task.kind) == (title, "meeting")
