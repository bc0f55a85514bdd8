"""Connect a user's mailbox to an IMAP server: test the details as a sync would, then store them with the
password encrypted. The sync itself is ``emailsync.sources.imap.ImapSource``."""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.db import transaction

from accounts.crypto import reencrypt
from accounts.models import Profile
from emailsync.models import ImapAccount, Mailbox
from emailsync.sources.imap import ImapDetails, ImapError, imap_test

logger = logging.getLogger(__name__)

__all__ = ["ImapDetails", "ImapError", "imap_passwords_rotate", "mailbox_connect_imap", "mailbox_test_imap"]


class ImapRefused(ValueError):
    """The details were not accepted; the message is for the user. Nothing was changed."""


def _check(details: ImapDetails) -> None:
    if not details.host.strip() or not details.username.strip() or not details.password:
        raise ImapRefused("Give the server, the username and the password.")
    if not 1 <= details.port <= 65535:
        raise ImapRefused("The port must be a number from 1 to 65535.")
    if details.security not in ImapAccount.Security.values:
        raise ImapRefused("Choose implicit TLS or STARTTLS.")
    if not details.folder.strip():
        raise ImapRefused("Name the folder to read (usually INBOX).")


def mailbox_test_imap(*, details: ImapDetails) -> str:
    """Try the details (DNS, address, connection, TLS, login, folder) and say what happened. Raises
    ``ImapRefused`` for incomplete details and ``ImapError`` (with ``.step``) for what failed."""
    _check(details)
    words, _ = imap_test(details)
    return words


def mailbox_connect_imap(*, user: User, details: ImapDetails) -> Mailbox:
    """Test the details, then make this IMAP folder the user's mailbox (reconnecting an existing one clears
    "needs reconnect", backoff and a disabled state). Nothing is stored when the test fails.

    The checkpoint is kept when the same folder of the same account is connected again (a new password), and
    reset otherwise; receipts are keyed by stable ids, so nothing read before is read twice either way.
    """
    _check(details)
    if Profile.objects.filter(user=user, is_demo=True).exists():
        raise ImapRefused("The demo account cannot connect a mail server.")
    details = ImapDetails(
        host=details.host.strip().lower(),
        port=details.port,
        security=details.security,
        username=details.username.strip(),
        password=details.password,
        folder=details.folder.strip(),
        allow_self_signed=details.allow_self_signed,
    )
    _, fingerprint = imap_test(details)
    location = f"{details.username}@{details.host}/{details.folder}"
    with transaction.atomic():
        mailbox, created = Mailbox.objects.get_or_create(
            user=user, defaults={"source": Mailbox.Source.IMAP, "location": location}
        )
        if not created:
            also: dict[str, object] = {"last_error": ""}
            if mailbox.source != Mailbox.Source.IMAP or mailbox.location != location:
                also.update(
                    source=Mailbox.Source.IMAP, location=location, checkpoint="", stale_checkpoint_resyncs=0
                )
            Mailbox.objects.filter(pk=mailbox.pk).mark_reconnected(**also)
            mailbox.refresh_from_db()
        account = ImapAccount.objects.filter(mailbox=mailbox).first() or ImapAccount(mailbox=mailbox)
        account.host = details.host
        account.port = details.port
        account.security = details.security
        account.username = details.username
        account.password = details.password
        account.folder = details.folder
        account.allow_self_signed = details.allow_self_signed
        account.tls_fingerprint = fingerprint
        account.save()
    logger.info("User %s connected IMAP mailbox %s:%s", user.pk, details.host, details.port)
    return mailbox


def imap_passwords_rotate() -> int:
    """Re-encrypt every stored IMAP password with the first key of TOKEN_ENCRYPTION_KEYS."""
    changed = 0
    for pk in ImapAccount.objects.values_list("pk", flat=True):
        with transaction.atomic():
            account = ImapAccount.objects.select_for_update().filter(pk=pk).first()
            if account is None:
                continue
            ImapAccount.objects.filter(pk=pk).update(password_encrypted=reencrypt(account.password_encrypted))
            changed += 1
    return changed
