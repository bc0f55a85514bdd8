from __future__ import annotations

from django.apps import AppConfig


class EmailsyncConfig(AppConfig):
    name = "emailsync"
    verbose_name = "Email sync"
