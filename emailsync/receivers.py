"""What emailsync does when something happens in another app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from emailsync.uploads import mail_area_remove


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def remove_mail_area(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deleted user's uploaded mail goes with the account, however it was deleted ("Delete my data", the
    demo clean-up, the admin). Only once the delete is committed: a rolled-back delete keeps the mail."""
    user_id = instance.pk
    transaction.on_commit(lambda: mail_area_remove(user_id=user_id))
