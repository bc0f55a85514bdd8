"""Fixtures and helpers for tests of the Google path: the fake Google on loopback, wired into settings,
and users connected to it through the product's own sign-in service."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django import Settings

from accounts.google.grant import google_account_connect
from conftest import make_email
from emailsync.models import Mailbox
from emailsync.pipeline import mailbox_connect_google
from scheduler_site.testing.fake_google import FakeGoogle, FakeUser
from tasks_app.pipeline import calendar_connect_google

# Bodies the offline extractor turns into exactly one undated to-do each.
REQUESTS = [
    "Can you send the slides to Maria?",
    "Could you forward the invoice to accounting?",
    "Please review the contract with legal.",
    "Can you book the room for the offsite?",
    "Could you update the budget sheet?",
]

_numbers = itertools.count(1)


@pytest.fixture(name="fast_password_hashing", autouse=True)
def fast_password_hashing_fixture(settings: Settings) -> None:
    # The personas are created with a password; the default hasher would take most of the time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(name="google")
def google_fixture(settings: Settings) -> Iterator[FakeGoogle]:
    """A fake Google on a free loopback port; the product's Google settings point at it."""
    with FakeGoogle() as fake:
        for name, value in fake.django_settings().items():
            setattr(settings, name, value)
        # Short waits: retries sleep milliseconds, a hung server is noticed in 2 seconds.
        settings.GOOGLE_RETRY_BASE_MS = 1
        settings.GOOGLE_NUM_RETRIES = 2
        settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 2
        settings.SYNC_ON_LOGIN = False
        yield fake


def mail(
    subject: str = "Quick request",
    body: str = REQUESTS[0],
    *,
    age: dt.timedelta = dt.timedelta(hours=1),
    **kw: Any,
) -> bytes:
    date = dt.datetime.now(dt.UTC) - age
    return make_email(subject=subject, body=body, date=date, **kw)


def connect(google: FakeGoogle, user: User, *, time_zone: str = "Europe/Madrid") -> FakeUser:
    """Give ``user`` a Google account at the fake and connect it the way sign-in does (the pipeline steps'
    services, with a token response from the fake's token endpoint logic)."""
    address = f"{user.username}.{next(_numbers)}@gmail.example"
    fake_user = google.add_user(address, time_zone=time_zone)
    tokens = google.grant(address)
    google_account_connect(
        user=user,
        subject=fake_user.sub,
        email=address,
        token_response={
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": tokens.expires_in,
            "scope": " ".join(tokens.scopes),
        },
    )
    mailbox_connect_google(user=user)
    calendar_connect_google(user=user)
    return fake_user


def mailbox_of(user: User) -> Mailbox:
    return Mailbox.objects.get(user=user)


def gets_per_batch(google: FakeGoogle, user: str | None = None, *, format_: str = "raw") -> list[int]:
    """How many message reads in ``format_`` each Gmail batch request carried, in order (the fake logs a
    batch's parts first, then the batch itself); batches of another format are left out."""
    sizes: list[int] = []
    count = 0
    for entry in google.requests:
        if user is not None and entry.user not in (None, user):
            continue
        if entry.batch and entry.endpoint == "gmail.users.messages.get":
            count += entry.query.get("format") == [format_]
        elif entry.endpoint == "batch" and entry.path.startswith("/batch/gmail"):
            if count:
                sizes.append(count)
            count = 0
    return sizes


def bodies_read(google: FakeGoogle) -> list[str]:
    """The ids of the messages whose raw body was read, in order."""
    return [
        r.path.rsplit("/", 1)[1]
        for r in google.requests_to("gmail.users.messages.get")
        if r.query.get("format") == ["raw"]
    ]


MakeUser = Callable[..., User]
