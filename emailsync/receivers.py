"""What emailsync does when another app's events concern it. Connected in ``EmailsyncConfig.ready``."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import post_delete
from django.http import HttpRequest

from accounts.signals import GOOGLE_DISCONNECTED, google_access_ended
from emailsync.models import Mailbox, SyncRun
from emailsync.services import SyncUnavailable, mailbox_mark_needs_reconnect, sync_trigger
from emailsync.uploads import mail_area_remove

logger = logging.getLogger(__name__)


def gmail_access_ended(sender: Any, *, user: User, reason: str, **kwargs: Any) -> None:
    """Google access ended: the Gmail mailbox shows "needs reconnect" with why (and a reconnect button), and
    the periodic schedule is paused; the chosen interval stays in the profile and comes back on reconnect."""
    if reason == GOOGLE_DISCONNECTED:
        message = "Google was disconnected. Reconnect Google to sync your mail again."
    else:
        message = f"Google no longer accepts our access ({reason}). Reconnect Google to sync again."
    mailbox_mark_needs_reconnect(user=user, reason=message[:2000])


def remove_mail_area(sender: Any, instance: User, **kwargs: Any) -> None:
    """A deleted user's uploaded mail goes with the account, however it was deleted ("Delete my data", the
    demo clean-up, the admin). Only once the delete is committed: a rolled-back delete keeps the mail."""
    user_id = instance.pk
    transaction.on_commit(lambda: mail_area_remove(user_id=user_id))


def sync_at_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Signing in starts a sync of the user's mailbox (SYNC_ON_LOGIN), so the dashboard fills while they look."""
    if not settings.SYNC_ON_LOGIN:
        return
    if not Mailbox.objects.filter(user=user).exists():
        return
    try:
        sync_trigger(user=user, trigger=SyncRun.Trigger.LOGIN)
    except SyncUnavailable as e:
        logger.info("No sync at sign-in for user %s: %s", getattr(user, "pk", None), e)


def connect() -> None:
    google_access_ended.connect(gmail_access_ended, dispatch_uid="emailsync.gmail_access_ended")
    post_delete.connect(remove_mail_area, sender=settings.AUTH_USER_MODEL, dispatch_uid="emailsync.mail_area")
    user_logged_in.connect(sync_at_login, dispatch_uid="emailsync.sync_at_login")
