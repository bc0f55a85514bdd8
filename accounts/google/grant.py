"""The user's Google grant: storing it from sign-in, credentials that refresh (and save) it, losing it,
revoking it, and re-encrypting it under a new key. Tokens never appear in logs.

When the grant can no longer be used (Google refused it, or the user disconnected), ``google_access_ended``
(``accounts.signals``) tells the apps that call Google for the user.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.parse
from typing import Any

import google.auth.exceptions
import google.oauth2.credentials
import httplib2
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from social_core.backends.google import GoogleOAuth2 as SocialGoogleOAuth2

from accounts.crypto import InvalidToken, encrypt, reencrypt
from accounts.google.errors import NETWORK_ERRORS, GoogleApiError, GoogleErrorKind
from accounts.models import GoogleCredential
from accounts.services import periodic_sync_apply, profile_for
from accounts.signals import GOOGLE_DISCONNECTED, google_access_ended

logger = logging.getLogger(__name__)

GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events"
TOKEN_KEY_LOST = (
    "The server cannot decrypt the stored Google tokens: TOKEN_ENCRYPTION_KEYS does not hold the key they "
    "were stored with. An administrator must restore it."
)


def google_refresh_token_held(*, subject: str) -> bool:
    """Whether we hold a refresh token for this Google account that Google has not refused."""
    return (
        GoogleCredential.objects.filter(subject=subject, grant_lost_at__isnull=True)
        .exclude(refresh_token_encrypted="")
        .exists()
    )


def google_granted_scopes(*, user: User) -> set[str]:
    """The scopes of the user's usable grant; empty when there is none."""
    credential = GoogleCredential.objects.filter(user=user, grant_lost_at__isnull=True).first()
    return set(credential.scope_list) if credential is not None else set()


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
    """Store a fresh grant from sign-in (signing in again is also how a lost grant is reconnected) and
    resume the periodic sync. Returns the granted scopes. What the grant allows in other apps (Gmail as
    the mailbox, Google Calendar as the calendar) is done by their own sign-in pipeline steps."""
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
    requested = [*SocialGoogleOAuth2.DEFAULT_SCOPE, *settings.SOCIAL_AUTH_GOOGLE_OAUTH2_SCOPE]
    credential.scopes = str(token_response.get("scope") or " ".join(requested))
    credential.grant_lost_at = None
    credential.save()
    if not credential.refresh_token_encrypted:
        logger.warning(
            "Google sign-in of user %s gave no refresh token; sync works for an hour only", user.pk
        )
    minutes = profile_for(user).periodic_sync_minutes
    transaction.on_commit(lambda: periodic_sync_apply(user=user, minutes=minutes))
    return set(credential.scope_list)


def google_grant_lost(*, user: User, reason: str) -> None:
    """Google refused the grant (revoked or expired): mark it so no further call is attempted, and tell the
    apps (``google_access_ended``), which stop syncing and ask the user to reconnect."""
    logger.info("Google grant of user %s is gone: %s", user.pk, reason)
    GoogleCredential.objects.filter(user=user).update(grant_lost_at=timezone.now(), access_token_encrypted="")
    google_access_ended.send(sender=GoogleCredential, user=user, reason=reason)


class StoredCredentials(google.oauth2.credentials.Credentials):
    """google-auth user credentials that save every refreshed access token (encrypted) and turn
    ``invalid_grant`` into a lost grant, wherever the refresh happens (before a call, after a 401, in a
    batch). Every refresh failure is a ``GoogleApiError``."""

    def __init__(self, *, credential_pk: int, user: User, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._credential_pk = credential_pk
        self._user = user

    def refresh(self, request: Any) -> None:
        if GoogleCredential.objects.filter(pk=self._credential_pk, grant_lost_at__isnull=False).exists():
            raise GoogleApiError(
                "Google access was lost earlier; reconnect Google.", kind=GoogleErrorKind.GRANT_LOST
            )
        try:
            super().refresh(request)
        except google.auth.exceptions.RefreshError as e:
            message = str(e.args[0]) if e.args else str(e)
            if message.startswith("invalid_grant"):
                google_grant_lost(user=self._user, reason="invalid_grant")
                raise GoogleApiError(
                    "Google says the access was revoked or has expired (invalid_grant).",
                    kind=GoogleErrorKind.GRANT_LOST,
                    reason="invalid_grant",
                ) from None
            if getattr(e, "retryable", False):
                raise GoogleApiError(
                    f"Google could not renew the access token just now: {message}",
                    kind=GoogleErrorKind.TOKEN_UNAVAILABLE,
                ) from None
            raise GoogleApiError(
                f"Google refused to renew the access token: {message}", kind=GoogleErrorKind.TOKEN_REFUSED
            ) from None
        except google.auth.exceptions.TransportError as e:
            raise GoogleApiError(
                f"Google's token endpoint could not be reached: {type(e).__name__}",
                kind=GoogleErrorKind.TOKEN_UNAVAILABLE,
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

    Raises ``GoogleApiError`` (``GRANT_LOST``) without any network call when the user has no usable grant,
    and (``SERVER_MISCONFIGURED``) when the stored tokens cannot be decrypted.
    """
    credential = GoogleCredential.objects.filter(user=user).first()
    if credential is None:
        raise GoogleApiError(
            "Google is not connected; sign in with Google to connect it.", kind=GoogleErrorKind.GRANT_LOST
        )
    if credential.grant_lost_at is not None:
        raise GoogleApiError(
            "Google access was revoked or has expired; reconnect Google.", kind=GoogleErrorKind.GRANT_LOST
        )
    try:
        access_token = credential.access_token or None
        refresh_token = credential.refresh_token or None
    except (InvalidToken, ImproperlyConfigured) as e:
        # A removed key (InvalidToken) or a malformed one: the operator's error, not the user's.
        reason = TOKEN_KEY_LOST if isinstance(e, InvalidToken) else f"The server cannot decrypt tokens: {e}"
        logger.error("Google tokens of user %s unusable: %s", user.pk, reason)
        raise GoogleApiError(
            f"The service has a configuration problem; it is not your account, nothing is lost and there is "
            f"nothing to reconnect. For the administrator: {reason}",
            kind=GoogleErrorKind.SERVER_MISCONFIGURED,
        ) from None
    if refresh_token is None and access_token is None:
        raise GoogleApiError(
            "No Google tokens are stored; reconnect Google.", kind=GoogleErrorKind.GRANT_LOST
        )
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
    except NETWORK_ERRORS as e:
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
    """Revoke the user's Google grant, delete the tokens and tell the apps (``google_access_ended``).

    The sign-in link (``UserSocialAuth``) stays, so signing in with Google again reconnects this same
    account. Returns False when Google could not confirm the revocation (the tokens are deleted anyway,
    and the user is told to remove the access in their Google account).
    """
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
    google_access_ended.send(sender=GoogleCredential, user=user, reason=GOOGLE_DISCONNECTED)
    return revoked


def google_keys_rotate() -> int:
    """Re-encrypt every stored token with the first key of TOKEN_ENCRYPTION_KEYS. Returns rows changed."""
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
