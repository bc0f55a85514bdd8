"""emailsync's answer to ``google_access_ended``: the Gmail mailbox waits for a reconnect, unscheduled."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django_q.models import Schedule

from accounts.google.grant import google_disconnect
from accounts.services import periodic_sync_apply, schedule_name
from emailsync.models import Mailbox
from scheduler_site.testing.fake_google import FakeGoogle
from scheduler_site.tests.google_support import (  # noqa: F401
    connect,
    fast_password_hashing_fixture,
    google_fixture,
    mail,
    mailbox_of,
)
from tasks_app.calendars import CalendarError
from tasks_app.calendars.google import GoogleCalendar

pytestmark = pytest.mark.django_db


def test_a_grant_google_refuses_outside_a_mail_sync_stops_the_mailbox(
    google: FakeGoogle, alice: User
) -> None:
    account = connect(google, alice)
    periodic_sync_apply(user=alice, minutes=30)
    google.revoke(account.email)
    google.expire_access_tokens(account.email)

    with pytest.raises(CalendarError, match="invalid_grant"):
        GoogleCalendar(alice).zone()  # the calendar, not the mail sync, meets the refusal

    mailbox = mailbox_of(alice)
    assert mailbox.state == Mailbox.State.NEEDS_RECONNECT and mailbox.next_attempt_at is None
    assert mailbox.last_error == (
        "Google no longer accepts our access (invalid_grant). Reconnect Google to sync again."
    )
    assert not Schedule.objects.filter(name=schedule_name(alice.pk)).exists()


def test_disconnecting_google_stops_the_mailbox_with_its_own_message(google: FakeGoogle, alice: User) -> None:
    connect(google, alice)
    periodic_sync_apply(user=alice, minutes=30)

    google_disconnect(user=alice)

    mailbox = mailbox_of(alice)
    assert mailbox.state == Mailbox.State.NEEDS_RECONNECT
    assert mailbox.last_error == "Google was disconnected. Reconnect Google to sync your mail again."
    assert not Schedule.objects.filter(name=schedule_name(alice.pk)).exists()


def test_a_local_mailbox_is_left_alone_when_google_access_ends(google: FakeGoogle, alice: User) -> None:
    connect(google, alice)
    Mailbox.objects.filter(user=alice).update(source=Mailbox.Source.LOCAL, location="/srv/mail")

    google_disconnect(user=alice)

    assert mailbox_of(alice).state == Mailbox.State.ACTIVE
