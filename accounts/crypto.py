"""Encryption at rest for the OAuth tokens we keep.

Keys come from ``TOKEN_ENCRYPTION_KEYS`` (comma-separated Fernet keys). The first key encrypts; every key
decrypts, so a new key can be put in front, the stored tokens re-encrypted with ``manage.py
rotate_token_keys``, and the old key removed afterwards. Without the variable a key is derived from
``SECRET_KEY``: fine for a local checkout, but production sets its own keys (docs/deployment.md).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["MAKE_KEY_HINT", "InvalidToken", "decrypt", "encrypt", "invalid_key_positions", "reencrypt"]


def derived_key(secret: str) -> bytes:
    """A Fernet key derived from the site's secret key, for installs that set no token keys."""
    digest = hashlib.sha256(b"intelligent-scheduler token encryption\x00" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


MAKE_KEY_HINT = 'Make a key with `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'


def invalid_key_positions(keys: Sequence[str]) -> list[int]:
    """The 1-based positions of the keys in ``keys`` that are not Fernet keys (32 url-safe base64 bytes)."""
    bad = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            bad.append(position)
    return bad


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if not keys:
        return MultiFernet([Fernet(derived_key(secret))])
    bad = invalid_key_positions(keys)
    if bad:
        raise ImproperlyConfigured(
            f"TOKEN_ENCRYPTION_KEYS: key number {bad[0]} is not a Fernet key "
            f"(32 url-safe base64-encoded bytes). {MAKE_KEY_HINT}"
        )
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.TOKEN_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The plaintext; raises ``InvalidToken`` when no configured key opens it."""
    if not ciphertext:
        return ""
    return _current().decrypt(ciphertext.encode()).decode()


def reencrypt(ciphertext: str) -> str:
    """The same plaintext encrypted with the first (newest) key."""
    if not ciphertext:
        return ""
    return _current().rotate(ciphertext.encode()).decode()
