"""The offline extractor on kinds of mail that the second held-out mailbox showed it missing, in wordings
written for these tests (a hardware shop, a choir, a school, a flat share): courtesy offers at the end of
a note, a list of asks in verbs the intent patterns do not list, a "no action needed" aside on one item,
a greeting to everyone who holds a role, a reply-by after a question, service prompts in receipts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tasks_app.evaluation import title_form_problem
from tasks_app.extractors import EmailForExtraction, ExtractedTask, Reader, Recipient
from tasks_app.extractors.offline import OfflineExtractor

DUBLIN = "Europe/Dublin"
MONDAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo(DUBLIN))  # Monday 1 June 2026
NIAMH = Reader(names=("Niamh Byrne", "Niamh"), addresses=("niamh.byrne@harbourworks.example",))
TO_NIAMH = (Recipient("niamh.byrne@harbourworks.example", "Niamh Byrne"),)


def email(
    body: str,
    *,
    sender: str = "Colm Daly <colm.daly@harbourworks.example>",
    subject: str = "Hello",
    to: tuple[Recipient, ...] = TO_NIAMH,
    cc: tuple[Recipient, ...] = (),
) -> EmailForExtraction:
    return EmailForExtraction(
        id="u1",
        subject=subject,
        body=body,
        sender=sender.split("<")[-1].rstrip(">") if "<" in sender else sender,
        sender_name=sender.split("<")[0].strip(),
        sent_at=MONDAY,
        timezone=DUBLIN,
        reader=NIAMH,
        to=to,
        cc=cc,
    )


def extract(body: str, **kwargs: object) -> list[ExtractedTask]:
    message = email(body, **kwargs)  # type: ignore[arg-type]
    tasks = OfflineExtractor().extract(message)
    for task in tasks:
        assert title_form_problem(task, message) == "", task.title
    return tasks


def on(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=ZoneInfo(DUBLIN))


@pytest.mark.parametrize(
    "closing",
    [
        "Let me know if you want the recording.",
        "Let me know if anyone on your team missed it and wants a refresher.",
        "Just say if you'd like a copy of the slides.",
        "Let us know if you'd like me to send the full minutes.",
    ],
)
def test_an_offer_at_the_end_of_a_note_gives_no_task(closing: str) -> None:
    body = f"Hi Niamh,\n\nThe stock-take went well on Saturday and the totals match the system.\n\n{closing}\n\nColm"
    assert extract(body) == []


def test_a_let_me_know_that_asks_is_still_a_task() -> None:
    tasks = extract("Hi Niamh,\n\nLet me know if Thursday at 10 works for the stock-take.\n\nColm")
    assert len(tasks) == 1


@pytest.mark.parametrize(
    ("lead", "verb_item"),
    [
        ("Two things I need from you:", "Collect the spare keys from reception"),
        ("What I need from you this week:", "Post the new opening hours on the shop door by Friday"),
    ],
)
def test_under_a_lead_that_asks_an_item_in_any_verb_is_a_task(lead: str, verb_item: str) -> None:
    body = f"Hi Niamh,\n\n{lead}\n\n- {verb_item}\n- Send me the float count by Wednesday\n\nColm"
    titles = [task.title.split()[0] for task in extract(body)]
    assert titles == [verb_item.split()[0], "Send"]


def test_items_under_notes_stay_notes_even_in_other_verbs() -> None:
    body = "Hi Niamh,\n\nRelease notes for the till app:\n\n- Collect loyalty points at checkout\n- Post receipts by email\n\nColm"
    assert extract(body) == []


def test_no_action_needed_on_one_item_does_not_silence_the_ask_below() -> None:
    body = (
        "The new rota system starts on 15 June. What changes:\n\n"
        "1. Shifts: swaps are approved in the app.\n"
        "2. Payslips: they move to the portal (no action needed).\n\n"
        "Action for shop leads: please confirm by Friday who will attend the training."
    )
    tasks = extract(
        body, sender="Rota Team <rota@harbourworks.example>", to=(Recipient("leads@harbourworks.example"),)
    )
    assert [(task.title, task.due) for task in tasks] == [("Confirm who will attend the training", on(5, 17))]


def test_a_note_that_says_no_action_is_needed_still_gives_nothing() -> None:
    body = "The rota moves to the new app on 15 June. No action needed, your shifts carry over."
    assert extract(body) == []


@pytest.mark.parametrize("greeting", ["Hi managers,", "Dear colleagues,", "Hello shop leads,"])
def test_a_greeting_to_everyone_in_a_role_reaches_a_reader_in_cc(greeting: str) -> None:
    body = f"{greeting}\n\nReminder: June expense claims must be submitted in Pleo by Thursday at noon.\n\nFinance"
    tasks = extract(
        body,
        sender="Finance <finance@harbourworks.example>",
        to=(Recipient("managers@harbourworks.example"),),
        cc=TO_NIAMH,
    )
    assert [task.due for task in tasks] == [on(4, 12)]


def test_a_reader_in_cc_behind_a_named_greeting_gets_nothing() -> None:
    body = (
        "Hi Aoife,\n\nReminder: June expense claims must be submitted in Pleo by Thursday at noon.\n\nFinance"
    )
    tasks = extract(
        body,
        sender="Finance <finance@harbourworks.example>",
        to=(Recipient("aoife@harbourworks.example", "Aoife Kelly"),),
        cc=TO_NIAMH,
    )
    assert tasks == []


@pytest.mark.parametrize(
    "reply_by",
    ["Please let me know by Friday.", "Please get back to me by Friday.", "Kindly reply by Friday."],
)
def test_a_reply_by_after_a_question_dates_the_question(reply_by: str) -> None:
    body = f"Hi Niamh,\n\nWould you be willing to run the window display contest in July? {reply_by}\n\nColm"
    tasks = extract(body)
    assert [(task.title, task.due) for task in tasks] == [
        ("Run the window display contest in July", on(5, 17))
    ]


@pytest.mark.parametrize(
    "body",
    [
        "Thanks for riding with us.\n\nTotal: €18.40\n\nPick-up 7:05 PM - Pearse St\nDrop-off 7:31 PM - Ranelagh\n\n"
        "How was your trip? Rate Sean in the app.",
        "Your parcel is on its way.\n\nArriving tomorrow by 6 PM\n\nNeed to change something? Visit Your Account.",
    ],
    ids=["ride receipt", "parcel notice"],
)
def test_a_service_notice_with_its_prompts_gives_no_task(body: str) -> None:
    assert extract(body, sender="Notices <notices@rides.example>") == []


def titles_and_dues(tasks: list[ExtractedTask]) -> list[tuple[str, dt.datetime | None]]:
    return [(task.title, task.due) for task in tasks]


@pytest.mark.parametrize(
    ("ask", "title"),
    [
        (
            "Niamh: I need your go-ahead on the new alarm contract by Thursday.",
            "Approve the new alarm contract",
        ),
        (
            "One more thing: we need your OK on moving the stock room by Thursday.",
            "Approve moving the stock room",
        ),
    ],
)
def test_a_named_call_before_i_need_your_ok_is_read_past(ask: str, title: str) -> None:
    assert titles_and_dues(extract(f"Weekly notes below.\n\n{ask}\n\nColm")) == [(title, on(4, 17))]


@pytest.mark.parametrize(
    ("ask", "title"),
    [
        (
            "I'd like a short write-up of the till outage by Friday.",
            "Send a short write-up of the till outage",
        ),
        ("We would like the signed lease back by Friday.", "Send the signed lease back"),
    ],
)
def test_a_thing_wanted_by_a_deadline_is_an_ask(ask: str, title: str) -> None:
    assert titles_and_dues(extract(f"Hi Niamh,\n\n{ask}\n\nColm")) == [(title, on(5, 17))]


def test_a_wish_without_a_deadline_is_not_an_ask() -> None:
    assert extract("Hi Niamh,\n\nI'd like a quieter week after all that.\n\nColm") == []


@pytest.mark.parametrize(
    ("body", "title", "due"),
    [
        (
            "Niamh,\n\nThe stock-take briefing moves to Wednesday at 7:30am in the back office. Please bring "
            "the count sheets.\n\nColm",
            "Stock-take briefing",
            on(3, 7, 30),
        ),
        (
            "Hi Niamh,\n\nThree things ahead of the supplier review on Thursday (11am, upstairs):\n\n"
            "- Print the price list\n- Send me the returns log by Wednesday\n\nColm",
            "Supplier review",
            on(4, 11),
        ),
        (
            "Hi Niamh,\n\nJust so you know, our safety training will now take place on Friday at 2pm.\n\nColm",
            "Safety training",
            on(5, 14),
        ),
    ],
    ids=["moved", "in the lead of a list", "will now take place"],
)
def test_a_meeting_announced_with_a_time_is_on_the_calendar(body: str, title: str, due: dt.datetime) -> None:
    tasks = extract(body)
    assert (title, due) in titles_and_dues(tasks)
    assert next(task for task in tasks if task.title == title).kind == "meeting"
    # What to bring is part of the meeting, not a task of its own.
    assert not any(task.title.startswith("Bring") for task in tasks)


@pytest.mark.parametrize(
    "body",
    [
        "Hi Niamh,\n\nThe supplier review on Thursday at 11am went well; notes to follow.\n\nColm",
        "Hi Niamh,\n\nThe stock-take briefing on Wednesday at 7:30am is cancelled.\n\nColm",
    ],
    ids=["over", "cancelled"],
)
def test_a_meeting_that_is_over_or_off_is_not_on_the_calendar(body: str) -> None:
    assert extract(body) == []


def test_a_reader_in_cc_gets_no_announced_meeting() -> None:
    body = "Hi Aoife,\n\nThe supplier review moves to Thursday at 11am.\n\nColm"
    tasks = extract(body, to=(Recipient("aoife@harbourworks.example", "Aoife Kelly"),), cc=TO_NIAMH)
    assert tasks == []


def test_an_ask_that_names_a_meeting_is_the_ask() -> None:
    body = "Hi Niamh,\n\nCould you send me the returns log before the supplier review on Thursday at 11am?\n\nColm"
    assert [task.title for task in extract(body)] == ["Send the returns log before the supplier review"]


def test_two_dated_promises_in_the_readers_own_sentence_are_two_tasks() -> None:
    message = EmailForExtraction(
        id="u2",
        subject="Re: Shop fit-out",
        body="Hi Colm,\n\nI'll order the shelving on Tuesday, and send you the floor plan by Thursday noon.\n\nNiamh",
        sender="niamh.byrne@harbourworks.example",
        sender_name="Niamh Byrne",
        sent_at=MONDAY,
        timezone=DUBLIN,
        reader=NIAMH,
        to=(Recipient("colm.daly@harbourworks.example", "Colm Daly"),),
    )
    assert titles_and_dues(OfflineExtractor().extract(message)) == [
        ("Order the shelving", on(2, 17)),
        ("Send the floor plan", on(4, 12)),
    ]


def test_the_second_dated_promise_of_the_sender_is_still_the_senders() -> None:
    body = "Hi Niamh,\n\nI'll order the shelving on Tuesday, and send you the floor plan by Thursday noon.\n\nColm"
    assert extract(body) == []


def test_two_dated_asks_joined_by_and_are_two_tasks() -> None:
    body = "Hi Niamh,\n\nCould you check the float on Tuesday and email the totals to Aoife by Wednesday?\n\nColm"
    assert titles_and_dues(extract(body)) == [
        ("Check the float", on(2, 17)),
        ("Email the totals to Aoife", on(3, 17)),
    ]


def forward(note: str, words: str, *, to: str = "Front Desk <desk@harbourworks.example>") -> str:
    return (
        f"{note}\n\n---------- Forwarded message ---------\nFrom: Lettings <lettings@dockside.example>\n"
        f"Date: Mon, Jun 1, 2026 at 8:40 AM\nSubject: Meter reading\nTo: {to}\n\n{words}\n"
    )


NOTICE = (
    "Hello,\n\nThe account holder must submit a meter reading in the tenant portal by Friday.\n\nLettings"
)


@pytest.mark.parametrize(
    "note",
    [
        "Niamh - see below, this one needs the account holder.",
        "Tu peux t'en occuper ? Je suis en déplacement.",
        "¿Puedes encargarte tú? Estoy fuera toda la semana.",
        "Kannst du dich darum kümmern? Ich bin die ganze Woche weg.",
    ],
    ids=["see below", "fr", "es", "de"],
)
def test_a_note_that_hands_a_forward_over_makes_its_ask_the_readers(note: str) -> None:
    tasks = extract(forward(note, NOTICE), subject="Fwd: Meter reading")
    assert titles_and_dues(tasks) == [("Submit a meter reading in the tenant portal", on(5, 17))]


@pytest.mark.parametrize(
    "note", ["FYI - see below, nothing for you to do.", "For info, see below.", "See below, FYI."]
)
def test_a_forward_for_information_gives_no_task(note: str) -> None:
    assert extract(forward(note, NOTICE), subject="Fwd: Meter reading") == []


def test_a_forward_that_greets_someone_else_is_not_handed_over_by_see_below() -> None:
    words = NOTICE.replace("Hello,", "Hi Aoife,")
    assert extract(forward("See below.", words), subject="Fwd: Meter reading") == []


@pytest.mark.parametrize(
    ("duty", "title"),
    [
        (
            "Parents must return the signed trip form to the school office by Friday.",
            "Return the signed trip form",
        ),
        (
            "All tenants need to move their bikes out of the hallway by Friday.",
            "Move their bikes out of the hallway",
        ),
    ],
)
def test_a_duty_put_on_a_role_in_a_notice_is_a_task(duty: str, title: str) -> None:
    tasks = extract(f"Hello,\n\n{duty}\n\nThe Office", sender="Office <office@school.example>")
    assert [task.due for task in tasks] == [on(5, 17)]
    assert tasks[0].title.startswith(title)


def test_a_duty_not_to_do_something_is_not_a_task() -> None:
    assert extract("Hello,\n\nTenants must not leave bins in the hallway.\n\nThe Office") == []


@pytest.mark.parametrize(
    ("before", "ask", "title"),
    [
        (
            "For the insurance renewal we need the fire safety certificate and the alarm service log by Friday.",
            "Please upload both to the broker's portal.",
            "Upload the fire safety certificate and the alarm service log to the broker's portal",
        ),
        (
            "We still don't have your signed copy of the lease extension.",
            "Could you scan it and email it to lettings by Friday?",
            "Scan your signed copy of the lease extension",
        ),
        (
            "Il nous manque l'attestation d'assurance du local.",
            "Merci de l'envoyer à l'agence avant vendredi.",
            "Envoyer l'attestation d'assurance du local à l'agence",
        ),
        (
            "Nos faltan las facturas de mayo del proveedor de limpieza.",
            "¿Podrías enviárnoslas antes del viernes?",
            "Enviar las facturas de mayo del proveedor de limpieza",
        ),
        (
            "Für die Abrechnung benötigen wir noch Ihre Stundenzettel für Mai.",
            "Bitte senden Sie diese bis Freitag an lohn@harbourworks.example.",
            "Senden Sie Ihre Stundenzettel für Mai an lohn@harbourworks.example",
        ),
    ],
    ids=["en both", "en it", "fr", "es", "de"],
)
def test_a_pronoun_object_is_named_by_the_sentence_before(before: str, ask: str, title: str) -> None:
    tasks = extract(f"Hi Niamh,\n\n{before} {ask}\n\nColm", subject="Paperwork")
    assert titles_and_dues(tasks) == [(title, on(5, 17))]


def test_a_pointer_that_is_not_the_object_is_left_out_of_the_title() -> None:
    body = "Hi Niamh,\n\nCould you check with the landlord that the new alarm code works for them by Friday?\n\nColm"
    assert titles_and_dues(extract(body)) == [
        ("Check with the landlord that the new alarm code works", on(5, 17))
    ]


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (
            "Hi Niamh,\n\nWe've run out of till rolls again - could you chase Printwise?\n\nColm",
            "Chase Printwise about the till rolls",
        ),
        (
            "Hi Niamh,\n\nYour van is due for its annual service. Please call Dockside Motors at 01 555 0142.\n\nColm",
            "Call Dockside Motors about the annual service",
        ),
    ],
    ids=["scene", "sentence before"],
)
def test_a_contact_ask_says_what_it_is_about(body: str, title: str) -> None:
    assert [task.title for task in extract(body)] == [title]


def test_a_part_of_a_document_is_named_from_the_subject() -> None:
    body = "Hi Niamh,\n\nIf it all looks right, please sign and return the last page by Friday.\n\nColm"
    tasks = extract(body, subject="Shopfront lease renewal")
    assert titles_and_dues(tasks) == [("Sign and return the last page of Shopfront lease renewal", on(5, 17))]


@pytest.mark.parametrize(
    ("ask", "title", "due"),
    [
        (
            "Could you send me the menu for the tasting on 20 June by Friday?",
            "Send the menu for the tasting",
            on(5, 17),
        ),
        (
            "Necesitamos que nos confirme el número de mesas para la cena del 20 de junio, a más tardar el 5 de junio.",
            "Confirmar el número de mesas para la cena",
            on(5, 17),
        ),
    ],
    ids=["en", "es"],
)
def test_a_date_said_as_a_deadline_outranks_a_date_named_before_it(
    ask: str, title: str, due: dt.datetime
) -> None:
    assert titles_and_dues(extract(f"Hi Niamh,\n\n{ask}\n\nColm")) == [(title, due)]


def test_a_meeting_time_outranks_a_later_deadline_without_a_time() -> None:
    body = "Hi Niamh,\n\nCan we meet on Wednesday at 3pm to go through the audit checklist before Friday?\n\nColm"
    assert [task.due for task in extract(body)] == [on(3, 15)]


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (
            "Salut Niamh,\n\nEst-ce qu'on peut faire un point jeudi à 10h pour préparer la vitrine de Noël ?\n\nColm",
            "Réunion avec Colm pour préparer la vitrine de Noël",
        ),
        (
            "Niamh, ¿nos vemos el jueves a las 10:00 para revisar el escaparate de Navidad?\n\nColm",
            "Reunión con Colm para revisar el escaparate de Navidad",
        ),
    ],
    ids=["fr", "es"],
)
def test_a_meeting_proposal_keeps_its_purpose(body: str, title: str) -> None:
    tasks = extract(body)
    assert titles_and_dues(tasks) == [(title, on(4, 10))]
    assert tasks[0].kind == "meeting"


def test_do_it_by_gives_the_task_before_its_deadline() -> None:
    body = (
        "Hi Niamh,\n\nCan you book the function room for Saturday at 8pm for the staff party? Please do it by "
        "Wednesday, it books out fast.\n\nColm"
    )
    tasks = extract(body)
    assert titles_and_dues(tasks) == [("Book the function room for the staff party", on(3, 17))]
    assert tasks[0].kind == "deadline"


def test_to_show_someone_a_place_is_not_an_evening_show() -> None:
    body = (
        "Hi Niamh,\n\nCould you meet the electrician on Friday at 9 to show him the faulty sockets?\n\nColm"
    )
    assert [task.due for task in extract(body)] == [on(5, 9)]


@pytest.mark.parametrize(
    ("lead", "items", "titles"),
    [
        (
            "Pour l'inventaire, pouvez-vous nous envoyer :",
            ["la liste des fournisseurs avant le 5 juin", "les factures du boulanger"],
            ["Envoyer la liste des fournisseurs", "Envoyer les factures du boulanger"],
        ),
        (
            "Para el inventario, ¿podrías enviarnos:",
            ["la lista de proveedores antes del 5 de junio", "las facturas del panadero"],
            ["Enviar la lista de proveedores", "Enviar las facturas del panadero"],
        ),
        (
            "Für die Inventur könnten Sie uns bitte Folgendes schicken:",
            ["die Lieferantenliste bis zum 5. Juni", "die Rechnungen der Bäckerei"],
            ["Lieferantenliste schicken", "Rechnungen der Bäckerei schicken"],
        ),
    ],
    ids=["fr", "es", "de"],
)
def test_items_under_a_lead_that_ends_on_its_verb_take_that_verb(
    lead: str, items: list[str], titles: list[str]
) -> None:
    body = f"Niamh,\n\n{lead}\n\n- {items[0]}\n- {items[1]}\n\nColm"
    assert [task.title for task in extract(body)] == titles


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (
            "Bonjour Niamh,\n\nAccepterais-tu d'organiser le stand du marché le 20 juin ? Peux-tu me répondre avant "
            "vendredi ?\n\nColm",
            "Organiser le stand du marché",
        ),
        (
            "Hi Niamh,\n\nWould you be willing to run the stall at the market on 20 June? Please let me know by "
            "Friday.\n\nColm",
            "Run the stall at the market",
        ),
    ],
    ids=["fr", "en"],
)
def test_an_invitation_with_a_reply_by_is_due_when_the_answer_is(body: str, title: str) -> None:
    assert titles_and_dues(extract(body)) == [(title, on(5, 17))]


def test_a_meeting_question_keeps_its_time_when_a_reply_by_follows() -> None:
    body = "Hi Niamh,\n\nCan we meet on Wednesday at 3pm? Let me know by Tuesday.\n\nColm"
    assert [task.due for task in extract(body)] == [on(3, 15)]


@pytest.mark.parametrize(
    ("needed", "due"),
    [
        ("I need them on Thursday morning for the printer.", on(4, 9)),
        ("Las necesito el jueves por la mañana para la imprenta.", on(4, 9)),
    ],
    ids=["en", "es"],
)
def test_when_the_thing_is_needed_is_the_asks_deadline(needed: str, due: dt.datetime) -> None:
    body = f"Niamh, could you pick the ten best photos of the shopfront? {needed}\n\nColm"
    assert [task.due for task in extract(body)] == [due]


@pytest.mark.parametrize(
    ("ask", "title"),
    [
        (
            "Könnten Sie bitte das Schild etwas größer machen und uns bis Mittwoch, 10. Juni schicken?",
            "Schild etwas größer machen und uns bis Mittwoch, 10. Juni schicken",
        ),
        ("Können Sie uns bis zum 3.6. einen ersten Entwurf schicken?", "Einen ersten Entwurf schicken"),
    ],
    ids=["ordinal day", "day.month."],
)
def test_a_german_date_does_not_end_the_sentence_and_a_title_drops_the_article(ask: str, title: str) -> None:
    tasks = extract(f"Hallo Niamh,\n\n{ask}\n\nViele Grüße\nColm")
    assert len(tasks) == 1
    assert tasks[0].title.endswith("schicken")
    assert tasks[0].title.split()[0] not in ("Das", "Die", "Der", "Den")


@pytest.mark.parametrize(
    "closing",
    [
        "If you want a walkthrough of the new rota screen, just let me know.",
        "Happy to forward the recording if you'd like it.",
        "I'm happy to walk you through it if that helps.",
    ],
)
def test_an_offer_said_the_other_way_round_gives_no_task(closing: str) -> None:
    body = f"Hi Niamh,\n\nThe new rota screen went live this morning and everything looks fine.\n\n{closing}\n\nColm"
    assert extract(body) == []


@pytest.mark.parametrize(
    ("body", "sender"),
    [
        (
            "Thanks for your order!\n\nOrder #48213\nTotal: €39.00\n\nQuestions? Reply to this email or visit our "
            "Help Centre.",
            "Deskly <orders@deskly.example>",
        ),
        (
            "A new sign-in to your account was detected.\n\nIf this was you, you can ignore this email. If not, "
            "please reset your password immediately.",
            "Accounts <no-reply@accounts.example>",
        ),
        (
            "Hi Niamh,\n\nThe shop is closed on Monday for the bank holiday. Did you see the new coffee machine in "
            "the back room?\n\nColm",
            "Colm Daly <colm.daly@harbourworks.example>",
        ),
    ],
    ids=["receipt help line", "security notice", "small-talk question"],
)
def test_boilerplate_and_small_talk_give_no_task(body: str, sender: str) -> None:
    assert extract(body, sender=sender) == []


def test_a_question_about_a_document_still_asks() -> None:
    body = "Hi Niamh,\n\nDid you see the draft lease I sent on Friday?\n\nColm"
    assert len(extract(body)) == 1


def test_a_follow_up_pitch_with_two_weak_signs_gives_no_task() -> None:
    body = (
        "Hello Niamh, I wanted to follow up on my previous email. Are you free for a "
        "short call this week to discuss how we can grow your traffic?\n\nAnita"
    )
    assert extract(body, sender="Anita Rao <anita@rankup.example>") == []


def test_a_thing_in_trouble_names_what_a_contact_ask_is_about() -> None:
    body = "Hi Niamh,\n\nThe card machine at till 2 is broken again - can you call Paytek?\n\nColm"
    assert [task.title for task in extract(body)] == ["Call Paytek about the card machine at till 2"]


@pytest.mark.parametrize(
    ("before", "ask", "title"),
    [
        (
            "Wir brauchen noch den unterschriebenen Mietvertrag.",
            "Könnten Sie ihn uns bis Freitag schicken?",
            "Den unterschriebenen Mietvertrag schicken",
        ),
        (
            "Nos falta el contrato firmado del local.",
            "¿Nos lo puedes enviar antes del viernes?",
            "Enviar el contrato firmado del local",
        ),
    ],
    ids=["de verb last", "es pronoun before the modal"],
)
def test_a_pronoun_before_the_verb_is_named_by_the_sentence_before(before: str, ask: str, title: str) -> None:
    assert titles_and_dues(extract(f"Hallo Niamh,\n\n{before} {ask}\n\nColm")) == [(title, on(5, 17))]


def test_a_role_in_the_plural_is_given_its_duty() -> None:
    body = "Hello,\n\nFloor wardens must confirm their attendance at the fire briefing by Wednesday noon.\n\nFacilities"
    tasks = extract(body, sender="Facilities <facilities@harbourworks.example>")
    assert titles_and_dues(tasks) == [("Confirm their attendance at the fire briefing", on(3, 12))]


def test_a_weekly_meeting_moved_to_a_weekday_in_the_plural_is_on_the_calendar() -> None:
    body = "Hi Niamh,\n\nOur weekly stock review is moving to Thursdays at 2pm from this week.\n\nColm"
    tasks = extract(body)
    assert titles_and_dues(tasks) == [("Weekly stock review", on(4, 14))]


def test_the_readers_promise_to_book_a_room_is_a_deadline_not_a_meeting() -> None:
    message = EmailForExtraction(
        id="u3",
        subject="Re: Offsite",
        body="Hi Colm,\n\nI'll send the agenda on Tuesday and book the meeting room for Friday by Wednesday.\n\nNiamh",
        sender="niamh.byrne@harbourworks.example",
        sender_name="Niamh Byrne",
        sent_at=MONDAY,
        timezone=DUBLIN,
        reader=NIAMH,
        to=(Recipient("colm.daly@harbourworks.example", "Colm Daly"),),
    )
    tasks = OfflineExtractor().extract(message)
    assert [(task.title, task.kind) for task in tasks] == [
        ("Send the agenda", "deadline"),
        ("Book the meeting room", "deadline"),
    ]


@pytest.mark.parametrize("item", ["Reserve two parking spaces by Tuesday", "Collect the keys from reception"])
def test_a_list_item_in_more_verbs_is_an_ask_under_any_lead(item: str) -> None:
    body = f"Hi Niamh,\n\nBefore the auditors arrive:\n\n- Print the stock report\n- {item}\n\nColm"
    assert [task.title.split()[0] for task in extract(body)] == ["Print", item.split()[0]]


def test_a_receipt_line_that_starts_with_a_verb_word_is_not_an_ask() -> None:
    assert extract("Order #48213 placed on 12 June.\nRequest ID 5521.\nPost date: 13 June.") == []


def test_ready_before_a_meeting_is_a_deadline() -> None:
    body = "Hi Niamh,\n\nCould you look over the fit-out quote? Ideally before our call Thursday.\n\nColm"
    assert titles_and_dues(extract(body)) == [("Look over the fit-out quote", on(4, 17))]


@pytest.mark.parametrize(
    ("before", "ask", "title"),
    [
        (
            "Reminder that the stock sheets for May are due this Friday.",
            "Please submit yours in the shared drive.",
            "Submit the stock sheets for May in the shared drive",
        ),
        (
            "The landlord wants the signed inventory by Friday.",
            "Can you get that over to him?",
            "Send the signed inventory",
        ),
    ],
    ids=["yours", "wants"],
)
def test_what_is_due_or_wanted_names_the_pointer_after_it(before: str, ask: str, title: str) -> None:
    assert titles_and_dues(extract(f"Hi Niamh,\n\n{before} {ask}\n\nColm")) == [(title, on(5, 17))]


def test_an_attached_invoice_and_a_bare_payment_due_are_one_task_to_pay_it() -> None:
    body = "Hi Niamh, please find attached the invoice for the shop fit-out. Payment is due by Friday.\n\nAccounts"
    tasks = extract(body, sender="Accounts <accounts@supplier.example>")
    assert titles_and_dues(tasks) == [("Pay the invoice for the shop fit-out", on(5, 17))]


def test_an_ask_to_the_reader_and_a_colleague_is_titled_from_its_verb() -> None:
    body = "Hi Niamh,\n\nCan you and Aoife pick a date for the staff outing by Friday?\n\nColm"
    assert titles_and_dues(extract(body)) == [("Pick a date for the staff outing", on(5, 17))]


def test_did_you_get_a_chance_after_a_lead_asks_for_the_thing() -> None:
    body = (
        "Hi Niamh,\n\nFollowing up on this - did you get a chance to review the fire safety checklist? "
        "The inspector needs it by tomorrow.\n\nColm"
    )
    assert titles_and_dues(extract(body)) == [("Review the fire safety checklist", on(2, 17))]


def test_a_meeting_with_a_named_party_announced_with_is_on_is_on_the_calendar() -> None:
    body = "Hi Niamh,\n\nThe quarterly review with Dockside is on Thursday at 1pm. Please print the sales report beforehand.\n\nColm"
    assert titles_and_dues(extract(body)) == [("Quarterly review with Dockside", on(4, 13))]


def test_lunch_with_someone_else_on_a_day_is_that_day_at_noon_with_them() -> None:
    body = "Niamh, can you grab lunch with the new supervisor on Friday?\n\nColm"
    tasks = extract(body)
    assert titles_and_dues(tasks) == [("Lunch with the new supervisor", on(5, 12))]
    assert tasks[0].kind == "meeting"


def test_please_find_attached_alone_asks_nothing() -> None:
    body = "Hi Niamh, please find attached the signed copy of the supplier agreement for your files.\n\nColm"
    assert extract(body) == []


def test_an_offer_of_any_thing_at_the_end_of_a_note_gives_no_task() -> None:
    body = "Hi Niamh,\n\nThe window display got lovely comments from customers. Let me know if you want the photos.\n\nColm"
    assert extract(body) == []


def test_a_let_me_know_if_that_goes_on_to_choose_still_asks() -> None:
    body = (
        "Hi Niamh,\n\nLet me know if you want the Tuesday slot or the Friday one for the stock count.\n\nColm"
    )
    assert len(extract(body)) == 1


def test_open_to_a_quick_chat_from_a_stranger_is_a_pitch() -> None:
    body = "Hi Niamh,\n\nWe help shops like yours cut card fees. Open to a quick chat this week?\n\nJo"
    assert extract(body, sender="Jo Lane <jo@payfast.example>") == []


def test_would_you_be_up_for_doing_something_is_titled_by_its_verb() -> None:
    body = "Hi Niamh,\n\nWould you be up for giving a short talk at the traders' breakfast? Let me know by Friday.\n\nColm"
    assert titles_and_dues(extract(body)) == [("Give a short talk at the traders' breakfast", on(5, 17))]


def test_a_team_meal_announced_with_a_time_is_on_the_calendar_and_its_rsvp_is_a_task() -> None:
    body = (
        "Hi all,\n\nThe team lunch is on Friday at 12:30 at Lupe's. Please RSVP by Wednesday so I can book "
        "the table.\n\nColm"
    )
    tasks = extract(body, to=(*TO_NIAMH, Recipient("shop@harbourworks.example")))
    assert ("Team lunch", on(5, 12, 30)) in titles_and_dues(tasks)
    assert [task.due for task in tasks if task.title != "Team lunch"] == [on(3, 17)]


def test_a_possessive_before_a_full_stop_ends_the_sentence() -> None:
    body = "Hi Niamh,\n\nWe're at Lupe's. Please bring the float bag by Friday.\n\nColm"
    assert [task.title for task in extract(body)] == ["Bring the float bag"]


def test_a_german_call_proposal_with_words_between_keeps_its_purpose() -> None:
    body = "Hallo Niamh,\n\nkönnen wir am Mittwoch um 14 Uhr kurz telefonieren, um die Inventur abzustimmen?\n\nColm"
    tasks = extract(body)
    assert titles_and_dues(tasks) == [("Treffen mit Colm um die Inventur abzustimmen", on(3, 14))]
    assert tasks[0].kind == "meeting"


def test_a_table_row_that_names_work_without_a_verb_is_work_to_complete() -> None:
    body = (
        "Hi Niamh,\n\nNext steps:\n\n| Task | Owner | Due |\n|---|---|---|\n| Order the new signage | Niamh | "
        "Jun 4 |\n| Safety audit | Niamh | Jun 5 |\n| Window display | Aoife | Jun 5 |\n\nColm"
    )
    assert titles_and_dues(extract(body)) == [
        ("Order the new signage", on(4, 17)),
        ("Complete safety audit", on(5, 17)),
    ]


@pytest.mark.parametrize(
    "ask",
    [
        "Please don't send the new price list to the suppliers yet.",
        "Do not order more till rolls until we have counted the stock.",
    ],
)
def test_an_instruction_not_to_do_something_yet_is_not_a_task(ask: str) -> None:
    assert extract(f"Hi Niamh,\n\n{ask}\n\nColm") == []


def test_dont_forget_still_asks() -> None:
    assert (
        len(
            extract(
                "Hi Niamh,\n\nDon't forget to check the alarm every night until the new manager starts on Friday.\n\nColm"
            )
        )
        == 1
    )


def test_an_outlook_forward_with_sort_this_out_is_handed_over() -> None:
    body = (
        "Niamh, see below - can you sort this out before Friday?\n\n________________________________\n"
        "From: Billing <billing@tillco.example>\nSent: Monday, June 1, 2026 8:01 AM\nTo: Colm Daly\n"
        "Subject: Payment failed\n\nHi Colm,\n\nWe couldn't charge the card on file. Please update your payment "
        "method in the billing portal.\n\nTillCo Billing\n"
    )
    tasks = extract(body, subject="FW: Payment failed")
    assert [task.title for task in tasks] == ["Update your payment method in the billing portal"]


def test_work_given_to_the_reader_by_name_behind_someone_elses_greeting_is_theirs() -> None:
    body = (
        "Hi Aoife,\n\nThanks for the draft. Niamh (cc'd) will check the stock figures by Wednesday.\n\nColm"
    )
    tasks = extract(body, to=(Recipient("aoife@harbourworks.example", "Aoife Kelly"),), cc=TO_NIAMH)
    assert titles_and_dues(tasks) == [("Check the stock figures", on(3, 17))]


def test_a_german_passive_duty_is_titled_by_its_verb() -> None:
    body = "Hallo Niamh,\n\ndie Rechnung ist bis zum 5. Juni zu bezahlen. Vielen Dank!\n\nColm"
    assert titles_and_dues(extract(body)) == [("Rechnung bezahlen", on(5, 17))]


def test_a_thing_in_trouble_names_the_pointer_of_the_ask_after_it() -> None:
    body = "Hi Niamh,\n\nI noticed the back-office printer is down. Could you check it when you have a moment?\n\nColm"
    assert [task.title for task in extract(body)] == ["Check the back-office printer"]


def test_an_invitation_with_a_day_and_time_is_on_the_calendar() -> None:
    body = "Hi Niamh,\n\nYou're invited to Aoife's farewell drinks on Thursday at 6pm at the Anchor. Hope you can make it!\n\nColm"
    tasks = extract(body)
    assert titles_and_dues(tasks) == [("Aoife's farewell drinks", on(4, 18))]
    assert tasks[0].kind == "meeting"


def test_being_somewhere_to_let_someone_in_is_titled_by_the_place() -> None:
    body = "Hi Niamh, the fitters arrive Saturday at 8am. Can you be at the shop to let them in?\n\nColm"
    assert [task.title for task in extract(body)] == ["Be at the shop"]


def test_a_day_said_of_something_done_is_not_a_due() -> None:
    body = "Hi Niamh,\n\nDid you manage to look at the rota I sent on Thursday?\n\nColm"
    assert [(task.title, task.due) for task in extract(body)] == [("Look at the rota I sent", None)]


def test_a_meeting_announced_for_information_that_others_attend_is_not_on_the_calendar() -> None:
    body = "Hi Niamh,\n\nJust so you know, the supplier review is on Thursday at 1pm. Aoife and Colm will attend.\n\nColm"
    assert extract(body) == []


def test_a_need_the_sender_then_takes_on_is_not_a_task() -> None:
    body = "Hi Niamh,\n\nWe need the May sales figures by Friday. I'll pull them together myself tomorrow.\n\nColm"
    assert extract(body) == []


def test_a_need_the_sender_does_not_take_on_is_still_a_task() -> None:
    body = "Hi Niamh,\n\nWe need the stock count sheets by Friday. I'll be away on Thursday.\n\nColm"
    assert len(extract(body)) == 1


def test_plan_accordingly_asks_nothing() -> None:
    body = "Hi all, the card terminals are offline from Thursday at 6pm to Friday at 8am. Plan accordingly.\n\nColm"
    assert extract(body, to=(*TO_NIAMH, Recipient("shop@harbourworks.example"))) == []


def test_cover_work_given_to_the_reader_by_name_is_titled_by_its_verb() -> None:
    body = "Hi Aoife,\n\nNiamh will be covering for me on Friday, so reach out to her if anything comes up.\n\nColm"
    tasks = extract(body, to=(Recipient("aoife@harbourworks.example", "Aoife Kelly"),), cc=TO_NIAMH)
    assert titles_and_dues(tasks) == [("Cover for Colm", on(5, 17))]


@pytest.mark.parametrize(
    ("body", "titles"),
    [
        (
            "Hola Niamh,\n\nNecesito dos cosas:\n- el plano de la tienda\n- la lista de precios antes del viernes\n\nColm",
            ["Enviar el plano de la tienda", "Enviar la lista de precios"],
        ),
        (
            "Hallo Niamh,\n\nkönnten Sie bitte folgende Punkte bis Freitag erledigen:\n- Lieferwagen buchen\n"
            "- Kassenbericht prüfen\n\nColm",
            ["Lieferwagen buchen", "Kassenbericht prüfen"],
        ),
    ],
    ids=["es needs two things", "de items that are already infinitives"],
)
def test_items_under_a_need_or_a_lead_verb_in_other_languages(body: str, titles: list[str]) -> None:
    assert [task.title for task in extract(body)] == titles


def test_a_french_proposal_of_a_meeting_keeps_its_purpose() -> None:
    body = "Bonjour Niamh,\n\nJe vous propose un point mardi à 10h pour faire le bilan de la saison.\n\nColm"
    tasks = extract(body)
    assert titles_and_dues(tasks) == [("Réunion avec Colm pour faire le bilan de la saison", on(2, 10))]


def test_a_german_separable_verb_after_zu_is_an_infinitive() -> None:
    body = "Hallo Niamh,\n\nbitte denken Sie daran, uns die unterschriebene Vollmacht bis Freitag zurückzuschicken.\n\nColm"
    assert titles_and_dues(extract(body)) == [("Die unterschriebene Vollmacht zurückschicken", on(5, 17))]


@pytest.mark.parametrize(
    ("sentence", "title"),
    [
        ("El pago de la factura 2026-118 vence el 5 de junio.", "Pagar la factura 2026-118"),
        ("La facture F-2291 est à régler avant le 5 juin.", "Payer la facture F-2291"),
        ("Die Miete für die Werkstatt ist am 5. Juni fällig.", "Miete bezahlen"),
    ],
    ids=["es", "fr", "de"],
)
def test_a_bill_that_falls_due_in_other_languages_is_to_pay(sentence: str, title: str) -> None:
    assert titles_and_dues(extract(f"Hola Niamh,\n\n{sentence}\n\nColm")) == [(title, on(5, 17))]
