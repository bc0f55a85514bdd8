"""The offline extractor on mail written for these tests, unlike any other test's wording: receipts,
status notes, sales pitches, newsletters without bulk headers, bookings, and asks whose other way out
follows them. Each case stands for a kind of mail, not for its words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tasks_app.evaluation import title_form_problem
from tasks_app.extractors import EmailForExtraction, ExtractedTask, Reader, Recipient
from tasks_app.extractors.offline import OfflineExtractor
from tasks_app.tests.test_offline_structure import titles_and_dues

LONDON = "Europe/London"
TUESDAY = dt.datetime(2026, 5, 12, 9, 30, tzinfo=ZoneInfo(LONDON))  # Tuesday 12 May 2026
LEO = Reader(names=("Leo Marsh", "Leo"), addresses=("leo.marsh@orbitfield.example",))
TO_LEO = (Recipient("leo.marsh@orbitfield.example", "Leo Marsh"),)


def email(body: str, *, sender: str, subject: str = "Hello") -> EmailForExtraction:
    return EmailForExtraction(
        id="g1",
        subject=subject,
        body=body,
        sender=sender,
        sender_name=sender.split("<")[0].strip(),
        sent_at=TUESDAY,
        timezone=LONDON,
        reader=LEO,
        to=TO_LEO,
    )


def extract(
    body: str, *, sender: str = "Ines Duarte <ines@orbitfield.example>", subject: str = "Hi"
) -> list[ExtractedTask]:
    message = email(body, sender=sender, subject=subject)
    tasks = OfflineExtractor().extract(message)
    for task in tasks:
        assert title_form_problem(task, message) == "", task.title
    return tasks


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=ZoneInfo(LONDON))


@pytest.mark.parametrize(
    ("sender", "subject", "body"),
    [
        (
            "Mara Quinn <mara@growthlabs.example>",
            "Quick idea for Orbitfield",
            "Hi Leo,\n\nI noticed Orbitfield is hiring three SDRs. We help B2B startups cut ramp time in half "
            "with AI coaching.\n\nDo you have 15 minutes next Tuesday to explore whether this could work for "
            "your team?\n\nMara",
        ),
        (
            "Tom Ellery <tom@cloudsavers.example>",
            "Cut your AWS bill",
            "Leo - most SaaS teams overspend on cloud. Could I grab 10 minutes this week to show you how we "
            "found $200k in savings for a company your size?",
        ),
        (
            "Kit Adebayo <kit@hirewell.example>",
            "Engineering hires",
            "Hello Leo, I saw the two backend roles on your careers page. We've placed senior engineers at "
            "several fintechs this year. Would you be free for a short call on Thursday?",
        ),
    ],
    ids=["minutes to explore", "grab minutes to show", "recruiter"],
)
def test_a_cold_pitch_in_other_words_gives_no_task(sender: str, subject: str, body: str) -> None:
    assert extract(body, sender=sender, subject=subject) == []


@pytest.mark.parametrize(
    ("sender", "body"),
    [
        # A newsletter that the sync did not flag: it says what it is.
        (
            "The Product Brief <hello@productbrief.example>",
            "In this week's issue: five pricing pages that convert and a teardown of an onboarding flow.\n\n"
            "Read the full teardown on our site and share it with your team.",
        ),
        # An event promotion with a list footer.
        (
            "Northdesk Events <events@northdesk.example>",
            "Join our product team live on Thursday 21 May at 4pm for a 30-minute tour of what's new.\n\n"
            "Book your place today.\n\nNorthdesk, 1 King St, London. Unsubscribe | Privacy",
        ),
    ],
    ids=["newsletter", "event promotion"],
)
def test_mail_to_a_list_gives_no_task(sender: str, body: str) -> None:
    assert extract(body, sender=sender) == []


def test_mail_to_a_list_still_gives_what_the_reader_owes_on_their_account() -> None:
    body = (
        "Your water bill of £42.10 is due on 28 May. Please pay it by then to avoid a late fee.\n\n"
        "Manage your email preferences in your account."
    )
    tasks = extract(body, sender="Thames Water <billing@water.example>", subject="Your bill")
    assert [task.due for task in tasks] == [at(28, 17)]


@pytest.mark.parametrize(
    "body",
    [
        "Quick heads-up: the office network is down for maintenance on Saturday. There's nothing you need "
        "to do beforehand.",
        "The payroll cut-off moved to the 20th. You don't have to do anything, it's handled centrally.",
        "The supplier fixed the invoice themselves, so no action on your side. Thanks!",
    ],
)
def test_a_note_that_says_the_reader_has_nothing_to_do_gives_no_task(body: str) -> None:
    assert extract(body) == []


@pytest.mark.parametrize(
    "body",
    [
        "Done - you should now have access to the billing dashboard. Thanks for your patience!",
        "Thanks for your purchase! Total paid: £8.40 on 11 May. Keep this email for your records.",
        "FYI the quarterly review moved to the 18th. Let me know if that causes any problems.",
        "The Lisbon trip is booked. Shout if anything creates an issue with your calendar.",
    ],
    ids=["done, access", "receipt", "courtesy about problems", "courtesy about an issue"],
)
def test_notifications_and_courtesy_lines_give_no_task(body: str) -> None:
    assert extract(body) == []


def test_the_other_way_out_of_an_ask_is_part_of_it() -> None:
    body = (
        "Could you send me the signed lease by Friday? If not, please send the draft to Priya instead.\n\n"
        "Hannah"
    )
    assert titles_and_dues(extract(body)) == [("Send the signed lease", at(15, 17))]
    # On its own, the same sentence still asks.
    assert len(extract("If not, please forward this to the right person in finance.")) == 1


@pytest.mark.parametrize(
    ("body", "title", "due"),
    [
        (
            "Hi Leo, this is a reminder that your physiotherapy session with Mark is booked for Friday "
            "15 May at 4:30pm. To cancel, reply CANCEL at least 24 hours before.",
            "Physiotherapy session with Mark",
            at(15, 16, 30),
        ),
        (
            "Just a reminder of your eye exam with Dr. Okafor on Monday 18 May at 9:15 AM.\n\n"
            "Reply Y to confirm or call us to reschedule.",
            "Eye exam with Dr. Okafor",
            at(18, 9, 15),
        ),
        (
            "Your haircut is confirmed for Saturday, 16 May at 11am. See you then!",
            "Haircut",
            at(16, 11),
        ),
    ],
    ids=["session is booked", "reminder of an exam", "is confirmed for"],
)
def test_a_reminder_of_the_readers_booking_is_a_meeting(body: str, title: str, due: dt.datetime) -> None:
    [task] = extract(body, sender="Bookings <bookings@clinic.example>", subject="Your appointment")
    assert (task.title, task.kind, task.due) == (title, "meeting", due)


def test_a_weekday_before_a_day_and_month_is_one_date() -> None:
    [task] = extract("Could you send the slides on Wednesday 20 May at 2pm?")
    assert task.due == at(20, 14)


def test_an_ask_takes_the_deadline_the_next_sentence_sets() -> None:
    body = "Can you review the Acme renewal contract? Legal needs our comments by Friday 3pm."
    assert titles_and_dues(extract(body)) == [("Review the Acme renewal contract", at(15, 15))]
    # A date that is not a deadline ("the call on Friday") does not become the ask's due.
    body = "Can you review the Acme renewal contract? We talked about it on Friday."
    assert titles_and_dues(extract(body)) == [("Review the Acme renewal contract", None)]


def test_an_ask_that_points_back_takes_the_date_of_the_sentence_before() -> None:
    body = "The board pack goes out on Monday. Please send me your section before then."
    assert titles_and_dues(extract(body)) == [("Send your section", at(18, 17))]


@pytest.mark.parametrize(
    ("body", "due"),
    [
        ("Are you and Priya free for dinner on Friday at 7:30? My treat.", at(15, 19, 30)),
        ("Fancy drinks after the offsite on Thursday at 8? Let me know.", at(14, 20)),
        ("Can we meet Friday at 9:30 to go over the budget?", at(15, 9, 30)),
        ("Dinner on Friday at 7:30am before the flight?", at(15, 7, 30)),
    ],
    ids=["dinner at 7:30", "drinks at 8", "a meeting stays in business hours", "am said"],
)
def test_an_evening_thing_at_a_bare_hour_is_in_the_evening(body: str, due: dt.datetime) -> None:
    [task] = extract(body)
    assert task.due == due


def test_moving_a_meeting_the_two_already_have_is_a_meeting_at_the_new_time() -> None:
    body = "Leo, the all-hands ran over on Wednesday - could we push our check-in to Thursday at 11 instead?"
    [task] = extract(body, subject="check-in")
    assert (task.kind, task.due) == ("meeting", at(14, 11))


def test_a_question_whether_something_is_so_is_a_task_to_find_out_with_the_deadline_after_it() -> None:
    body = (
        "Small favour: any idea whether the Leeds office has a spare standing desk? We'd need to know by "
        "Thursday noon, or I'll order one."
    )
    assert titles_and_dues(extract(body, subject="desk")) == [
        ("Find out whether the Leeds office has a spare standing desk", at(14, 12))
    ]


def test_a_time_put_to_the_reader_is_the_meeting_named_in_the_sentence_before() -> None:
    body = (
        "I'd love to set up a short call to walk through the new onboarding flow. Would Monday 18 May at "
        "2:30 work for you? If not, please suggest another slot that week."
    )
    [task] = extract(body, subject="Onboarding")
    assert (task.kind, task.due) == ("meeting", at(18, 14, 30))
    assert "onboarding" in task.title.lower()


def test_a_pointer_names_the_thing_the_clause_before_the_ask_is_about() -> None:
    body = "Also the boiler engineer is coming on Friday between 9 and 11am, could you be home for that?"
    [task] = extract(body, subject="this week")
    assert task.title == "Be home for the boiler engineer"


@pytest.mark.parametrize(
    ("body", "title", "due"),
    [
        (
            "Friendly reminder that April expenses have to be submitted in Expensify by this Friday.",
            "Submit April expenses in Expensify",
            at(15, 17),
        ),
        (
            "The contractor timesheets need to be approved by Monday noon.",
            "Approve the contractor timesheets",
            at(18, 12),
        ),
        (
            "Invoice INV-2291 for £1,250 is due on 22 May. You can pay by bank transfer.",
            "Pay invoice INV-2291",
            at(22, 17),
        ),
    ],
    ids=["passive duty", "passive duty with the", "a bill falls due"],
)
def test_a_duty_said_in_the_passive_or_as_a_bill_is_titled_by_its_verb(
    body: str, title: str, due: dt.datetime
) -> None:
    assert titles_and_dues(extract(body, subject="Reminder")) == [(title, due)]
    # Done already, by someone: nothing to do.
    assert extract("The report was submitted by Jo on Monday.") == []


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (
            "I'd appreciate it if you could look over the Q2 forecast before Thursday.",
            "Look over the Q2 forecast",
        ),
        ("It would be great if you could book the Lisbon hotel by Monday.", "Book the Lisbon hotel"),
        ("It would be great to have your agenda items by Monday.", "Send your agenda items"),
        ("Finance needs you to approve the Acme refund by Friday.", "Approve the Acme refund"),
    ],
)
def test_soft_and_third_party_asks_are_titled_by_the_readers_verb(body: str, title: str) -> None:
    [task] = extract(body)
    assert task.title == title


@pytest.mark.parametrize(
    ("sender", "body"),
    [
        (
            "Slack <notification@slack.com>",
            "You have 3 new messages in #ops.\n\nHannah: can someone check the staging deploy?\n\nView in Slack",
        ),
        ("LinkedIn <invitations@linkedin.com>", "Hi Leo, I'd like to join your LinkedIn network.\n\nAccept"),
    ],
    ids=["digest", "social network"],
)
def test_a_platforms_digest_or_social_notice_gives_no_task(sender: str, body: str) -> None:
    assert extract(body, sender=sender) == []


@pytest.mark.parametrize(
    "body",
    [
        "Happy birthday Leo!! Hope you have the best day. Let's celebrate properly when you're back.",
        "Great to bump into you at the conference. We should grab a coffee sometime!",
    ],
)
def test_a_get_together_wished_for_some_day_gives_no_task(body: str) -> None:
    assert extract(body, sender="Sofia <sofia.k@gmail.com>") == []
    # With a day, it is a proposal to answer.
    assert len(extract("Let's grab a coffee on Thursday at 11?", sender="Sofia <sofia.k@gmail.com>")) == 1


MARTA = Reader(names=("Marta Ibáñez", "Marta"), addresses=("marta@viajesluz.example",))
MADRID = "Europe/Madrid"


def extract_for_marta(body: str, *, sender: str = "Cliente <cliente@example.org>") -> list[ExtractedTask]:
    message = EmailForExtraction(
        id="g2",
        subject="Viaje",
        body=body,
        sender=sender,
        sender_name=sender.split("<")[0].strip(),
        sent_at=dt.datetime(2026, 5, 12, 9, 30, tzinfo=ZoneInfo(MADRID)),
        timezone=MADRID,
        reader=MARTA,
        to=(Recipient("marta@viajesluz.example", "Marta Ibáñez"),),
    )
    tasks = OfflineExtractor().extract(message)
    for task in tasks:
        assert title_form_problem(task, message) == "", task.title
    return tasks


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (
            "Marta, necesito que reserves dos habitaciones en el Hotel Miramar para el 3 de junio.",
            "Reservar dos habitaciones en el Hotel Miramar",
        ),
        (
            "Bonjour Marta, merci de nous envoyer les horaires des transferts d'ici jeudi.",
            "Envoyer les horaires des transferts",
        ),
        (
            "Hola Marta, ¿podemos hablar mañana a las 11 sobre el grupo de Sevilla?",
            "Reunión con Cliente sobre el grupo de Sevilla",
        ),
        (
            "Hallo Marta, passt Ihnen ein kurzer Anruf am Donnerstag um 15 Uhr wegen der Gruppenreise?",
            "Treffen mit Cliente wegen der Gruppenreise",
        ),
    ],
    ids=["subjunctive ask", "greeting before 'merci de'", "meeting topic es", "meeting topic de"],
)
def test_asks_in_other_languages_keep_their_verb_and_topic(body: str, title: str) -> None:
    [task] = extract_for_marta(body)
    assert task.title == title


@pytest.mark.parametrize(
    "body",
    [
        "Bonjour Marta, je me permets de vous contacter car nous aidons les agences de voyage à augmenter "
        "leurs ventes. Seriez-vous disponible pour un appel de 15 minutes ?",
        "Hallo Marta, wir helfen Agenturen wie Ihrer, Buchungen zu automatisieren. Hätten Sie diese Woche "
        "15 Minuten für eine kurze Demo?",
    ],
    ids=["fr", "de"],
)
def test_a_cold_pitch_in_another_language_gives_no_task(body: str) -> None:
    assert extract_for_marta(body, sender="Laura <laura@travelsoft.example>") == []


def test_a_long_title_in_another_language_is_cut_at_a_word_without_an_ellipsis() -> None:
    body = (
        "¿Podrías revisar todas las reservas de hotel del grupo de Valencia y comprobar que cada habitación "
        "tiene desayuno incluido y traslado desde el aeropuerto de Manises hasta el centro antes del viernes?"
    )
    [task] = extract_for_marta(body)
    assert len(task.title) <= 120
    assert task.title.startswith("Revisar todas las reservas")
    assert not task.title.endswith(("…", "...", " de", " del", " el"))


@pytest.mark.parametrize(
    ("body", "title", "due"),
    [
        (
            "Any chance you could cover my 4pm with the Acme team tomorrow? Something came up.",
            "Cover my meeting with the Acme team",
            at(13, 16),
        ),
        (
            "Can you print 20 copies of the agenda for tomorrow's board session?",
            "Print 20 copies of the agenda for the board session",
            None,
        ),
        (
            "Need your sign-off on the Q3 hiring plan by Thursday EOD.",
            "Approve the Q3 hiring plan",
            at(14, 17),
        ),
    ],
    ids=["time named as a meeting", "possessive day", "need your sign-off"],
)
def test_dates_used_as_words_leave_a_title_that_reads(body: str, title: str, due: dt.datetime | None) -> None:
    [task] = extract(body)
    assert task.title == title
    if due is not None:
        assert task.due == due


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (
            "Hola Marta, ¿me confirmas la hora de recogida del grupo antes del martes 19?",
            "Confirmar la hora de recogida del grupo",
        ),
        (
            "Marta, te agradecería que me enviaras la factura del hotel esta semana.",
            "Enviar la factura del hotel",
        ),
        ("Recuerda enviar los bonos a los clientes el lunes.", "Enviar los bonos a los clientes"),
        (
            "Buenos días Marta, hay que pagar la señal del autobús antes del 15 de mayo.",
            "Pagar la señal del autobús",
        ),
        (
            "Hola Marta, ¿sería posible cambiar el vuelo de los García al 25 de mayo?",
            "Cambiar el vuelo de los García",
        ),
        (
            "Bonjour Marta, est-ce que tu pourrais m'envoyer le programme détaillé d'ici vendredi ?",
            "Envoyer le programme détaillé",
        ),
        (
            "Bonjour, j'aurais besoin que vous m'envoyiez les copies des passeports avant le 22 mai.",
            "Envoyer les copies des passeports",
        ),
        ("Il faudrait que tu valides le devis avant mercredi.", "Valider le devis"),
        ("Kannst du mir bis Montag die Hotelbestätigung weiterleiten?", "Hotelbestätigung weiterleiten"),
        (
            "Hallo Marta, ich bräuchte bis Donnerstag ein Angebot für 30 Personen.",
            "Angebot für 30 Personen senden",
        ),
        ("Wäre es möglich, den Transfer auf 10 Uhr zu verschieben?", "Transfer verschieben"),
    ],
)
def test_more_ask_forms_in_other_languages_give_a_task_titled_by_its_infinitive(
    body: str, title: str
) -> None:
    [task] = extract_for_marta(body)
    assert task.title == title


@pytest.mark.parametrize("phrase", ["esta semana", "cette semaine", "diese Woche"])
def test_this_week_in_other_languages_is_the_end_of_the_week(phrase: str) -> None:
    body = {"esta semana": "¿Podrías enviarme la factura del hotel esta semana?",
            "cette semaine": "Pourriez-vous m'envoyer la facture de l'hôtel cette semaine ?",
            "diese Woche": "Könnten Sie mir bitte die Hotelrechnung diese Woche schicken?"}[phrase]  # fmt: skip
    [task] = extract_for_marta(body)
    assert task.due == dt.datetime(2026, 5, 15, 17, 0, tzinfo=ZoneInfo(MADRID))


@pytest.mark.parametrize(
    "body",
    [
        "Tu pedido ha sido enviado y llegará el jueves. Puedes seguir el envío desde tu cuenta.",
        "Votre commande est en route. Vous pouvez suivre la livraison dans votre espace client.",
        "Ich bin bis zum 19. Mai nicht im Büro. In dringenden Fällen wenden Sie sich bitte an Herrn Keller.",
    ],
    ids=["es option", "fr option", "de auto-reply"],
)
def test_options_and_auto_replies_in_other_languages_give_no_task(body: str) -> None:
    assert extract_for_marta(body, sender="Aviso <aviso@tienda.example>") == []
    # Asked, the same modal is a request.
    assert len(extract_for_marta("¿Puedes revisar el envío y avisarme el jueves?")) == 1
