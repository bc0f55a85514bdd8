"""Throwaway demo accounts: offered only when asked for, one private user and mailbox per visitor, no API
tokens, and deleted by a daily job once older than DEMO_TTL_HOURS."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule
from pytest_django import Settings

from accounts.apps import DEMO_CLEANUP_SCHEDULE
from accounts.models import ApiToken, Profile, hash_token
from accounts.services import (
    api_token_create,
    demo_password_user_ensure,
    demo_users_delete_expired,
    periodic_sync_apply,
    schedule_name,
)
from conftest import client_for, sync_in_foreground
from emailsync.demo import SAMPLE_DIR, demo_user_create
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.sources.local import local_mail_area
from scheduler_site.schedules import maintenance_schedules_ensure
from tasks_app.models import Task

SAMPLE_COUNT = len(list(SAMPLE_DIR.glob("*.eml")))


@pytest.fixture
def demo_on(settings: Settings, mail_root: Path) -> None:
    settings.GOOGLE_ENABLED = False
    settings.DEMO_ACCOUNT = True
    settings.SYNC_ON_LOGIN = False  # the tests sync in the foreground themselves


def press_demo_button(client: Client) -> User:
    response = client.post("/accounts/demo-login/")
    assert response.status_code == 302, response.status_code
    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


def age(user: User, *, hours: float) -> None:
    get_user_model().objects.filter(pk=user.pk).update(date_joined=timezone.now() - dt.timedelta(hours=hours))


# When it is offered


def _setting_in_subprocess(env: dict[str, str], name: str) -> str:
    base = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "DEMO_ACCOUNT", "DJANGO_SETTINGS_MODULE"}
    }
    result = subprocess.run(
        [sys.executable, "-c", f"from scheduler_site import settings; print(settings.{name})"],
        cwd=django_settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("env", "offered"),
    [
        ({}, "False"),
        ({"DEBUG": "0"}, "False"),
        ({"DEBUG": "1"}, "True"),
        ({"DEBUG": "1", "DEMO_ACCOUNT": "0"}, "False"),
        ({"DEBUG": "0", "DEMO_ACCOUNT": "1"}, "True"),
    ],
)
def test_the_demo_account_follows_debug_unless_demo_account_is_set(env: dict[str, str], offered: str) -> None:
    assert _setting_in_subprocess(env, "DEMO_ACCOUNT") == offered


@pytest.mark.django_db
def test_without_debug_or_demo_account_the_button_is_absent_and_the_view_404s(
    client: Client, settings: Settings, mail_root: Path
) -> None:
    settings.GOOGLE_ENABLED = False
    settings.DEBUG = False
    settings.DEMO_ACCOUNT = False

    page = client.get("/accounts/login/")
    response = client.post("/accounts/demo-login/")

    assert page.status_code == 200
    assert b"Try the demo account" not in page.content
    assert b'action="/accounts/demo-login/"' not in page.content
    assert response.status_code == 404
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()
    assert not any(mail_root.iterdir())


@pytest.mark.django_db
def test_with_demo_account_on_the_login_page_offers_the_button(client: Client, demo_on: None) -> None:
    page = client.get("/accounts/login/")

    assert b'action="/accounts/demo-login/"' in page.content
    assert b"deleted after 24 hours" in page.content


# One private user and mailbox per visitor


@pytest.mark.django_db
def test_two_visitors_get_two_users_each_with_their_own_copy_of_the_sample_mailbox(
    demo_on: None, mail_root: Path
) -> None:
    first = press_demo_button(Client())
    second = press_demo_button(Client())

    assert first.pk != second.pk
    folders = []
    for user in (first, second):
        profile = Profile.objects.get(user=user)
        assert profile.is_demo
        assert profile.timezone == "America/New_York"
        assert user.username.startswith("demo-")
        assert not user.has_usable_password()
        folder = Path(Mailbox.objects.get(user=user).location)
        assert folder.is_relative_to(local_mail_area(user.pk))
        assert folder.is_relative_to(mail_root.resolve())
        assert len(list(folder.glob("*.eml"))) == SAMPLE_COUNT > 20
        folders.append(folder)
    assert folders[0] != folders[1]


@pytest.mark.django_db
def test_syncing_one_demo_user_gives_tasks_only_to_that_user(demo_on: None) -> None:
    first = press_demo_button(Client())
    second = press_demo_button(Client())

    run = sync_in_foreground(first)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.messages_seen == SAMPLE_COUNT
    assert Task.objects.filter(user=first).count() >= 10
    assert not Task.objects.filter(user=second).exists()
    assert not MessageReceipt.objects.filter(mailbox__user=second).exists()
    # The second visitor's own copy is untouched and syncs in full for them.
    assert sync_in_foreground(second).messages_seen == SAMPLE_COUNT


@pytest.mark.django_db
def test_pressing_again_in_the_same_session_keeps_the_same_demo_user(demo_on: None) -> None:
    client = Client()
    first = press_demo_button(client)

    again = press_demo_button(client)

    assert again.pk == first.pk
    assert Profile.objects.filter(is_demo=True).count() == 1


@pytest.mark.django_db
def test_pressing_again_after_the_demo_user_expired_makes_a_new_one(demo_on: None) -> None:
    client = Client()
    first = press_demo_button(client)
    age(first, hours=25)

    again = press_demo_button(client)

    assert again.pk != first.pk


@pytest.mark.django_db
def test_pressing_it_while_signed_in_as_a_real_user_never_turns_them_into_a_demo_user(
    demo_on: None, alice: User
) -> None:
    demo = press_demo_button(client_for(alice))

    assert demo.pk != alice.pk
    assert not Profile.objects.get(user=alice).is_demo


@pytest.mark.django_db
def test_a_demo_user_whose_mailbox_copy_fails_leaves_no_user_and_no_folder_behind(
    mail_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken_sample = tmp_path / "broken-sample"
    broken_sample.mkdir()
    first = sorted(SAMPLE_DIR.glob("*.eml"))[0]
    (broken_sample / "01.eml").write_bytes(first.read_bytes())
    (broken_sample / "02.eml").mkdir()  # unreadable as a file: the copy fails half-way
    monkeypatch.setattr("emailsync.demo.SAMPLE_DIR", broken_sample)

    with pytest.raises(IsADirectoryError):
        demo_user_create()

    assert not get_user_model().objects.exists()
    assert not mail_root.exists() or not any(mail_root.iterdir())


@pytest.mark.django_db
def test_every_page_tells_a_demo_user_the_account_is_deleted(demo_on: None, alice: User) -> None:
    client = Client()
    press_demo_button(client)

    dashboard = client.get("/").content.decode()

    assert 'id="demo-notice"' in dashboard
    assert "throwaway demo account" in dashboard and "24 hours" in dashboard
    assert 'id="demo-notice"' not in client_for(alice).get("/").content.decode()


# No API tokens


@pytest.mark.django_db
def test_a_demo_user_cannot_create_an_api_token(demo_on: None) -> None:
    client = Client()
    demo = press_demo_button(client)

    response = client.post("/accounts/settings/tokens/", {"name": "my script"}, follow=True)

    assert not ApiToken.objects.filter(user=demo).exists()
    assert response.context["new_token"] is None
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "A demo account cannot make API tokens: it is deleted after 24 hours. "
        "Sign in with your own account to use the API."
    ]
    with pytest.raises(ValueError, match="demo account"):
        api_token_create(user=demo, name="direct")


@pytest.mark.django_db
def test_the_settings_page_hides_the_token_form_from_a_demo_user_and_says_why(
    demo_on: None, alice: User
) -> None:
    client = Client()
    press_demo_button(client)

    page = client.get("/accounts/settings/").content.decode()

    assert 'action="/accounts/settings/tokens/"' not in page
    assert "A demo account cannot make API tokens" in page
    assert (
        'action="/accounts/settings/tokens/"' in client_for(alice).get("/accounts/settings/").content.decode()
    )


@pytest.mark.django_db
def test_an_existing_token_of_a_demo_user_is_refused(demo_on: None) -> None:
    demo = press_demo_button(Client())
    raw = ApiToken.PREFIX + "made-before-the-rule"
    ApiToken.objects.create(user=demo, name="old", token_hash=hash_token(raw), hint=raw[:10])

    response = Client().get("/api/tasks/", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 401
    assert response.json()["detail"] == "Demo accounts cannot use API tokens."


# Deleted after DEMO_TTL_HOURS


@pytest.mark.django_db
def test_the_cleanup_deletes_only_expired_demo_users_with_their_data_and_folders(
    demo_on: None,
    mail_root: Path,
    alice: User,
    mailbox_factory: Callable,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    expired = press_demo_button(Client())
    fresh = press_demo_button(Client())
    named = demo_password_user_ensure()
    _, alice_folder = mailbox_factory(alice)
    alice_folder.add(subject="Report", body="Could you send me the Q3 report by Friday EOD?")
    for user in (expired, fresh, alice):
        assert sync_in_foreground(user).state == SyncRun.State.SUCCEEDED
        periodic_sync_apply(user=user, minutes=60)
    named_area = local_mail_area(named.pk)
    named_area.mkdir(parents=True)
    age(expired, hours=25)
    age(alice, hours=24 * 400)
    age(named, hours=24 * 400)
    expired_area = local_mail_area(expired.pk)
    alice_tasks = Task.objects.filter(user=alice).count()
    assert expired_area.is_dir() and alice_tasks

    # The mail areas go once the delete is committed.
    with django_capture_on_commit_callbacks(execute=True):
        deleted = demo_users_delete_expired(now=timezone.now())

    assert deleted == 1
    assert not get_user_model().objects.filter(pk=expired.pk).exists()
    assert not Task.objects.filter(user_id=expired.pk).exists()
    assert not Mailbox.objects.filter(user_id=expired.pk).exists()
    assert not Schedule.objects.filter(name=schedule_name(expired.pk)).exists()
    assert not expired_area.exists()
    # Everyone else keeps everything.
    assert set(get_user_model().objects.values_list("pk", flat=True)) == {fresh.pk, named.pk, alice.pk}
    assert Task.objects.filter(user=fresh).exists()
    assert Task.objects.filter(user=alice).count() == alice_tasks
    assert local_mail_area(fresh.pk).is_dir() and named_area.is_dir() and alice_folder.path.is_dir()
    assert Schedule.objects.filter(name__in=[schedule_name(u.pk) for u in (fresh, alice)]).count() == 2


@pytest.mark.django_db
def test_the_cleanup_follows_demo_ttl_hours(demo_on: None, settings: Settings) -> None:
    settings.DEMO_TTL_HOURS = 2
    demo = press_demo_button(Client())
    age(demo, hours=1.5)

    assert demo_users_delete_expired(now=timezone.now()) == 0
    assert demo_users_delete_expired(now=timezone.now() + dt.timedelta(hours=1)) == 1
    assert not get_user_model().objects.filter(pk=demo.pk).exists()


@pytest.mark.django_db
def test_the_daily_cleanup_schedule_exists_after_migrate_and_runs_the_cleanup(demo_on: None) -> None:
    # pytest-django migrated the test database, and migrate writes the declared schedules.
    assert Schedule.objects.filter(name=DEMO_CLEANUP_SCHEDULE).exists()
    maintenance_schedules_ensure()  # and writing them again changes nothing

    [schedule] = Schedule.objects.filter(name=DEMO_CLEANUP_SCHEDULE)
    assert schedule.func == "accounts.jobs.demo_users_delete_expired"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 24 * 60
    assert schedule.repeats == -1
    expired = press_demo_button(Client())
    age(expired, hours=25)

    assert import_string(schedule.func)() == 1
    assert not get_user_model().objects.filter(pk=expired.pk).exists()


@pytest.mark.django_db
def test_one_address_can_make_only_so_many_demo_users(demo_on: None, settings: Settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"demo": "2/hour"}}
    made = [press_demo_button(Client()) for _ in range(2)]

    refused = Client().post("/accounts/demo-login/")
    elsewhere = Client(REMOTE_ADDR="198.51.100.7").post("/accounts/demo-login/")

    assert len({user.pk for user in made}) == 2
    assert refused.status_code == 302 and refused["Location"] == "/accounts/login/"
    assert int(refused["Retry-After"]) > 0
    page = Client().get("/accounts/login/")  # a fresh visitor sees nothing of it
    assert "Too many demo accounts" not in page.content.decode()
    assert get_user_model().objects.filter(profile__is_demo=True).count() == 3
    assert elsewhere.status_code == 302 and elsewhere["Location"] == "/"


@pytest.mark.django_db
def test_the_refused_visitor_is_told_when_to_try_again(demo_on: None, settings: Settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"demo": "1/hour"}}
    client = Client()
    press_demo_button(client)
    client.post("/accounts/logout/")

    page = client.post("/accounts/demo-login/", follow=True)

    assert "Too many demo accounts were made from your network just now." in page.content.decode()
