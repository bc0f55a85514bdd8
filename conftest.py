"""Shared pytest fixtures: named personas and factories, on a real database."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

if TYPE_CHECKING:
    # Imported lazily below so that pure unit tests can run without Django (-p no:django).
    from django.contrib.auth.models import User
    from django.test import Client
    from pytest_django import Settings
    from rest_framework.test import APIClient

    from emailsync.models import Mailbox, SyncRun
    from scheduler_site.testing.fake_anthropic import FakeAnthropic

_counter = itertools.count(1)

# Property tests stay bounded so the suite stays fast: "suite" (the default) caps every @given at a few dozen
# examples, with no per-example deadline (CI machines are shared and slow) and a fixed seed per test, so a
# failure in CI fails the same way on a laptop. HYPOTHESIS_PROFILE=thorough searches longer, with fresh
# randomness, for a local hunt. A test's own @settings still override what they name.
hypothesis_settings.register_profile(
    "suite",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "thorough", parent=hypothesis_settings.get_profile("suite"), max_examples=1000, derandomize=False
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """Real hashing costs a third of a second per user; tests make many users and don't test hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def mail_root(settings: Settings, tmp_path: Path) -> Path:
    """Uploads and demo copies go under LOCAL_MAIL_ROOT: each test has its own, never the checkout's var/."""
    root = tmp_path / "mail-root"
    root.mkdir()
    settings.LOCAL_MAIL_ROOT = root
    return root


@pytest.fixture(autouse=True)
def _offline_extractor_by_default(settings: Settings) -> None:
    """A developer with ANTHROPIC_API_KEY exported must not run the suite against the real Claude."""
    settings.TASK_EXTRACTOR = "offline"


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Settings) -> None:
    """Request throttles count in the cache: each test starts at zero, in a cache of its own process (never
    a developer's Redis from REDIS_URL, which clearing would flush)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def claude_fake(settings: Settings) -> Iterator[FakeAnthropic]:
    """The project's fake Anthropic on loopback, made the site's extractor (Claude), with no SDK retries."""
    from scheduler_site.testing.fake_anthropic import FakeAnthropic

    with FakeAnthropic(api_key="test-key") as server:
        settings.TASK_EXTRACTOR = "claude"
        settings.ANTHROPIC_API_KEY = "test-key"
        settings.ANTHROPIC_BASE_URL = server.base_url
        settings.ANTHROPIC_MAX_RETRIES = 0
        settings.ANTHROPIC_TIMEOUT_SECONDS = 5
        yield server


@pytest.fixture
def user_factory(db: None) -> Callable[..., User]:
    from django.contrib.auth import get_user_model

    from accounts.services import profile_for

    def make(username: str | None = None, *, timezone: str = "America/New_York", **profile: object) -> User:
        name = username or f"user{next(_counter)}"
        user = get_user_model().objects.create_user(
            username=name, email=f"{name}@example.com", password="correct horse battery staple"
        )
        p = profile_for(user)
        p.timezone = timezone
        for key, value in profile.items():
            setattr(p, key, value)
        p.save()
        return user

    return make


@pytest.fixture
def alice(user_factory: Callable[..., User]) -> User:
    return user_factory("alice")


@pytest.fixture
def charlie(user_factory: Callable[..., User]) -> User:
    """Should have no access to Alice's stuff."""
    return user_factory("charlie")


@pytest.fixture
def auth_client() -> Callable[[User], APIClient]:
    from rest_framework.test import APIClient

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


def make_email(
    *,
    subject: str = "Quick request",
    body: str = "Could you send me the Q3 report by Friday EOD?",
    sender: str = "Bob Builder <bob@example.com>",
    to: str = "alice@example.com",
    date: dt.datetime | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(
        date or dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    )
    message["Message-ID"] = make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return bytes(message)


def sync_in_foreground(user: User) -> SyncRun:
    """Trigger a sync of the user's mailbox and run it in this process, as ``manage.py sync_user`` does."""
    from emailsync.models import SyncRun
    from emailsync.services import mailbox_sync, sync_trigger

    run, created = sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    assert created, f"a sync was already {run.state}"
    return mailbox_sync(run=run)


def sqlite_query_plan(sql: str) -> str:
    """SQLite's plan for a statement as CaptureQueriesContext recorded it (values inlined), one step a line:
    which index each table is read through, and whether whole rows are sorted."""
    from django.db import connection

    assert connection.vendor == "sqlite", "query plans are read from SQLite"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[3]) for row in cursor.fetchall())


def client_for(user: User) -> Client:
    """A test client signed in as ``user``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


class MailFolder:
    """A local mail folder for a test, written one .eml file at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.mkdir(parents=True, exist_ok=True)

    def add(self, name: str | None = None, raw: bytes | None = None, **email: Any) -> str:
        name = name or f"{next(_counter):04d}.eml"
        (self.path / name).write_bytes(raw if raw is not None else make_email(**email))
        return name


@pytest.fixture
def mail_folder_factory(tmp_path: Path) -> Callable[[str], MailFolder]:
    def make(name: str = "mail") -> MailFolder:
        return MailFolder(tmp_path / name)

    return make


@pytest.fixture
def mailbox_factory(
    mail_folder_factory: Callable[[str], MailFolder],
) -> Callable[[User], tuple[Mailbox, MailFolder]]:
    from emailsync.services import mailbox_connect_local

    def make(user: User) -> tuple[Mailbox, MailFolder]:
        folder = mail_folder_factory(f"mail-{user.pk}")
        return mailbox_connect_local(user=user, folder=str(folder.path)), folder

    return make
