"""Titles on kinds of mail the third mailbox showed going wrong, in wordings written for these tests (a
garden centre, a choir, a print shop, a tenants' association, a conference): an amount given as a range ("two
or three photos"), a zone's "time" left behind by its date, a purpose said before a Spanish, French or
German ask, the reason said after it, a month that names a thing ("el pedido de enero"), the comma that closes
a German date's apposition, German du-imperatives of verbs in -ern/-eln, and a German "darum"/"dafür" named
by what the sentence before says must be done."""

from __future__ import annotations

import pytest

from tasks_app.extractors.offline.titles import task_title

SENDER = '"Nora Lind" <nora@gardencentre.example>'


def title(sentence: str, *, subject: str = "Hello", previous: str = "") -> str:
    return task_title(sentence, False, SENDER, subject=subject, previous=previous)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Could you send me one or two quotes for the new greenhouse roof?",
         "Send one or two quotes for the new greenhouse roof"),
        ("Please order 3 or 4 trays of seedlings for the spring sale.", "Order 3 or 4 trays of seedlings for the spring sale"),
        ("Would you be able to pick two or three hymns for the carol service?",
         "Pick two or three hymns for the carol service"),
    ],
)  # fmt: skip
def test_an_amount_given_as_a_range_is_not_cut_at_its_or(sentence: str, expected: str) -> None:
    assert title(sentence) == expected


def test_would_you_be_able_to_leads_in_as_would_you_does() -> None:
    # The reader knows who asked: "send us" is "send", as after "could you".
    assert title("Would you be able to send us the seating plan?") == "Send the seating plan"


def test_a_second_verb_after_or_still_starts_a_clause_of_its_own() -> None:
    # The range rule is only for amounts: "or" before a clause still ends the task.
    assert title("Could you print the flyers or should we ask the copy shop?") == "Print the flyers"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Please send the signed proof by Thursday 4pm UK time.", "Send the signed proof"),
        ("Can you upload the slides by 9am Pacific time?", "Upload the slides"),
    ],
)  # fmt: skip
def test_the_zone_a_date_phrase_took_leaves_no_time_behind(sentence: str, expected: str) -> None:
    assert title(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Para la asamblea de vecinos necesito que me mandes el acta firmada antes del jueves.",
         "Mandar el acta firmada para la asamblea de vecinos"),
        ("Pour le concert de Noël, pourriez-vous m’envoyer la liste des choristes avant vendredi ?",
         "Envoyer la liste des choristes pour le concert de Noël"),
        # A German to-do ends on its verb: the purpose is left out rather than put before it.
        ("Für die Mitgliederversammlung kannst du bitte die Einladungen bis Freitag drucken?",
         "Einladungen drucken"),
    ],
)  # fmt: skip
def test_a_purpose_said_before_the_ask_follows_the_task(sentence: str, expected: str) -> None:
    assert title(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("¿Puedes mandarme el presupuesto del catering antes del martes, porque el salón lo pide?",
         "Mandar el presupuesto del catering"),
        ("Pourriez-vous valider le bon à tirer avant lundi, parce que l'imprimeur attend ?",
         "Valider le bon à tirer"),
        ("Kannst du bitte die Noten bis Mittwoch kopieren, weil die Probe am Donnerstag ist?", "Noten kopieren"),
    ],
)  # fmt: skip
def test_the_reason_said_after_the_ask_is_not_part_of_the_task(sentence: str, expected: str) -> None:
    assert title(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Necesito que me confirmes el pedido de marzo antes del viernes.", "Confirmar el pedido de marzo"),
        ("Pourriez-vous m'envoyer le relevé de janvier, s'il vous plaît ?", "Envoyer le relevé de janvier"),
        # After "antes de" the month is when, not which.
        ("¿Puedes mandarme las fotos antes de marzo?", "Mandar las fotos"),
    ],
)  # fmt: skip
def test_a_month_that_says_which_thing_stays_in_the_title(sentence: str, expected: str) -> None:
    assert title(sentence) == expected


def test_the_comma_closing_a_german_dates_apposition_goes_with_the_date() -> None:
    assert (
        title("Kannst du mir die Bestellliste bis Montag, 14.4., zusammenstellen?")
        == "Bestellliste zusammenstellen"
    )


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Bitte ändere die Reihenfolge der Lieder.", "Reihenfolge der Lieder ändern"),
        ("Sammle bitte die Beiträge der Sänger ein.", "Beiträge der Sänger einsammeln"),
        ("Bitte kümmere dich um die Getränke.", "Sich um die Getränke kümmern"),
    ],
)  # fmt: skip
def test_a_german_imperative_of_a_verb_in_ern_or_eln_has_its_own_infinitive(
    sentence: str, expected: str
) -> None:
    assert title(sentence) == expected


@pytest.mark.parametrize(
    ("previous", "sentence", "expected"),
    [
        ("Und noch etwas: die Heizung im Gemeinschaftsraum muss dringend repariert werden.",
         "Bitte kümmere dich darum.", "Sich um die Heizung im Gemeinschaftsraum kümmern"),
        ("Der Vertrag mit dem Hausmeisterdienst sollte bis Ende Mai verlängert werden.",
         "Kannst du dich darum kümmern?", "Sich um den Vertrag mit dem Hausmeisterdienst kümmern"),
        ("Ach ja: die Getränke für das Sommerfest müssen noch bestellt werden.",
         "Könnt ihr euch bitte darum kümmern?", "Sich um die Getränke für das Sommerfest kümmern"),
    ],
)  # fmt: skip
def test_a_german_darum_is_named_by_what_the_sentence_before_says_must_be_done(
    previous: str, sentence: str, expected: str
) -> None:
    assert title(sentence, previous=previous) == expected


def test_a_german_darum_stays_when_the_sentence_before_names_no_duty() -> None:
    assert (
        title("Bitte kümmere dich darum.", previous="Danke für die schnelle Antwort!") == "Sich darum kümmern"
    )
