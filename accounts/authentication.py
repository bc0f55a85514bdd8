from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken, Profile, hash_token

# A token's last use is recorded at most this often. A script polling the sync status a few times a second
# would otherwise write on every poll, and on SQLite each write takes the database's one write lock.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` with a personal token made on the settings page."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[object, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Bearer <token>'.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as e:
            raise exceptions.AuthenticationFailed("The token contains invalid characters.") from e
        token = (
            ApiToken.objects.select_related("user__profile")
            .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        # Demo users cannot make tokens; one that exists anyway (made before that rule, or in the admin)
        # must not open the API to a throwaway account either.
        if _is_demo(token):
            raise exceptions.AuthenticationFailed("Demo accounts cannot use API tokens.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def _is_demo(token: ApiToken) -> bool:
    # The profile came with the token (select_related): no query of its own.
    try:
        return token.user.profile.is_demo
    except Profile.DoesNotExist:
        return False
