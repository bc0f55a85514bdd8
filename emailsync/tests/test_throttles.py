"""Per-user request rates: starting a sync (API and the dashboard's button share one count) and the API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from pytest_django import Settings
from rest_framework.test import APIClient

from accounts.services import api_token_create
from conftest import client_for
from emailsync.models import SyncRun

pytestmark = pytest.mark.django_db

API_SYNC = "/api/email/sync"
BUTTON = "/sync/sync/"
JSON: dict[str, Any] = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def low_rates(settings: Settings) -> None:
    rates = {"api": "5/minute", "sync": "3/minute"}
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.fixture
def with_mailbox(mailbox_factory: Callable) -> Callable[[User], None]:
    def make(user: User) -> None:
        _, folder = mailbox_factory(user)
        folder.add(subject="Q3", body="Could you send me the Q3 report by Friday EOD?")

    return make


def api_client(user: User) -> APIClient:
    _, raw = api_token_create(user=user, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_the_api_refuses_a_sync_past_the_rate_with_429_and_retry_after(
    alice: User, with_mailbox: Callable[[User], None]
) -> None:
    with_mailbox(alice)
    client = api_client(alice)

    allowed = [client.post(API_SYNC).status_code for _ in range(3)]
    refused = client.post(API_SYNC)

    assert allowed == [202, 202, 202]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"]


def test_the_button_and_the_api_share_one_sync_count(
    alice: User, with_mailbox: Callable[[User], None]
) -> None:
    with_mailbox(alice)
    browser, script = client_for(alice), api_client(alice)

    assert browser.post(BUTTON, **JSON).status_code == 202
    assert script.post(API_SYNC).status_code == 202
    assert browser.post(BUTTON, **JSON).status_code == 202

    assert script.post(API_SYNC).status_code == 429
    assert browser.post(BUTTON, **JSON).status_code == 429


def test_the_button_answers_its_script_with_429_a_message_and_retry_after(
    alice: User, with_mailbox: Callable[[User], None]
) -> None:
    with_mailbox(alice)
    browser = client_for(alice)
    for _ in range(3):
        browser.post(BUTTON, **JSON)

    response = browser.post(BUTTON, **JSON)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Please wait" in response.json()["error"]


def test_the_button_without_script_returns_to_the_dashboard_with_the_message(
    alice: User, with_mailbox: Callable[[User], None]
) -> None:
    with_mailbox(alice)
    browser = client_for(alice)
    for _ in range(3):
        browser.post(BUTTON)

    response = browser.post(BUTTON)
    page = browser.get(response["Location"])

    assert response.status_code == 302 and response["Location"] == "/"
    assert int(response["Retry-After"]) >= 1
    assert "You started several syncs just now" in page.content.decode()


def test_a_refused_sync_starts_nothing(alice: User, with_mailbox: Callable[[User], None]) -> None:
    with_mailbox(alice)
    browser = client_for(alice)
    for _ in range(3):
        browser.post(BUTTON, **JSON)
    SyncRun.objects.all().delete()  # the run in progress would otherwise be returned again

    browser.post(BUTTON, **JSON)

    assert not SyncRun.objects.exists()


def test_each_user_has_their_own_sync_count(
    alice: User, charlie: User, with_mailbox: Callable[[User], None]
) -> None:
    with_mailbox(alice)
    with_mailbox(charlie)
    for _ in range(4):
        api_client(alice).post(API_SYNC)

    assert api_client(charlie).post(API_SYNC).status_code == 202


def test_every_api_call_counts_against_the_api_rate(alice: User) -> None:
    client = api_client(alice)

    statuses = [client.get("/api/tasks/").status_code for _ in range(5)]
    refused = client.get("/api/tasks/")

    assert statuses == [200] * 5
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert client.get("/api/email/sync/status/00000000-0000-0000-0000-000000000000").status_code == 429


def test_the_rates_are_settings_with_safe_defaults() -> None:
    assert django_settings.API_RATE == "120/minute" and django_settings.SYNC_RATE == "6/minute"


@pytest.mark.parametrize(
    ("redis_url", "backend"),
    [
        ("", "django.core.cache.backends.locmem.LocMemCache"),
        ("redis://127.0.0.1:6379/0", "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_the_cache_is_redis_when_redis_url_is_set(redis_url: str, backend: str) -> None:
    env = {**os.environ, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "scheduler_site.settings"}
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"

    printed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    assert printed.stdout.strip() == backend


def test_a_malformed_rate_stops_start_up() -> None:
    env = {**os.environ, "SYNC_RATE": "often", "DJANGO_SETTINGS_MODULE": "scheduler_site.settings"}
    code = "from django.conf import settings; settings.SYNC_RATE"

    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)

    assert result.returncode != 0 and "SYNC_RATE must look like 120/minute" in result.stderr
