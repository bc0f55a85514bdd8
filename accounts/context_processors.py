from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "google_enabled": settings.GOOGLE_ENABLED,
        "demo_login_enabled": settings.DEMO_LOGIN_ENABLED and not settings.GOOGLE_ENABLED,
    }
