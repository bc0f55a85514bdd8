"""Titles on kinds of mail the third mailbox showed going wrong, in wordings written for these tests (a
garden centre, a choir, a print shop, a tenants' association, a conference): an amount given as a range ("two
or three photos"), a zone's "time" left behind by its date, a purpose said before a Spanish, French or
German ask, the reason or aside said after it, a month that names a thing ("el pedido de enero"), the comma
that closes a German date's apposition, German du-imperatives of verbs in -ern/-eln, a German
"darum"/"dafür" named by what the sentence before says must be done, a version named by the subject's thing,
a pointer to a subject line that states a thing's trouble, "let us know if this date works" after a
proposal, a forward handed over in German, French or Spanish, a Spanish need for a thing, and an imperative
after "si puedes,"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tasks_app.extractors import EmailForExtraction, ExtractedTask
from tasks_app.extractors.offline import OfflineExtractor
from tasks_app.extractors.offline.titles import task_title

SENDER = '"Nora Lind" <nora@gardencentre.example>'
MONDAY = dt.datetime(2026, 6, 1, 9, 0)  # Monday 1 June 2026


def title(sentence: str, *, subject: str = "Hello", previous: str = "") -> str:
    return task_title(sentence, False, SENDER, subject=subject, previous=previous)


def extract(body: str, *, subject: str = "Hello", zone: str = "Europe/Madrid") -> list[ExtractedTask]:
    email = EmailForExtraction(
        id="r3",
        subject=subject,
        body=body,
        sender="nora@gardencentre.example",
        sender_name="Nora Lind",
        sent_at=MONDAY.replace(tzinfo=ZoneInfo(zone)),
        timezone=zone,
    )
    return OfflineExtractor().extract(email)


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


@pytest.mark.parametrize(
    ("previous", "sentence", "subject", "expected"),
    [
        ("Le adjunto la versión final con los cambios que acordamos.",
         "¿Me la podría devolver firmada antes del viernes?", "Convenio de patrocinio 2027",
         "Devolver la versión final de convenio de patrocinio 2027 firmada"),
        ("I have attached the final version with the changes we discussed.",
         "Could you send it back signed by Friday?", "Re: Sponsorship agreement for the spring fair",
         "Send the final version of sponsorship agreement for the spring fair back signed"),
        ("Anbei die überarbeitete Fassung mit Ihren Änderungen.",
         "Können Sie sie uns bis Freitag unterschrieben zurückschicken?", "Mietvertrag Lager",
         "Die überarbeitete Fassung von Mietvertrag Lager unterschrieben zurückschicken"),
    ],
)  # fmt: skip
def test_a_version_is_named_by_the_thing_the_subject_says_it_is_of(
    previous: str, sentence: str, subject: str, expected: str
) -> None:
    assert title(sentence, subject=subject, previous=previous) == expected


def test_a_version_that_says_of_what_is_left_as_it_is() -> None:
    assert (
        title(
            "Could you send it back signed by Friday?",
            subject="Sponsorship",
            previous="I have attached the final version of the venue contract.",
        )
        == "Send the final version of the venue contract back signed"
    )


@pytest.mark.parametrize(
    ("subject", "sentence", "expected"),
    [
        ("Kodaly room door locked", "Can you unlock it before rehearsal?", "Unlock the Kodaly room door before rehearsal"),
        ("Re: Zebra label printer jammed again", "Could you fix it today?", "Fix the Zebra label printer"),
        ("Hobart dishwasher not working", "Please take care of it.", "Take care of the Hobart dishwasher"),
    ],
)  # fmt: skip
def test_a_pointer_to_a_subject_that_states_trouble_is_the_thing_not_its_state(
    subject: str, sentence: str, expected: str
) -> None:
    assert title(sentence, subject=subject) == expected


@pytest.mark.parametrize(
    ("previous", "sentence", "expected"),
    [
        ("Our technician can visit the shop on June 8 at 9:00.", "Could you let us know if this date works for you?",
         "Confirm the date for the visit"),
        ("The courier can deliver the pallets on Tuesday between 8 and 10.", "Please let me know if that time suits.",
         "Confirm the time for the delivery"),
    ],
)  # fmt: skip
def test_let_us_know_if_this_date_works_confirms_the_date_of_what_was_proposed(
    previous: str, sentence: str, expected: str
) -> None:
    assert title(sentence, previous=previous) == expected


def test_let_us_know_if_this_date_works_without_a_proposal_stays_a_reply() -> None:
    assert title("Could you let us know if this date works for you?", previous="Thanks for your order.") == (
        "Let Nora know if this date works for you"
    )


FORWARD = (
    "{note}\n\n"
    "---------- Forwarded message ---------\n"
    "From: Lea Brun <lea@imprimerie.example>\n"
    "Subject: Affiches\n\n"
    "Bonjour,\n\nPourriez-vous nous envoyer les fichiers des affiches avant le 10 juin ?\n\nCordialement,\nLea\n"
)


@pytest.mark.parametrize(
    "note",
    [
        "Nora, siehe unten – kannst du das bitte übernehmen?",
        "Nora, voir ci-dessous.",
        "Nora, mira abajo, gracias.",
    ],
)
def test_a_forward_pointed_at_or_handed_over_in_german_french_or_spanish_gives_the_forwarded_ask(
    note: str,
) -> None:
    tasks = extract(FORWARD.format(note=note), subject="Fwd: Affiches")
    assert [task.title for task in tasks] == ["Envoyer les fichiers des affiches"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hola Nora:\n\nPara cerrar el trimestre necesito los recibos de la caja chica antes del viernes.\n\nSaludos",
         "Enviar los recibos de la caja chica para cerrar el trimestre"),
        ("Hola Nora:\n\nNecesitamos las medidas del escenario a más tardar el jueves, sobre todo las del fondo.\n\nGracias",
         "Enviar las medidas del escenario"),
    ],
)  # fmt: skip
def test_a_spanish_need_for_a_thing_is_an_ask_to_send_it(body: str, expected: str) -> None:
    assert [task.title for task in extract(body)] == [expected]


def test_a_spanish_need_for_a_day_is_not_a_need_for_a_thing() -> None:
    assert extract("Hola Nora:\n\nNecesito el jueves libre para la mudanza.\n\nSaludos") == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hola Nora:\n\nY si puedes, paga la fianza del local a la cuenta de siempre.\n\nUn abrazo",
         "Paga la fianza del local a la cuenta de siempre"),
        ("Bonjour Nora,\n\nEt si tu peux, envoie-moi le devis signé.\n\nBonne journée",
         "Envoie le devis signé"),
    ],
)  # fmt: skip
def test_an_imperative_after_if_you_can_is_an_ask(body: str, expected: str) -> None:
    assert [task.title for task in extract(body)] == [expected]


def test_if_you_can_before_a_reassurance_is_no_ask() -> None:
    assert extract("Hola Nora:\n\nSi puedes, no te preocupes por el resto.\n\nUn abrazo") == []


def test_a_date_after_a_más_tardar_el_leaves_neither_lead_behind() -> None:
    # "3/12" is found without its "el" (the finder reads it day-first or not), so two leads stand before it.
    assert title("¿Puedes mandarme el inventario a más tardar el 3/12?") == "Mandar el inventario"


def test_the_author_goes_before_a_named_persons_thing() -> None:
    assert (
        title("When you get a minute, can you forward me Daniel's new address?")
        == "Forward Daniel's new address"
    )


def test_a_second_french_infinitive_loses_its_de_and_the_authors_pronoun() -> None:
    assert (
        title("Merci de compléter la fiche d'inscription et de me la renvoyer avant jeudi.")
        == "Compléter la fiche d'inscription et la renvoyer"
    )


@pytest.mark.parametrize(
    ("previous", "sentence", "expected"),
    [
        ("The new menu cards arrived from the printer this morning.", "Could you check them for typos before Thursday?",
         "Check the new menu cards for typos"),
        ("Le devis du traiteur est arrivé.", "Peux-tu le relire et me dire ce que tu en penses d'ici mercredi ?",
         "Relire le devis du traiteur et dire ce que tu en penses"),
        ("Hola Tom: ya llegó el presupuesto de la carpa.", "¿Me lo puedes reenviar antes del viernes?",
         "Reenviar el presupuesto de la carpa"),
        ("Der Kostenvoranschlag für die Markise ist da.", "Kannst du ihn bis Freitag prüfen?",
         "Den Kostenvoranschlag für die Markise prüfen"),
    ],
)  # fmt: skip
def test_a_pointer_is_named_by_what_the_sentence_before_says_has_arrived(
    previous: str, sentence: str, expected: str
) -> None:
    assert title(sentence, previous=previous) == expected


def test_a_pointer_at_the_end_is_named_by_the_thing_in_trouble_before_it() -> None:
    assert (
        title(
            "Can you get someone to look at it this week?",
            previous="The fridge in the bar is making that noise again.",
        )
        == "Get someone to look at the fridge in the bar"
    )


def test_someone_coming_in_is_a_visit_whose_time_the_reader_confirms() -> None:
    assert (
        title(
            "Can you let me know if that time works?",
            previous="Our accountant can come in on Thursday at 10 to go through the VAT return.",
        )
        == "Confirm the time for the visit"
    )


@pytest.mark.parametrize(
    ("previous", "sentence", "expected"),
    [
        ("Tom, the landlord wants the gas safety certificate.", "Can you dig it out and scan it to him by Friday?",
         "Dig out the gas safety certificate"),
        ("We're short of napkins and take-away boxes.", "Can you order more before the weekend?",
         "Order more napkins and take-away boxes"),
        ("Attached is the draft contract from the caterer.", "Please read it and flag anything odd by Thursday.",
         "Read the draft contract from the caterer and flag anything odd"),
    ],
)  # fmt: skip
def test_a_pointer_named_from_the_sentence_before_keeps_its_particle_and_its_amount(
    previous: str, sentence: str, expected: str
) -> None:
    assert title(sentence, subject="Misc", previous=previous) == expected


def test_a_french_question_in_statement_order_is_an_ask_titled_by_its_verb() -> None:
    body = (
        "Bonjour Tom,\n\nIl nous manque l'attestation d'assurance du camion. Tu peux la demander au loueur "
        "avant vendredi ?\n\nAna"
    )
    assert [task.title for task in extract(body, subject="Attestation")] == [
        "Demander l'attestation d'assurance du camion au loueur"
    ]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("¿Puedes pedir la hoja de alta y mandármela antes del jueves?", "Pedir la hoja de alta y mandarla"),
        ("¿Puedes imprimir las entradas y traérnoslas mañana?", "Imprimir las entradas y traerlas"),
        ("¿Podrías revisar el acta y decirme si falta algo?", "Revisar el acta y decir si falta algo"),
    ],
)  # fmt: skip
def test_a_second_spanish_infinitive_loses_the_authors_pronoun_and_keeps_its_object(
    sentence: str, expected: str
) -> None:
    assert title(sentence) == expected


def test_a_last_spanish_infinitive_with_no_object_keeps_the_authors_pronoun() -> None:
    # "y avisar" at the end reads as cut short of "avisarme".
    assert title("¿Puedes revisar el envío y avisarme?") == "Revisar el envío y avisarme"
