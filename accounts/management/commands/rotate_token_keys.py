"""Re-encrypt the stored secrets (Google tokens, IMAP passwords) with the first key of TOKEN_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from accounts.google.grant import google_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored OAuth token and IMAP password with the first key of TOKEN_ENCRYPTION_KEYS. "
        "Run it after putting a new key in front; remove the old key only afterwards."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = google_keys_rotate()
        self.stdout.write(f"Re-encrypted the tokens of {count} Google credential(s) with the newest key.")
        # The apps above accounts keep secrets of their own (IMAP passwords); they name their rotation in
        # TOKEN_KEY_ROTATIONS, so accounts knows none of them.
        for path in settings.TOKEN_KEY_ROTATIONS:
            count = import_string(path)()
            self.stdout.write(f"Re-encrypted {count} row(s) with the newest key ({path}).")
