"""pytest fixtures for the fake Google. Use them from a conftest.py:

    from scheduler_site.testing.fake_google_pytest import fake_google, fake_google_settings  # noqa: F401

`fake_google` is a running server with no accounts; `fake_google_settings` also points Django's settings
at it (client id and secret, OAuth URLs, API endpoints, batch URI) for the length of the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django import Settings

from .fake_google import FakeGoogle


@pytest.fixture
def fake_google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as google:
        yield google
    # A crash inside the fake answers 500, which product code may well treat as Google being down;
    # fail the test instead so the fake's bug is not mistaken for the product handling an outage.
    assert not google.internal_errors, "the fake Google failed:\n" + "\n".join(google.internal_errors)


@pytest.fixture
def fake_google_settings(fake_google: FakeGoogle, settings: Settings) -> FakeGoogle:
    for name, value in fake_google.django_settings().items():
        setattr(settings, name, value)
    return fake_google
