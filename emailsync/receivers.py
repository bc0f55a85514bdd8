"""What emailsync does when another app's events concern it. Connected in ``EmailsyncConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from accounts.services import periodic_sync_apply
from accounts.signals import GOOGLE_DISCONNECTED, google_access_ended
from emailsync.models import Mailbox


def gmail_access_ended(sender: Any, *, user: User, reason: str, **kwargs: Any) -> None:
    """Google access ended: the Gmail mailbox shows "needs reconnect" with why (and a reconnect button), and
    the periodic schedule is paused; the chosen interval stays in the profile and comes back on reconnect."""
    if reason == GOOGLE_DISCONNECTED:
        message = "Google was disconnected. Reconnect Google to sync your mail again."
    else:
        message = f"Google no longer accepts our access ({reason}). Reconnect Google to sync again."
    Mailbox.objects.filter(user=user, source=Mailbox.Source.GMAIL).update(
        state=Mailbox.State.NEEDS_RECONNECT,
        last_error=message[:2000],
        last_error_at=timezone.now(),
        next_attempt_at=None,
    )
    periodic_sync_apply(user=user, minutes=None)


def connect() -> None:
    google_access_ended.connect(gmail_access_ended, dispatch_uid="emailsync.gmail_access_ended")
