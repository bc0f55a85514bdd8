"""Typing help for code that only runs for a signed-in user.

`request.user` is `User | AnonymousUser` in general. Behind `login_required` (pages) or DRF's
`IsAuthenticated` (the API's default permission) it is always a `User`; these say so to mypy once instead
of asserting it on every line.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import Profile


class AuthenticatedHttpRequest(HttpRequest):
    """The request a `login_required` view receives. Only an annotation: never instantiated."""

    user: User
    # Set by `accounts.middleware.ProfileMiddleware`, which also activates the profile's time zone.
    profile: Profile


def api_user(request: Request) -> User:
    """The caller of an API view. DRF's `api_view` only accepts views typed with a plain `Request`, so the
    narrowing happens here; `IsAuthenticated` has already turned anonymous callers away."""
    return cast(User, request.user)
