"""Sign-in, the demo account, the settings page and the admin's sync action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import Client
from django_q.models import Schedule
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import ApiToken, Profile, hash_token
from accounts.services import api_token_create, profile_for
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import mailbox_sync, sync_trigger
from tasks_app.models import LocalCalendarEvent, Task

if TYPE_CHECKING:
    # Only in django-stubs: the test client's response, with .context and .wsgi_request.
    from django.test.client import _MonkeyPatchedWSGIResponse

PASSWORD = "correct horse battery staple"  # the password conftest's user_factory gives everyone
SETTINGS_URL = "/accounts/settings/"


def sign_in(client: Client) -> _MonkeyPatchedWSGIResponse:
    """Alice signs in through the sign-in page (``Client.login`` has no request for the lockout check)."""
    return client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})


@pytest.fixture
def no_google(settings: Settings, tmp_path: Path) -> None:
    settings.GOOGLE_ENABLED = False
    settings.DEMO_ACCOUNT = True
    settings.LOCAL_MAIL_ROOT = tmp_path / "mail"


@pytest.fixture
def alice_client(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def messages_of(response: _MonkeyPatchedWSGIResponse) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def settings_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "timezone": "Europe/Madrid",
        "work_start": "08:30",
        "work_end": "16:00",
        "work_days": ["1", "2", "3", "4"],
        "approval_required": "on",
        "periodic_sync_minutes": "",
        "skip_senders": "news@example.com\n@marketing.example",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def schedules_of(user: User) -> list[Schedule]:
    return list(Schedule.objects.filter(name=f"periodic-sync-user-{user.pk}"))


# Signing in


@pytest.mark.django_db
def test_the_login_page_offers_the_demo_account_without_google(client: Client, no_google: None) -> None:
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b'action="/accounts/demo-login/"' in response.content
    assert b"Sign in with Google" not in response.content


@pytest.mark.django_db
def test_the_login_page_hides_the_demo_account_when_google_is_configured(
    client: Client, no_google: None, settings: Settings
) -> None:
    settings.GOOGLE_ENABLED = True

    response = client.get("/accounts/login/")

    assert b'action="/accounts/demo-login/"' not in response.content


@pytest.mark.django_db
def test_demo_login_creates_a_throwaway_demo_user_and_signs_in(client: Client, no_google: None) -> None:
    response = client.post("/accounts/demo-login/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    demo = get_user_model().objects.get(profile__is_demo=True)
    assert int(client.session["_auth_user_id"]) == demo.pk
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_demo_login_refuses_get(client: Client, no_google: None) -> None:
    assert client.get("/accounts/demo-login/").status_code == 405
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_demo_login_is_404_when_google_is_configured(
    client: Client, no_google: None, settings: Settings
) -> None:
    settings.GOOGLE_ENABLED = True

    assert client.post("/accounts/demo-login/").status_code == 404
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_signing_in_with_a_password_starts_a_sync_when_a_mailbox_is_connected(
    alice: User, mailbox_factory: Callable, client: Client
) -> None:
    mailbox_factory(alice)

    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302
    [run] = SyncRun.objects.filter(user=alice)
    assert run.trigger == SyncRun.Trigger.LOGIN
    assert run.state == SyncRun.State.QUEUED


@pytest.mark.django_db
def test_signing_in_twice_reuses_the_sync_in_progress(
    alice: User, mailbox_factory: Callable, client: Client
) -> None:
    mailbox_factory(alice)

    assert sign_in(client).status_code == 302
    assert sign_in(Client()).status_code == 302

    assert SyncRun.objects.filter(user=alice, trigger=SyncRun.Trigger.LOGIN).count() == 1


@pytest.mark.django_db
def test_signing_in_without_a_mailbox_starts_no_sync(alice: User, client: Client) -> None:
    assert sign_in(client).status_code == 302

    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_signing_in_starts_no_sync_when_that_is_switched_off(
    alice: User, mailbox_factory: Callable, client: Client, settings: Settings
) -> None:
    settings.SYNC_ON_LOGIN = False
    mailbox_factory(alice)

    assert sign_in(client).status_code == 302

    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_a_wrong_password_starts_no_sync(alice: User, mailbox_factory: Callable, client: Client) -> None:
    mailbox_factory(alice)

    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert not SyncRun.objects.exists()


# The settings page


@pytest.mark.django_db
def test_the_settings_page_requires_login(client: Client) -> None:
    response = client.get(SETTINGS_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_settings_page_shows_the_feed_url(alice: User, alice_client: Client) -> None:
    response = alice_client.get(SETTINGS_URL)

    assert response.status_code == 200
    assert f"/calendar/{profile_for(alice).feed_token}.ics".encode() in response.content


@pytest.mark.django_db
def test_saving_settings_stores_zone_hours_days_and_approval(
    alice: User, alice_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(SETTINGS_URL, settings_form())

    assert response.status_code == 302
    profile = Profile.objects.get(user=alice)
    assert profile.timezone == "Europe/Madrid"
    assert (profile.work_start, profile.work_end) == (dt.time(8, 30), dt.time(16))
    assert profile.working_days == [1, 2, 3, 4]
    assert profile.approval_required is True
    assert profile.skipped_senders() == ["news@example.com", "@marketing.example"]
    assert profile.periodic_sync_minutes is None
    assert schedules_of(alice) == []


@pytest.mark.django_db
def test_periodic_sync_setting_creates_changes_and_removes_the_schedule(
    alice: User, alice_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(SETTINGS_URL, settings_form(periodic_sync_minutes="30"))
    [schedule] = schedules_of(alice)
    assert schedule.minutes == 30
    assert schedule.func == "emailsync.jobs.scheduled_sync"
    assert schedule.args == repr((alice.pk,))

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(SETTINGS_URL, settings_form(periodic_sync_minutes="240"))
    [changed] = schedules_of(alice)
    assert (changed.pk, changed.minutes) == (schedule.pk, 240)

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(SETTINGS_URL, settings_form(periodic_sync_minutes=""))
    assert schedules_of(alice) == []
    assert Profile.objects.get(user=alice).periodic_sync_minutes is None


@pytest.mark.django_db
def test_settings_refuse_working_hours_that_end_before_they_start(alice: User, alice_client: Client) -> None:
    response = alice_client.post(SETTINGS_URL, settings_form(work_start="17:00", work_end="09:00"))

    assert response.status_code == 200
    assert "Working hours must end after they start." in response.content.decode()
    profile = Profile.objects.get(user=alice)
    assert (profile.work_start, profile.work_end) == (dt.time(9), dt.time(17))
    assert profile.timezone == "America/New_York"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"work_days": None}, "work_days"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"periodic_sync_minutes": "7"}, "periodic_sync_minutes"),
    ],
)
def test_settings_refuse_invalid_choices(
    alice: User, alice_client: Client, overrides: dict[str, object], field: str
) -> None:
    response = alice_client.post(SETTINGS_URL, settings_form(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Profile.objects.get(user=alice).timezone == "America/New_York"


@pytest.mark.django_db
def test_a_new_api_token_is_shown_once_and_works(alice: User, alice_client: Client) -> None:
    response = alice_client.post("/accounts/settings/tokens/", {"name": "My script"})
    assert response.status_code == 302

    first = alice_client.get(SETTINGS_URL)
    raw = first.context["new_token"]
    assert raw and raw.startswith(ApiToken.PREFIX)
    assert raw in first.content.decode()
    token = ApiToken.objects.get(user=alice)
    assert token.name == "My script"
    assert token.token_hash == hash_token(raw)

    second = alice_client.get(SETTINGS_URL)
    assert second.context["new_token"] is None
    assert raw not in second.content.decode()
    assert token.hint in second.content.decode()


@pytest.mark.django_db
def test_a_token_without_a_name_is_refused(alice: User, alice_client: Client) -> None:
    response = alice_client.post("/accounts/settings/tokens/", {"name": ""}, follow=True)

    assert "Give the token a name." in messages_of(response)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_revoking_a_token_stops_it_working(alice: User, alice_client: Client) -> None:
    token, raw = api_token_create(user=alice, name="script")

    response = alice_client.post(f"/accounts/settings/tokens/{token.pk}/revoke/", follow=True)

    assert "Token revoked." in messages_of(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/tasks/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


@pytest.mark.django_db
def test_one_cannot_revoke_another_users_token(alice: User, charlie: User, alice_client: Client) -> None:
    token, _ = api_token_create(user=charlie, name="charlie's")

    response = alice_client.post(f"/accounts/settings/tokens/{token.pk}/revoke/", follow=True)

    assert "No such active token." in messages_of(response)
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_regenerating_the_feed_retires_the_old_address(alice: User, alice_client: Client) -> None:
    old_token = profile_for(alice).feed_token
    assert alice_client.get(f"/calendar/{old_token}.ics").status_code == 200

    alice_client.post("/accounts/settings/feed/regenerate/")

    new_token = Profile.objects.get(user=alice).feed_token
    assert new_token != old_token
    assert Client().get(f"/calendar/{old_token}.ics").status_code == 404
    assert Client().get(f"/calendar/{new_token}.ics").status_code == 200
    assert f"/calendar/{new_token}.ics" in alice_client.get(SETTINGS_URL).content.decode()


@pytest.mark.django_db
def test_connecting_a_mail_folder_in_ones_area(
    alice: User, alice_client: Client, tmp_path: Path, settings: Settings
) -> None:
    settings.LOCAL_MAIL_ROOT = tmp_path
    folder = tmp_path / f"user-{alice.pk}" / "work"
    folder.mkdir(parents=True)

    response = alice_client.post("/accounts/settings/mailbox/", {"folder": "work"}, follow=True)

    mailbox = Mailbox.objects.get(user=alice)
    assert mailbox.source == Mailbox.Source.LOCAL
    assert mailbox.location == str(folder.resolve())
    assert any(m.startswith("Connected the folder “work”") for m in messages_of(response))


@pytest.mark.django_db
def test_connecting_a_folder_that_does_not_exist_shows_an_error(
    alice: User, alice_client: Client, tmp_path: Path, settings: Settings
) -> None:
    settings.LOCAL_MAIL_ROOT = tmp_path

    response = alice_client.post("/accounts/settings/mailbox/", {"folder": "nope"}, follow=True)

    assert ["There is no such folder in your mail area. Nothing was changed."] == messages_of(response)
    assert not Mailbox.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_deleting_the_account_removes_all_its_data(
    alice: User,
    charlie: User,
    alice_client: Client,
    mailbox_factory: Callable,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    for user in (alice, charlie):
        _, folder = mailbox_factory(user)
        folder.add(body="Please update the wiki page when you get a chance.")
        run, _ = sync_trigger(user=user, trigger=SyncRun.Trigger.COMMAND, enqueue=False)
        assert mailbox_sync(run=run).tasks_created == 1
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(SETTINGS_URL, settings_form(periodic_sync_minutes="60"))
    api_token_create(user=alice, name="script")
    assert schedules_of(alice)

    response = alice_client.post("/accounts/settings/delete/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not get_user_model().objects.filter(username="alice").exists()
    assert not Task.objects.filter(user_id=alice.pk).exists()
    assert not MessageReceipt.objects.filter(mailbox__user_id=alice.pk).exists()
    assert not LocalCalendarEvent.objects.filter(user_id=alice.pk).exists()
    assert not SyncRun.objects.filter(user_id=alice.pk).exists()
    assert not ApiToken.objects.filter(user_id=alice.pk).exists()
    assert schedules_of(alice) == []
    # Charlie's data is untouched.
    assert Task.objects.filter(user=charlie).count() == 1
    assert LocalCalendarEvent.objects.filter(user=charlie).count() == 1


@pytest.mark.django_db
def test_deleting_the_account_requires_post(alice: User, alice_client: Client) -> None:
    assert alice_client.get("/accounts/settings/delete/").status_code == 405
    assert get_user_model().objects.filter(pk=alice.pk).exists()


# The admin


@pytest.mark.django_db
def test_the_admin_sync_action_starts_runs_for_the_selected_users(
    alice: User, charlie: User, user_factory: Callable, mailbox_factory: Callable
) -> None:
    mailbox_factory(alice)
    mailbox_factory(charlie)
    no_mailbox = user_factory("bob")
    admin = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(admin)

    response = client.post(
        "/admin/auth/user/",
        {"action": "sync_email_now", "_selected_action": [alice.pk, no_mailbox.pk]},
        follow=True,
    )

    assert response.status_code == 200
    [run] = SyncRun.objects.all()
    assert (run.user_id, run.trigger, run.state) == (alice.pk, SyncRun.Trigger.ADMIN, SyncRun.State.QUEUED)
    texts = messages_of(response)
    assert "Started 1 sync(s); 0 already running." in texts
    assert any(text.startswith("bob: No mailbox is connected yet.") for text in texts)


@pytest.mark.django_db
def test_the_admin_sync_action_reports_runs_already_in_progress(
    alice: User, mailbox_factory: Callable
) -> None:
    mailbox_factory(alice)
    existing, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(admin)

    response = client.post(
        "/admin/auth/user/", {"action": "sync_email_now", "_selected_action": [alice.pk]}, follow=True
    )

    assert list(SyncRun.objects.values_list("pk", flat=True)) == [existing.pk]
    assert "Started 0 sync(s); 1 already running." in messages_of(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "zone"),
    [("Berlin", "Europe/Berlin"), ("new york", "America/New_York"), ("DE", "Europe/Berlin")],
)
def test_settings_take_a_city_or_country_as_the_time_zone(
    alice: User, alice_client: Client, typed: str, zone: str
) -> None:
    response = alice_client.post(SETTINGS_URL, settings_form(timezone=typed))

    assert response.status_code == 302
    assert Profile.objects.get(user=alice).timezone == zone


@pytest.mark.django_db
def test_settings_explain_a_country_with_several_time_zones(alice: User, alice_client: Client) -> None:
    response = alice_client.post(SETTINGS_URL, settings_form(timezone="United States"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "United States has " in page
    assert "Type a city instead, e.g. New York" in page
    assert Profile.objects.get(user=alice).timezone == "America/New_York"


@pytest.mark.django_db
def test_the_time_zone_list_labels_zones_with_city_and_country(alice_client: Client) -> None:
    page = alice_client.get(SETTINGS_URL).content.decode()

    assert '<option value="Europe/Berlin" label="Berlin — Germany (Europe/Berlin)">' in page


@pytest.mark.django_db
def test_working_hours_in_the_wrong_order_get_one_plain_message(alice: User, alice_client: Client) -> None:
    response = alice_client.post(SETTINGS_URL, settings_form(work_start="17:00", work_end="09:00"))

    page = response.content.decode()
    assert page.count("Working hours must end after they start.") == 1
    assert "work_hours_order" not in page
    assert "Constraint" not in page
