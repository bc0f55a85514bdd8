from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import CommandError


def user_by_id_or_email(value: str) -> User:
    """Find a user for a management command: a numeric id, an email or a username."""
    query = get_user_model().objects.all()
    if value.isdigit():
        user = query.filter(pk=int(value)).first()
    else:
        user = query.filter(email__iexact=value).first() or query.filter(username__iexact=value).first()
    if user is None:
        raise CommandError(f"No user with id, email or username {value!r}.")
    return user
