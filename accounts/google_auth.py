"""Google sign-in and the user's Google grant: the social-auth backend, the pipeline step that keeps the
tokens (encrypted) in ``GoogleCredential``, refreshing and revoking them, and building API clients that use
them. Gmail (``emailsync.gmail``) and Google Calendar (``tasks_app.google_calendar``) get their clients here.

Tokens never appear in logs or in ``UserSocialAuth.extra_data``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.parse
from typing import Any

import google.auth.exceptions
import google.oauth2.credentials
import google_auth_httplib2
import httplib2
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import Http404, HttpResponse
from django.http import HttpRequest as DjangoHttpRequest
from django.utils import timezone
from googleapiclient.discovery import build
from googleapiclient.http import HttpRequest
from social_core.backends.google import GoogleOAuth2 as SocialGoogleOAuth2

from accounts.crypto import InvalidToken, encrypt
from accounts.models import GoogleCredential, Profile

logger = logging.getLogger(__name__)

GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events"
TOKEN_KEYS = ("access_token", "refresh_token", "id_token")
# The Google account (subject) of the last Google sign-in in this browser, signed: before Google answers, it
# is our only clue to whether we already hold a refresh token for the person at the keyboard.
GOOGLE_ACCOUNT_COOKIE = "google_account"
GOOGLE_ACCOUNT_COOKIE_SALT = "accounts.google_account"
GOOGLE_ACCOUNT_COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
# Session flag: this sign-in was restarted with prompt=consent because Google sent no refresh token.
FORCE_CONSENT_SESSION_KEY = "google_force_consent"


class GoogleAuthError(Exception):
    """The grant could not be used. ``transient`` errors may clear up by themselves."""

    transient = False


class GrantLost(GoogleAuthError):
    """No usable grant: never connected, disconnected, or revoked/expired (``invalid_grant``). Only the user
    can fix it, by signing in with Google again."""


class ServerMisconfigured(GoogleAuthError):
    """The server's own configuration keeps it from using a grant that is fine (the token keys changed).

    Only an administrator can fix it, so it must never count against the user's mailbox or ask them to
    reconnect; once the configuration is fixed the next sync works. The message speaks to both.
    """


TOKEN_KEY_LOST = (
    "The server cannot decrypt the stored Google tokens: TOKEN_ENCRYPTION_KEYS does not hold the key they "
    "were stored with. An administrator must restore it."
)


class AuthUnavailable(GoogleAuthError):
    """Google's token endpoint could not be reached or answered with a temporary error."""

    transient = True


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


def google_refresh_token_held(*, subject: str) -> bool:
    """Whether we hold a refresh token for this Google account that Google has not refused."""
    return (
        GoogleCredential.objects.filter(subject=subject, grant_lost_at__isnull=True)
        .exclude(refresh_token_encrypted="")
        .exists()
    )


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
    """social-auth pipeline step after ``load_extra_data``: keep the grant, connect Gmail and the calendar."""
    if user is None or backend.name != GoogleOAuth2.name:
        return
    social = kwargs.get("social")
    subject = str(social.uid if social is not None else response.get("sub", ""))
    granted = google_account_connect(
        user=user, subject=subject, email=str(response.get("email", "")), token_response=response
    )
    if social is not None and any(key in (social.extra_data or {}) for key in TOKEN_KEYS):
        social.extra_data = {k: v for k, v in social.extra_data.items() if k not in TOKEN_KEYS}
        social.save(update_fields=["extra_data"])
    request = getattr(backend.strategy, "request", None)
    if request is not None:
        # accounts.middleware.GoogleAccountCookieMiddleware remembers it in this browser.
        request.google_account_signed_in = subject
    if request is not None and GMAIL_SCOPE not in granted:
        messages.warning(
            request,
            "You did not allow reading Gmail, so there is no mail to sync. Sign in with Google again and "
            "tick the Gmail permission to connect your mailbox.",
        )


def _expiry(token_response: dict[str, Any]) -> dt.datetime | None:
    try:
        seconds = int(token_response.get("expires_in") or 0)
    except (TypeError, ValueError):
        return None
    return timezone.now() + dt.timedelta(seconds=seconds) if seconds > 0 else None


@transaction.atomic
def google_account_connect(
    *, user: User, subject: str, email: str, token_response: dict[str, Any]
) -> set[str]:
    """Store a fresh grant from sign-in and connect what it allows: Gmail as the mailbox, Google Calendar as
    the calendar. Signing in again is also how a lost grant is reconnected. Returns the granted scopes."""
    from accounts.services import periodic_sync_apply, profile_for
    from emailsync.services import mailbox_connect_gmail

    GoogleCredential.objects.filter(subject=subject).exclude(user=user).delete()
    credential = GoogleCredential.objects.select_for_update().filter(user=user).first()
    if credential is None:
        credential = GoogleCredential(user=user)
    credential.subject = subject
    credential.email = email
    credential.access_token = str(token_response.get("access_token") or "")
    # Google sends a refresh token with prompt=consent; should one be missing, keep the one we have.
    if token_response.get("refresh_token"):
        credential.refresh_token = str(token_response["refresh_token"])
    credential.access_token_expires_at = _expiry(token_response)
    requested = [*GoogleOAuth2.DEFAULT_SCOPE, *settings.SOCIAL_AUTH_GOOGLE_OAUTH2_SCOPE]
    credential.scopes = str(token_response.get("scope") or " ".join(requested))
    credential.grant_lost_at = None
    credential.save()
    if not credential.refresh_token_encrypted:
        logger.warning(
            "Google sign-in of user %s gave no refresh token; sync works for an hour only", user.pk
        )

    granted = set(credential.scope_list)
    if GMAIL_SCOPE in granted:
        mailbox_connect_gmail(user=user, address=email)
    profile = profile_for(user)
    if CALENDAR_SCOPE in granted and profile.calendar_provider != Profile.CalendarProvider.GOOGLE:
        profile.calendar_provider = Profile.CalendarProvider.GOOGLE
        if profile.timezone == "UTC":
            # Working hours are in the profile's zone: a new Google user's blocks belong in their calendar's
            # zone, not in 09:00-17:00 UTC.
            profile.timezone = _calendar_zone(user) or profile.timezone
        profile.save(update_fields=["calendar_provider", "timezone"])
    minutes = profile.periodic_sync_minutes
    transaction.on_commit(lambda: periodic_sync_apply(user=user, minutes=minutes))
    return granted


def _calendar_zone(user: User) -> str | None:
    """The time zone of the user's Google calendar, or None when it cannot be read now."""
    from tasks_app.calendars import CalendarError
    from tasks_app.google_calendar import GoogleCalendar

    try:
        return GoogleCalendar(user).zone().key
    except CalendarError as e:
        logger.warning("Could not read the calendar time zone of user %s: %s", user.pk, e)
        return None


def google_grant_lost(*, user: User, reason: str) -> None:
    """Google refused the grant (revoked or expired): stop every Google call and ask the user to reconnect.

    The mailbox shows "needs reconnect" with a button, the periodic schedule is paused (the chosen interval
    is kept and restored on reconnect), and the credential is marked so no further call is attempted.
    """
    from accounts.services import periodic_sync_apply
    from emailsync.models import Mailbox

    now = timezone.now()
    logger.info("Google grant of user %s is gone: %s", user.pk, reason)
    GoogleCredential.objects.filter(user=user).update(grant_lost_at=now, access_token_encrypted="")
    Mailbox.objects.filter(user=user, source=Mailbox.Source.GMAIL).update(
        state=Mailbox.State.NEEDS_RECONNECT,
        last_error=f"Google no longer accepts our access ({reason}). Reconnect Google to sync again."[:2000],
        last_error_at=now,
        next_attempt_at=None,
    )
    periodic_sync_apply(user=user, minutes=None)


class StoredCredentials(google.oauth2.credentials.Credentials):
    """google-auth user credentials that save every refreshed access token (encrypted) and turn
    ``invalid_grant`` into a lost grant, wherever the refresh happens (before a call, after a 401, in a
    batch)."""

    def __init__(self, *, credential_pk: int, user: User, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._credential_pk = credential_pk
        self._user = user

    def refresh(self, request: Any) -> None:
        if GoogleCredential.objects.filter(pk=self._credential_pk, grant_lost_at__isnull=False).exists():
            raise GrantLost("Google access was lost earlier; reconnect Google.")
        try:
            super().refresh(request)
        except google.auth.exceptions.RefreshError as e:
            message = str(e.args[0]) if e.args else str(e)
            if message.startswith("invalid_grant"):
                google_grant_lost(user=self._user, reason="invalid_grant")
                raise GrantLost(
                    "Google says the access was revoked or has expired (invalid_grant)."
                ) from None
            if getattr(e, "retryable", False):
                raise AuthUnavailable(
                    f"Google could not renew the access token just now: {message}"
                ) from None
            raise GoogleAuthError(f"Google refused to renew the access token: {message}") from None
        except google.auth.exceptions.TransportError as e:
            raise AuthUnavailable(
                f"Google's token endpoint could not be reached: {type(e).__name__}"
            ) from None
        expires = self.expiry.replace(tzinfo=dt.UTC) if self.expiry else None
        fields: dict[str, Any] = {
            "access_token_encrypted": encrypt(self.token or ""),
            "access_token_expires_at": expires,
            "last_refreshed_at": timezone.now(),
        }
        if self.refresh_token:
            # Google usually omits refresh_token from a refresh reply; google-auth then keeps ours.
            fields["refresh_token_encrypted"] = encrypt(self.refresh_token)
        GoogleCredential.objects.filter(pk=self._credential_pk).update(**fields)


def google_credentials(user: User) -> StoredCredentials:
    """The user's Google credentials, refreshed on demand through ``GOOGLE_TOKEN_URL``.

    Raises ``GrantLost`` without any network call when the user has no usable grant.
    """
    credential = GoogleCredential.objects.filter(user=user).first()
    if credential is None:
        raise GrantLost("Google is not connected; sign in with Google to connect it.")
    if credential.grant_lost_at is not None:
        raise GrantLost("Google access was revoked or has expired; reconnect Google.")
    try:
        access_token = credential.access_token or None
        refresh_token = credential.refresh_token or None
    except (InvalidToken, ImproperlyConfigured) as e:
        # A removed key (InvalidToken) or a malformed one: the operator's error, not the user's.
        reason = TOKEN_KEY_LOST if isinstance(e, InvalidToken) else f"The server cannot decrypt tokens: {e}"
        logger.error("Google tokens of user %s unusable: %s", user.pk, reason)
        raise ServerMisconfigured(
            f"The service has a configuration problem; it is not your account, nothing is lost and there is "
            f"nothing to reconnect. For the administrator: {reason}"
        ) from None
    if refresh_token is None and access_token is None:
        raise GrantLost("No Google tokens are stored; reconnect Google.")
    expiry = credential.access_token_expires_at
    return StoredCredentials(
        credential_pk=credential.pk,
        user=user,
        token=access_token,
        refresh_token=refresh_token,
        token_uri=settings.GOOGLE_TOKEN_URL,
        client_id=settings.GOOGLE_CLIENT_ID,
        client_secret=settings.GOOGLE_CLIENT_SECRET,
        # google-auth compares against a naive UTC clock.
        expiry=expiry.astimezone(dt.UTC).replace(tzinfo=None) if expiry else None,
    )


def _retry_sleep(seconds: float) -> None:
    time.sleep(seconds * settings.GOOGLE_RETRY_BASE_MS / 1000)


class _Request(HttpRequest):
    """googleapiclient's request, with its retry sleeps scaled by ``GOOGLE_RETRY_BASE_MS``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sleep = _retry_sleep


def authorized_http(credentials: StoredCredentials) -> google_auth_httplib2.AuthorizedHttp:
    # httplib2 is not thread-safe: every sync builds its own.
    return google_auth_httplib2.AuthorizedHttp(
        credentials, http=httplib2.Http(timeout=settings.GOOGLE_HTTP_TIMEOUT_SECONDS)
    )


def google_service(*, user: User, api: str, version: str, endpoint: str) -> Any:
    """A fresh googleapiclient service for one user, pointed at ``endpoint``. No network at build time."""
    return build(
        api,
        version,
        http=authorized_http(google_credentials(user)),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": endpoint},
        requestBuilder=_Request,
    )


def google_revoke(token: str) -> bool:
    """Ask Google to revoke a grant. True when it is gone (revoked now or already invalid)."""
    http = httplib2.Http(timeout=settings.GOOGLE_HTTP_TIMEOUT_SECONDS)
    try:
        response, content = http.request(
            settings.GOOGLE_REVOKE_URL,
            method="POST",
            body=urllib.parse.urlencode({"token": token}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except (OSError, httplib2.HttpLib2Error) as e:
        logger.warning("Google token revocation failed: %s", type(e).__name__)
        return False
    if response.status == 200:
        return True
    try:
        error = json.loads(content or b"{}").get("error", "")
    except (ValueError, AttributeError):
        error = ""
    if response.status == 400 and error == "invalid_token":
        return True
    logger.warning("Google token revocation answered %s %s", response.status, error)
    return False


def google_disconnect(*, user: User) -> bool:
    """Revoke the user's Google grant, delete the tokens and stop syncing.

    The sign-in link (``UserSocialAuth``) stays, so signing in with Google again reconnects this same
    account. Returns False when Google could not confirm the revocation (the tokens are deleted anyway,
    and the user is told to remove the access in their Google account).
    """
    from accounts.services import periodic_sync_apply
    from emailsync.models import Mailbox

    credential = GoogleCredential.objects.filter(user=user).first()
    revoked = True
    if credential is not None:
        try:
            token = credential.refresh_token or credential.access_token
        except InvalidToken:
            token = ""
            revoked = False
        if token and credential.grant_lost_at is None:
            revoked = google_revoke(token)
        credential.delete()
    now = timezone.now()
    Mailbox.objects.filter(user=user, source=Mailbox.Source.GMAIL).update(
        state=Mailbox.State.NEEDS_RECONNECT,
        last_error="Google was disconnected. Reconnect Google to sync your mail again.",
        last_error_at=now,
        next_attempt_at=None,
    )
    periodic_sync_apply(user=user, minutes=None)
    return revoked


def google_keys_rotate() -> int:
    """Re-encrypt every stored token with the first key of TOKEN_ENCRYPTION_KEYS. Returns rows changed."""
    from accounts.crypto import reencrypt

    changed = 0
    for pk in GoogleCredential.objects.values_list("pk", flat=True):
        # Row by row under a lock, so a token refreshed meanwhile is not overwritten by its old value.
        with transaction.atomic():
            credential = GoogleCredential.objects.select_for_update().filter(pk=pk).first()
            if credential is None:
                continue
            GoogleCredential.objects.filter(pk=pk).update(
                access_token_encrypted=reencrypt(credential.access_token_encrypted),
                refresh_token_encrypted=reencrypt(credential.refresh_token_encrypted),
            )
            changed += 1
    return changed
