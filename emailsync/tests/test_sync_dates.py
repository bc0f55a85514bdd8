"""The Date header's offset reaches the date resolver through a real sync (local mail folder, offline
extractor): "tomorrow" is the sender's tomorrow, and mail in Spanish gives its task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from conftest import MailFolder, sync_in_foreground
from emailsync.models import Mailbox
from tasks_app.models import Task

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 9 March 2026, 23:30 in Los Angeles: Tuesday 07:30 in Berlin.
MONDAY_NIGHT_IN_LA = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-7)))


def test_tomorrow_in_a_synced_mail_is_the_senders_tomorrow(
    alice: User, mailbox_factory: Callable[[User], tuple[Mailbox, MailFolder]]
) -> None:
    alice.profile.timezone = "Europe/Berlin"
    alice.profile.save()
    _mailbox, folder = mailbox_factory(alice)
    folder.add(body="Could you send me the budget tomorrow?", date=MONDAY_NIGHT_IN_LA)

    run = sync_in_foreground(alice)

    assert run.tasks_created == 1
    task = Task.objects.get(user=alice)
    # Tuesday 17:00 in Berlin, not Wednesday (Berlin's "tomorrow" when the mail arrived).
    assert task.due_at == dt.datetime(2026, 3, 10, 17, 0, tzinfo=BERLIN)


def test_a_spanish_request_with_a_deadline_becomes_a_task(
    alice: User, mailbox_factory: Callable[[User], tuple[Mailbox, MailFolder]]
) -> None:
    alice.profile.timezone = "Europe/Madrid"
    alice.profile.save()
    _mailbox, folder = mailbox_factory(alice)
    wednesday = dt.datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("Europe/Madrid"))
    folder.add(
        subject="Informe trimestral",
        body="Hola Alice,\n\n¿Podrías enviarme el informe antes del viernes?\n\nGracias,\nAna",
        date=wednesday,
    )

    sync_in_foreground(alice)

    task = Task.objects.get(user=alice)
    assert task.title == "Enviar el informe"
    assert task.due_at == dt.datetime(2026, 6, 12, 17, 0, tzinfo=ZoneInfo("Europe/Madrid"))
