#!/usr/bin/env python3
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings)
    except ImproperlyConfigured as e:
        # Django would carry on without settings and most commands would then fail with an unrelated
        # error (e.g. "Models aren't loaded yet"); say what is wrong with the configuration instead.
        sys.exit(f"Configuration error: {e}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
