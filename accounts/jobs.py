"""django-q2 entry points of the accounts app: thin doors to services."""

from __future__ import annotations

from django.utils import timezone

from accounts import services


def demo_users_delete_expired() -> int:
    """Daily (see ``AccountsConfig.ready``): delete throwaway demo users older than ``DEMO_TTL_HOURS``."""
    return services.demo_users_delete_expired(now=timezone.now())
