"""Password sign-in lockouts (django-axes): by username, by client address, the cool-off, and the ways in
that involve no password."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django import Settings

from accounts.tests.test_google_signin import sign_in_with_google
from accounts.throttling import client_ip
from scheduler_site.testing.fake_google import FakeGoogle
from scheduler_site.tests.google_support import google_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # conftest's user_factory password
LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client: Client, username: str = "alice", times: int = 5, **extra: Any) -> list[int]:
    return [sign_in(client, username, "wrong", **extra).status_code for _ in range(times)]


def signed_in(client: Client, user: User) -> bool:
    return bool(client.get("/accounts/settings/").wsgi_request.user == user)


def test_the_fifth_wrong_password_locks_the_account_with_a_message_and_retry_after(
    alice: User, client: Client
) -> None:
    statuses = fail(client, times=4)
    locked = sign_in(client, "alice", "wrong")

    assert statuses == [200, 200, 200, 200]
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    page = locked.content.decode()
    assert 'id="locked-out"' in page and "paused for 15 minutes" in page
    assert 'value="alice"' in page  # our sign-in page, not axes' bare text


def test_the_right_password_is_refused_during_the_lockout(alice: User, client: Client) -> None:
    fail(client)

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client, alice)


def test_a_username_is_locked_whatever_address_the_guesses_come_from(alice: User, client: Client) -> None:
    for number in range(5):
        sign_in(client, "alice", "wrong", REMOTE_ADDR=f"198.51.100.{number}")

    response = sign_in(client, "alice", PASSWORD, REMOTE_ADDR="203.0.113.50")

    assert response.status_code == 429
    assert not signed_in(client, alice)


def test_an_address_is_locked_whatever_usernames_it_tries(alice: User, client: Client) -> None:
    for number in range(5):
        sign_in(client, f"someone{number}", "wrong", REMOTE_ADDR="198.51.100.7")

    from_there = sign_in(client, "alice", PASSWORD, REMOTE_ADDR="198.51.100.7")
    elsewhere = sign_in(Client(), "alice", PASSWORD, REMOTE_ADDR="203.0.113.50")

    assert from_there.status_code == 429
    assert elsewhere.status_code == 302


def test_the_lockout_ends_after_the_cool_off(alice: User, client: Client) -> None:
    fail(client)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client, alice)


def test_the_limit_and_the_cool_off_come_from_settings(
    alice: User, client: Client, settings: Settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=3)

    statuses = fail(client, times=2)

    assert statuses == [200, 429]
    assert sign_in(client, "alice", "wrong")["Retry-After"] == "180"


def test_a_successful_sign_in_clears_the_failures(alice: User, client: Client) -> None:
    fail(client, times=4)
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()

    assert fail(client, times=4) == [200, 200, 200, 200]
    assert sign_in(client, "alice", "wrong").status_code == 429


@pytest.mark.usefixtures("alice")
def test_the_demo_account_works_from_a_locked_out_address(client: Client, settings: Settings) -> None:
    settings.GOOGLE_ENABLED = False
    settings.DEMO_ACCOUNT = True
    fail(client)

    response = client.post("/accounts/demo-login/")

    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.usefixtures("alice")
def test_google_sign_in_works_from_a_locked_out_address(google: FakeGoogle, client: Client) -> None:
    account = google.add_user("dana@gmail.example")
    fail(client)

    response = sign_in_with_google(client, google, account.email)

    assert response.status_code == 302 and response["Location"] == "/"
    assert getattr(client.get("/").wsgi_request.user, "email", None) == account.email


def test_behind_a_proxy_the_address_the_proxy_saw_is_locked_not_the_proxy(
    alice: User, client: Client, settings: Settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for number in range(5):
        # The attacker writes its own X-Forwarded-For; the proxy appends the address it really saw.
        forwarded = f"192.0.2.{number}, 203.0.113.7"
        sign_in(client, f"someone{number}", "wrong", HTTP_X_FORWARDED_FOR=forwarded, **proxy)

    attacker = sign_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    neighbour = sign_in(Client(), "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.9", **proxy)

    assert attacker.status_code == 429
    assert neighbour.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.2"),  # no proxy trusted: a client's header is ignored
        (1, "", "10.0.0.2"),
        (1, "192.0.2.1, 203.0.113.7", "203.0.113.7"),
        (2, "192.0.2.1, 203.0.113.7, 10.0.0.3", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),  # fewer entries than proxies: the left-most
    ],
)
def test_the_client_address_is_counted_from_the_right_of_x_forwarded_for(
    settings: Settings, proxies: int, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected
