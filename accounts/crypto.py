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

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt", "encrypt", "reencrypt"]


def derived_key(secret: str) -> bytes:
    """A Fernet key derived from the site's secret key, for installs that set no token keys."""
    digest = hashlib.sha256(b"intelligent-scheduler token encryption\x00" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if not keys:
        return MultiFernet([Fernet(derived_key(secret))])
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError as e:
            raise ImproperlyConfigured(
                f"TOKEN_ENCRYPTION_KEYS: key number {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with "
                '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`)'
            ) from e
    return MultiFernet(fernets)


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
