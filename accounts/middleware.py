"""Google sign-in: failures end on a page of ours with a message, never in a server error; and the browser
remembers which Google account signed in last, so a returning user is not asked for consent again. And every
page of a signed-in user is in that user's profile and time zone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from rest_framework.views import APIView
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthCredentialError,
    AuthInputError,
    AuthPolicyError,
    AuthProviderError,
    AuthSessionError,
    SocialAuthBaseException,
)
from social_django.middleware import SocialAuthExceptionMiddleware

from accounts.google.backend import (
    GOOGLE_ACCOUNT_COOKIE,
    GOOGLE_ACCOUNT_COOKIE_MAX_AGE,
    GOOGLE_ACCOUNT_COOKIE_SALT,
)
from accounts.services import profile_for
from accounts.types import AuthenticatedHttpRequest

# social-core 7 groups its failures in families and tells them apart by `code`; the first match wins.
# (Older social-core had one class per case: AuthStateMissing and AuthMissingParameter are now
# AuthInputError/AuthSessionError codes, AuthStateForbidden is `state_mismatch`, AuthForbidden is
# AuthPolicyError.)
_MESSAGES: list[tuple[type[SocialAuthBaseException], str | None, str]] = [
    (AuthCanceled, None, "You cancelled at Google, so nothing was changed."),
    (
        AuthInputError,
        "missing_parameter",
        "Google's answer was missing part of the sign-in (the link may have been cut short). "
        "Please start again.",
    ),
    (
        AuthSessionError,
        "state_mismatch",
        "The sign-in with Google took too long and expired. Please start again.",
    ),
    (
        AuthSessionError,
        None,
        "This answer from Google does not belong to a sign-in started in this browser, or it was "
        "already used. Please start again from this page.",
    ),
    (AuthPolicyError, None, "This Google account is not allowed to sign in here."),
    (
        AuthAssociationError,
        None,
        "This Google account is already connected to another user of this site.",
    ),
    (
        AuthCredentialError,
        None,
        "Google did not accept the sign-in (it may have expired or been used twice). Please start again.",
    ),
    (
        AuthProviderError,
        None,
        "Google could not be reached or answered with an error. Please try again in a minute.",
    ),
]
_FALLBACK = "Signing in with Google failed. Please try again; if it keeps failing, tell the site's operator."


def social_auth_message(exception: SocialAuthBaseException) -> str:
    for family, code, message in _MESSAGES:
        if isinstance(exception, family) and code in (None, exception.code):
            return message
    return _FALLBACK


class SocialAuthErrorMiddleware(SocialAuthExceptionMiddleware):
    """social_django's middleware, but acting also with DEBUG on (it re-raises then, and a developer who
    presses Cancel should see what a user sees), with our own messages, and sending a signed-in user
    (reconnecting Google) back to the settings page instead of the sign-in page."""

    def raise_exception(self, request: HttpRequest, exception: Exception) -> bool:
        return False

    def get_message(self, request: HttpRequest, exception: Exception) -> str:
        assert isinstance(exception, SocialAuthBaseException)
        return social_auth_message(exception)

    def get_redirect_uri(self, request: HttpRequest, exception: Exception) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return reverse("accounts:settings")
        return reverse("accounts:login")


class GoogleAccountCookieMiddleware:
    """Sets the signed cookie with the Google account (subject) that just signed in; the sign-in pipeline
    (``store_google_credentials``) marks the request, and ``GoogleOAuth2.auth_extra_arguments`` reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        subject = getattr(request, "google_account_signed_in", None)
        if subject:
            response.set_signed_cookie(
                GOOGLE_ACCOUNT_COOKIE,
                subject,
                salt=GOOGLE_ACCOUNT_COOKIE_SALT,
                max_age=GOOGLE_ACCOUNT_COOKIE_MAX_AGE,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response


class ProfileMiddleware:
    """Loads the signed-in user's profile once, as ``request.profile``, and shows the page in their time
    zone (forms read times in it, templates print them in it); the zone is dropped when the response is made.

    API views are left alone: DRF authenticates a Bearer token only inside the view, after this runs, so the
    user seen here may be nobody or a different browser session; and the API answers in UTC for every caller.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            # The thread serves other users next.
            timezone.deactivate()

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        view_class = getattr(view_func, "cls", None)
        if not request.user.is_authenticated or (
            isinstance(view_class, type) and issubclass(view_class, APIView)
        ):
            return
        profile = profile_for(request.user)
        cast(AuthenticatedHttpRequest, request).profile = profile
        timezone.activate(profile.zone)
