"""A user with an IMAP mailbox who signs in with Google keeps it; "Connect Google" on the settings page is how
they switch to Gmail."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.tests.test_google_signin import at_google, sign_in_with_google, sign_out
from emailsync.models import ImapAccount, Mailbox
from scheduler_site.testing.fake_google import FakeGoogle
from scheduler_site.tests.google_support import fast_password_hashing_fixture, google_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def make_imap(user_email: str) -> Mailbox:
    user = get_user_model().objects.get(email=user_email)
    Mailbox.objects.filter(user=user).update(source=Mailbox.Source.IMAP, location="me@imap.example.com/INBOX")
    mailbox = Mailbox.objects.get(user=user)
    account = ImapAccount(mailbox=mailbox, host="imap.example.com", username="me@example.com")
    account.password = "app-password"
    account.save()
    return mailbox


def test_signing_in_with_google_keeps_an_imap_mailbox(google: FakeGoogle, client: Client) -> None:
    account = google.add_user("erin@gmail.example")
    sign_in_with_google(client, google, account.email)
    mailbox = make_imap(account.email)
    sign_out(client)

    sign_in_with_google(client, google, account.email)

    mailbox.refresh_from_db()
    assert (mailbox.source, mailbox.location) == (Mailbox.Source.IMAP, "me@imap.example.com/INBOX")


def test_connect_google_on_the_settings_page_switches_to_gmail(google: FakeGoogle, client: Client) -> None:
    account = google.add_user("finn@gmail.example")
    sign_in_with_google(client, google, account.email)
    mailbox = make_imap(account.email)
    page = client.get("/accounts/settings/").content.decode()
    assert 'name="next" value="/accounts/settings/"' in page

    google.auto_approve(account.email)
    begin = client.post("/auth/login/google-oauth2/", {"next": "/accounts/settings/"})
    response = client.get(at_google(google, begin["Location"]))
    for _ in range(3):
        if response.status_code != 302 or not response["Location"].startswith(google.auth_uri):
            break
        response = client.get(at_google(google, response["Location"]))

    assert response["Location"] == "/accounts/settings/"
    mailbox.refresh_from_db()
    assert (mailbox.source, mailbox.location) == (Mailbox.Source.GMAIL, account.email)


def test_the_export_names_the_imap_account_but_never_the_password(google: FakeGoogle, client: Client) -> None:
    account = google.add_user("gale@gmail.example")
    sign_in_with_google(client, google, account.email)
    make_imap(account.email)

    export = client.get("/accounts/settings/export/")
    body = b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]

    assert '"address": "me@imap.example.com/INBOX"' in body
    assert "app-password" not in body
    assert ImapAccount.objects.get().password_encrypted not in body
