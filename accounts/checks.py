"""System checks (``manage.py check``, and before migrate and runserver) for the accounts app's settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from accounts.crypto import MAKE_KEY_HINT, invalid_key_positions


@register(Tags.security)
def token_encryption_keys_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """A malformed key would only show at the first Google sign-in or sync; say so before the server runs."""
    return [
        Error(
            f"TOKEN_ENCRYPTION_KEYS: key number {position} (of {len(settings.TOKEN_ENCRYPTION_KEYS)}) is not "
            "a Fernet key (32 url-safe base64-encoded bytes).",
            hint=f"{MAKE_KEY_HINT} Keys are separated by commas; the first one encrypts.",
            id="accounts.E001",
        )
        for position in invalid_key_positions(settings.TOKEN_ENCRYPTION_KEYS)
    ]


@register(Tags.security, deploy=True)
def token_encryption_keys_deploy_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.TOKEN_ENCRYPTION_KEYS:
        return []
    return [
        Warning(
            "TOKEN_ENCRYPTION_KEYS is not set, so the Google tokens are encrypted with a key derived from "
            "SECRET_KEY: changing SECRET_KEY would make every stored token unreadable.",
            hint=f"Set TOKEN_ENCRYPTION_KEYS (docs/deployment.md). {MAKE_KEY_HINT}",
            id="accounts.W001",
        )
    ]
