"""The settings of test runs and type checks: the one settings module, with a random SECRET_KEY when none
is set.

Without DEBUG the settings refuse to load without a key. pytest-django imports the settings (this module,
named in pytest.ini) before any conftest.py runs, and mypy's Django plugin imports them too (pyproject.toml),
so the key is set here, on the way in. This works for ``scripts/test.sh``, ``python -m pytest``, the
``pytest`` script and ``mypy .`` alike. It goes into the environment so that the processes the tests start
(a qcluster, manage.py) share it. Never point a server at this module.
"""

from __future__ import annotations

import os
import secrets

os.environ.setdefault("SECRET_KEY", "test-" + secrets.token_urlsafe(50))

from scheduler_site.settings import *  # noqa: F403
