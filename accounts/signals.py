from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from accounts.models import Profile

logger = logging.getLogger(__name__)

# Sent when we can no longer use the user's Google grant: Google refused it (``reason`` is Google's error,
# "invalid_grant") or the user disconnected Google (``reason`` is GOOGLE_DISCONNECTED). Arguments: sender
# (the GoogleCredential model), user, reason. Apps that call Google on the user's behalf stop and show it.
google_access_ended = Signal()
GOOGLE_DISCONNECTED = "disconnected"


@receiver(post_save, sender=get_user_model())
def create_profile(sender: type[User], instance: User, created: bool, **kwargs: object) -> None:
    if created:
        Profile.objects.get_or_create(user=instance)


@receiver(user_logged_in)
def sync_at_login(sender: type[User], request: HttpRequest | None, user: User, **kwargs: object) -> None:
    if not settings.SYNC_ON_LOGIN:
        return
    from emailsync.models import Mailbox, SyncRun
    from emailsync.services import SyncUnavailable, sync_trigger

    if not Mailbox.objects.filter(user=user).exists():
        return
    try:
        sync_trigger(user=user, trigger=SyncRun.Trigger.LOGIN)
    except SyncUnavailable as e:
        logger.info("No sync at sign-in for user %s: %s", getattr(user, "pk", None), e)
