"""Re-encrypt the stored Google tokens with the first key of TOKEN_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.google.grant import google_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored OAuth token with the first key of TOKEN_ENCRYPTION_KEYS. Run it after "
        "putting a new key in front; remove the old key only afterwards."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = google_keys_rotate()
        self.stdout.write(f"Re-encrypted the tokens of {count} Google credential(s) with the newest key.")
