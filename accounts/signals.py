from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from accounts.models import Profile

# Sent when we can no longer use the user's Google grant: Google refused it (``reason`` is Google's error,
# "invalid_grant") or the user disconnected Google (``reason`` is GOOGLE_DISCONNECTED). Arguments: sender
# (the GoogleCredential model), user, reason. Apps that call Google on the user's behalf stop and show it.
google_access_ended = Signal()
GOOGLE_DISCONNECTED = "disconnected"


@receiver(post_save, sender=get_user_model())
def create_profile(sender: type[User], instance: User, created: bool, **kwargs: object) -> None:
    if created:
        Profile.objects.get_or_create(user=instance)
