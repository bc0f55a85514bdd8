"""Google sign-in: social-auth's Google backend with our addresses and no tokens in ``extra_data``, and
the accounts steps of ``SOCIAL_AUTH_PIPELINE`` (ask for consent again when no refresh token is held; keep
the grant). Other apps add their own steps after ``store_google_credentials`` (see settings)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import Http404, HttpResponse
from django.http import HttpRequest as DjangoHttpRequest
from social_core.backends.google import GoogleOAuth2 as SocialGoogleOAuth2

from accounts.google.grant import google_account_connect, google_refresh_token_held
from accounts.models import GoogleCredential

logger = logging.getLogger(__name__)

TOKEN_KEYS = ("access_token", "refresh_token", "id_token")
# The Google account (subject) of the last Google sign-in in this browser, signed: before Google answers, it
# is our only clue to whether we already hold a refresh token for the person at the keyboard.
GOOGLE_ACCOUNT_COOKIE = "google_account"
GOOGLE_ACCOUNT_COOKIE_SALT = "accounts.google_account"
GOOGLE_ACCOUNT_COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
# Session flag: this sign-in was restarted with prompt=consent because Google sent no refresh token.
FORCE_CONSENT_SESSION_KEY = "google_force_consent"


def _require_google_enabled() -> None:
    # Without a client id, Google would show its own error page to whoever started a sign-in.
    if not settings.GOOGLE_ENABLED:
        raise Http404("Google sign-in is not configured on this site.")


class GoogleOAuth2(SocialGoogleOAuth2):
    """social-auth's Google backend with every address taken from settings (so a local fake Google can
    stand in) and without tokens in ``extra_data``: ``store_google_credentials`` keeps them encrypted."""

    def start(self) -> Any:
        _require_google_enabled()
        return super().start()

    def complete(self, *args: Any, **kwargs: Any) -> Any:
        _require_google_enabled()
        return super().complete(*args, **kwargs)

    def authorization_url(self) -> str:
        return str(settings.GOOGLE_AUTHORIZATION_URL)

    def access_token_url(self) -> str:
        return str(settings.GOOGLE_TOKEN_URL)

    def refresh_token_url(self) -> str:
        return str(settings.GOOGLE_TOKEN_URL)

    def revoke_token_url(self, token: str, uid: str) -> str:
        return str(settings.GOOGLE_REVOKE_URL)

    def auth_extra_arguments(self) -> dict[str, str]:
        """Ask for the consent screen only when we hold no usable refresh token for the expected account.

        Google issues a new refresh token on every consent and silently revokes the oldest beyond a cap, so
        a returning user signs in without it. The expected account is the signed-in user's (reconnecting),
        else the one of the last Google sign-in in this browser; Google pre-selects it (``login_hint``). If
        the person picks another account, ``require_refresh_token`` restarts with consent when needed.
        """
        arguments = super().auth_extra_arguments()
        request = getattr(self.strategy, "request", None)
        subject = _expected_subject(request) if request is not None else None
        if subject:
            arguments["login_hint"] = subject
        if self.strategy.session_get(FORCE_CONSENT_SESSION_KEY) or not (
            subject and google_refresh_token_held(subject=subject)
        ):
            arguments["prompt"] = "consent"
        return arguments

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        response = self.get_json(
            settings.GOOGLE_USERINFO_URL, headers={"Authorization": f"Bearer {access_token}"}
        )
        self.validate_email_verified(response)
        return response

    def extra_data(
        self,
        user: Any,
        uid: str,
        response: dict[str, Any],
        details: dict[str, Any],
        pipeline_kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        data = super().extra_data(user, uid, response, details, pipeline_kwargs)
        return {key: value for key, value in data.items() if key not in TOKEN_KEYS}


def _expected_subject(request: DjangoHttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        subject = GoogleCredential.objects.filter(user=user).values_list("subject", flat=True).first()
        if subject:
            return str(subject)
    cookie = request.get_signed_cookie(
        GOOGLE_ACCOUNT_COOKIE,
        default=None,
        salt=GOOGLE_ACCOUNT_COOKIE_SALT,
        max_age=GOOGLE_ACCOUNT_COOKIE_MAX_AGE,
    )
    return str(cookie) if cookie else None


def is_google_sign_in(backend: Any) -> bool:
    """Whether a pipeline step runs for a Google sign-in (for the steps other apps own)."""
    return bool(backend.name == GoogleOAuth2.name)


def require_refresh_token(
    backend: Any, uid: str, response: dict[str, Any], *args: Any, **kwargs: Any
) -> HttpResponse | None:
    """social-auth pipeline step after ``auth_allowed``: when Google sent no refresh token (a sign-in without
    the consent screen) and we hold none for this account (never had one, or the grant was lost), start the
    sign-in again once, with ``prompt=consent``. A second answer without one goes on: sync then works until
    the access token expires, and the mailbox asks for a reconnect."""
    if backend.name != GoogleOAuth2.name:
        return None
    strategy = backend.strategy
    if response.get("refresh_token") or google_refresh_token_held(subject=str(uid)):
        strategy.session_pop(FORCE_CONSENT_SESSION_KEY)
        return None
    if strategy.session_pop(FORCE_CONSENT_SESSION_KEY):
        logger.warning("Google sent no refresh token even with prompt=consent")
        return None
    strategy.session_set(FORCE_CONSENT_SESSION_KEY, True)
    return strategy.redirect(backend.auth_url())


def store_google_credentials(
    backend: Any, user: User | None, response: dict[str, Any], *args: Any, **kwargs: Any
) -> None:
    """social-auth pipeline step after ``load_extra_data``: keep the grant (encrypted), out of
    ``extra_data``. The steps after it (``emailsync.pipeline``, ``tasks_app.pipeline``) use it."""
    if user is None or not is_google_sign_in(backend):
        return
    social = kwargs.get("social")
    subject = str(social.uid if social is not None else response.get("sub", ""))
    google_account_connect(
        user=user, subject=subject, email=str(response.get("email", "")), token_response=response
    )
    if social is not None and any(key in (social.extra_data or {}) for key in TOKEN_KEYS):
        social.extra_data = {k: v for k, v in social.extra_data.items() if k not in TOKEN_KEYS}
        social.save(update_fields=["extra_data"])
    request = getattr(backend.strategy, "request", None)
    if request is not None:
        # accounts.middleware.GoogleAccountCookieMiddleware remembers it in this browser.
        request.google_account_signed_in = subject
