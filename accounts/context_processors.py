from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest

from accounts.models import Profile
from accounts.services import demo_expires_at, demo_offered


def site(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    expires_at = None
    if isinstance(user, User) and _is_demo(request, user):
        # Every page of a throwaway demo user says when it goes away.
        expires_at = demo_expires_at(user=user)
    return {
        "google_enabled": settings.GOOGLE_ENABLED,
        "demo_offered": demo_offered(),
        "demo_expires_at": expires_at,
        "demo_ttl_hours": settings.DEMO_TTL_HOURS,
    }


def _is_demo(request: HttpRequest, user: User) -> bool:
    # ProfileMiddleware has read the profile of a signed-in user's page already; other pages ask.
    profile = getattr(request, "profile", None)
    if isinstance(profile, Profile) and profile.user_id == user.pk:
        return profile.is_demo
    return Profile.objects.filter(user=user, is_demo=True).exists()
