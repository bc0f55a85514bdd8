"""The emailsync step of Google sign-in (``SOCIAL_AUTH_PIPELINE``, after accounts' ``store_google_credentials``):
make Gmail the user's mailbox when the grant allows reading it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.urls import reverse

from accounts.google.backend import is_google_sign_in
from accounts.google.grant import GMAIL_SCOPE, google_granted_scopes
from accounts.models import GoogleCredential
from emailsync.models import Mailbox
from emailsync.services import mailbox_connect_gmail


def mailbox_connect_google(*, user: User) -> bool:
    """Make the Gmail account of the user's stored grant their mailbox (also after a reconnect). False
    when the grant does not allow reading Gmail."""
    if GMAIL_SCOPE not in google_granted_scopes(user=user):
        return False
    address = GoogleCredential.objects.filter(user=user).values_list("email", flat=True).get()
    mailbox_connect_gmail(user=user, address=address)
    return True


def _asked_from_settings(backend: Any) -> bool:
    """Whether this Google sign-in was started by "Connect/Reconnect Google" on the settings page (its forms
    send ``next`` there; social-auth keeps it in the session) rather than by signing in."""
    target = str(backend.strategy.session_get("next") or "")
    return target.startswith(reverse("accounts:settings"))


def connect_gmail(backend: Any, user: User | None, *args: Any, **kwargs: Any) -> None:
    if user is None or not is_google_sign_in(backend):
        return
    request = getattr(backend.strategy, "request", None)
    mailbox = Mailbox.objects.filter(user=user).only("source").first()
    if mailbox is not None and mailbox.source == Mailbox.Source.IMAP and not _asked_from_settings(backend):
        # The user chose an IMAP mailbox: signing in with Google must not swap it for Gmail behind their back.
        # Pressing "Connect Google" on the settings page is how they ask for Gmail instead.
        return
    if not mailbox_connect_google(user=user) and request is not None:
        messages.warning(
            request,
            "You did not allow reading Gmail, so there is no mail to sync. Sign in with Google again and "
            "tick the Gmail permission to connect your mailbox.",
        )
