"""Google sign-in through social-auth against the fake Google: the stored grant, refresh, disconnect."""

from __future__ import annotations

import datetime as dt
import io
import logging
import urllib.parse
import urllib.request
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule
from pytest_django import Settings
from social_django.models import UserSocialAuth

from accounts.google.grant import google_account_connect
from accounts.models import GoogleCredential, Profile
from accounts.services import periodic_sync_apply, schedule_name
from conftest import sync_in_foreground
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from scheduler_site.testing.fake_google import FakeGoogle
from scheduler_site.tests.google_support import (  # noqa: F401
    REQUESTS,
    connect,
    fast_password_hashing_fixture,
    google_fixture,
    mail,
)
from tasks_app.models import Task

pytestmark = pytest.mark.django_db


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def google_answer(client: Client, google: FakeGoogle) -> str:
    """Press "Sign in with Google" and return where Google sends the browser back (path and query)."""
    begin = client.post("/auth/login/google-oauth2/")
    assert begin.status_code == 302, begin.content
    return at_google(google, begin["Location"])


def at_google(google: FakeGoogle, authorize: str) -> str:
    """Open Google's authorize address as the browser would; return the callback path and query."""
    assert authorize.startswith(google.auth_uri)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(authorize, timeout=5)
    except urllib.error.HTTPError as answer:  # the 302 back to our callback
        assert answer.code == 302
        callback = answer.headers["Location"]
    else:  # pragma: no cover
        raise AssertionError("the fake did not redirect back")
    parts = urllib.parse.urlsplit(callback)
    return f"{parts.path}?{parts.query}"


def sign_in_with_google(client: Client, google: FakeGoogle, email: str) -> Any:
    """Press "Sign in with Google", let the fake approve as ``email``, and follow Google back to us, again
    when we send the browser back to Google (a restart with the consent screen)."""
    google.auto_approve(email)
    response = client.get(google_answer(client, google))
    for _ in range(3):
        if response.status_code != 302 or not response["Location"].startswith(google.auth_uri):
            return response
        response = client.get(at_google(google, response["Location"]))
    raise AssertionError("sent back to Google again and again")


def sign_out(client: Client) -> None:
    """Sign out as a browser does; the test client's ``logout()`` would also drop every other cookie."""
    assert client.post("/accounts/logout/").status_code == 302


def authorize_queries(google: FakeGoogle) -> list[dict[str, list[str]]]:
    return [r.query for r in google.requests_to("oauth.authorize")]


def test_signing_in_creates_the_user_the_gmail_mailbox_and_encrypted_tokens(
    google: FakeGoogle, client: Client
) -> None:
    account = google.add_user("dana@gmail.example", name="Dana Scully")

    response = sign_in_with_google(client, google, account.email)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = get_user_model().objects.get(email="dana@gmail.example")
    assert client.get("/").wsgi_request.user == user
    query = google.requests_to("oauth.authorize")[0].query
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["include_granted_scopes"] == ["true"]
    assert set(query["scope"][0].split()) >= {
        "openid",
        "email",
        "profile",
        "https://www.googleapis.com/auth/gmail.readonly",
        "https://www.googleapis.com/auth/calendar.events",
    }

    [grant] = google.oauth.grants
    [issued_access] = grant.access_tokens
    credential = GoogleCredential.objects.get(user=user)
    assert credential.subject == account.sub and credential.email == account.email
    assert credential.access_token == issued_access
    assert credential.refresh_token == grant.refresh_token
    # At rest, only ciphertext.
    assert issued_access not in credential.access_token_encrypted
    assert grant.refresh_token not in credential.refresh_token_encrypted
    assert credential.access_token_expires_at is not None
    assert credential.access_token_expires_at > timezone.now() + dt.timedelta(minutes=50)
    social = UserSocialAuth.objects.get(user=user, provider="google-oauth2")
    assert social.uid == account.sub
    stored = repr(social.extra_data)
    assert grant.refresh_token not in stored and issued_access not in stored
    assert not {"access_token", "refresh_token", "id_token"} & set(social.extra_data)

    mailbox = Mailbox.objects.get(user=user)
    assert (mailbox.source, mailbox.location, mailbox.state) == ("gmail", account.email, "active")
    assert Profile.objects.get(user=user).calendar_provider == Profile.CalendarProvider.GOOGLE


def test_a_new_google_user_works_in_the_time_zone_of_their_calendar(
    google: FakeGoogle, client: Client
) -> None:
    account = google.add_user("rosa@gmail.example", time_zone="Europe/Madrid")

    sign_in_with_google(client, google, account.email)

    profile = Profile.objects.get(user__email="rosa@gmail.example")
    assert profile.timezone == "Europe/Madrid"
    assert google.requests_to("calendar.events.list")


def test_a_time_zone_the_user_chose_is_kept_at_google_sign_in(google: FakeGoogle, client: Client) -> None:
    account = google.add_user("tom@gmail.example", time_zone="Europe/Madrid")
    sign_in_with_google(client, google, account.email)
    user = get_user_model().objects.get(email="tom@gmail.example")
    Profile.objects.filter(user=user).update(
        timezone="Asia/Tokyo", calendar_provider=Profile.CalendarProvider.LOCAL
    )
    client.logout()

    sign_in_with_google(client, google, account.email)

    assert Profile.objects.get(user=user).timezone == "Asia/Tokyo"


def test_sign_in_succeeds_when_the_calendar_zone_cannot_be_read(google: FakeGoogle, client: Client) -> None:
    account = google.add_user("lee@gmail.example", time_zone="Europe/Madrid")
    google.fail("calendar.events.list", status=500, times=20)

    response = sign_in_with_google(client, google, account.email)

    assert response.status_code == 302 and response["Location"] == "/"
    profile = Profile.objects.get(user__email="lee@gmail.example")
    assert profile.timezone == "UTC"
    assert profile.calendar_provider == Profile.CalendarProvider.GOOGLE


def test_the_tokens_never_reach_the_logs(
    google: FakeGoogle, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    account = google.add_user("dana@gmail.example")
    account.add_message(mail())
    caplog.set_level(logging.DEBUG)

    sign_in_with_google(client, google, account.email)
    user = get_user_model().objects.get(email=account.email)
    GoogleCredential.objects.filter(user=user).update(access_token_expires_at=timezone.now())
    google.revoke(account.email)
    run = sync_in_foreground(user)

    assert run.state == SyncRun.State.FAILED
    secrets = [google.oauth.grants[0].refresh_token, *google.oauth.by_access_token]
    assert all(secret and secret not in caplog.text for secret in secrets)


def test_signing_in_again_reconnects_the_same_account(
    google: FakeGoogle, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    account = google.add_user("dana@gmail.example")
    sign_in_with_google(client, google, account.email)
    user = get_user_model().objects.get(email=account.email)
    periodic_sync_apply(user=user, minutes=30)
    Profile.objects.filter(user=user).update(periodic_sync_minutes=30)
    google.revoke(account.email)
    run = sync_in_foreground(user)
    assert Mailbox.objects.get(user=user).state == Mailbox.State.NEEDS_RECONNECT
    assert not Schedule.objects.filter(name=schedule_name(user.pk)).exists()
    client.logout()

    with django_capture_on_commit_callbacks(execute=True):
        sign_in_with_google(client, google, account.email)

    assert get_user_model().objects.filter(email=account.email).count() == 1
    mailbox = Mailbox.objects.get(user=user)
    assert mailbox.state == Mailbox.State.ACTIVE and mailbox.last_error == ""
    credential = GoogleCredential.objects.get(user=user)
    assert credential.grant_lost_at is None
    assert credential.refresh_token == google.oauth.grants[-1].refresh_token
    assert Schedule.objects.filter(name=schedule_name(user.pk)).count() == 1
    assert run.state == SyncRun.State.FAILED
    assert sync_in_foreground(user).state == SyncRun.State.SUCCEEDED


def test_an_expired_access_token_is_refreshed_through_the_token_endpoint(
    google: FakeGoogle, alice: User
) -> None:
    account = connect(google, alice)
    account.add_message(mail())
    before = GoogleCredential.objects.get(user=alice)
    expired = timezone.now() - dt.timedelta(days=1)
    GoogleCredential.objects.filter(user=alice).update(access_token_expires_at=expired)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    [refresh] = google.requests_to("oauth.token")
    assert refresh.status == 200
    after = GoogleCredential.objects.get(user=alice)
    assert after.access_token != before.access_token
    assert after.access_token in google.oauth.by_access_token
    assert after.access_token not in after.access_token_encrypted
    # Google's refresh reply has no refresh token: the one we had is kept.
    assert after.refresh_token == before.refresh_token
    assert after.access_token_expires_at is not None
    assert after.access_token_expires_at > timezone.now() + dt.timedelta(minutes=50)
    assert after.last_refreshed_at is not None


def test_a_token_google_no_longer_accepts_is_refreshed_once_and_the_call_repeated(
    google: FakeGoogle, alice: User
) -> None:
    account = connect(google, alice)
    account.add_message(mail())
    google.expire_access_tokens(account.email)  # our clock says valid, Google's says expired

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert [r.status for r in google.requests][:3] == [401, 200, 200]
    profile, token = "gmail.users.getProfile", "oauth.token"
    assert [r.endpoint for r in google.requests][:3] == [profile, token, profile]
    assert GoogleCredential.objects.get(user=alice).access_token in google.oauth.by_access_token


def test_a_sign_in_reply_without_a_refresh_token_keeps_the_stored_one(
    google: FakeGoogle, alice: User
) -> None:
    account = connect(google, alice)
    stored = GoogleCredential.objects.get(user=alice).refresh_token

    google_account_connect(
        user=alice,
        subject=account.sub,
        email=account.email,
        token_response={"access_token": "ya29.new", "expires_in": 3599},
    )

    credential = GoogleCredential.objects.get(user=alice)
    assert (credential.access_token, credential.refresh_token) == ("ya29.new", stored)


def test_disconnect_revokes_the_grant_deletes_the_tokens_and_stops_the_schedule(
    google: FakeGoogle, alice: User, client: Client
) -> None:
    account = connect(google, alice)
    UserSocialAuth.objects.create(user=alice, provider="google-oauth2", uid=account.sub, extra_data={})
    refresh_token = GoogleCredential.objects.get(user=alice).refresh_token
    periodic_sync_apply(user=alice, minutes=30)
    client.force_login(alice)
    page = client.get("/accounts/settings/")
    assert b"Disconnect Google" in page.content and account.email.encode() in page.content

    response = client.post("/accounts/settings/google/disconnect/", follow=True)

    assert b"our access is revoked" in response.content
    [revoke] = google.requests_to("oauth.revoke")
    assert revoke.status == 200
    assert google.oauth.by_refresh_token[refresh_token].revoked
    assert not GoogleCredential.objects.filter(user=alice).exists()
    assert not Schedule.objects.filter(name=schedule_name(alice.pk)).exists()
    assert Mailbox.objects.get(user=alice).state == Mailbox.State.NEEDS_RECONNECT
    # The sign-in link stays, so signing in with Google again finds this same account.
    assert UserSocialAuth.objects.filter(user=alice, uid=account.sub).exists()
    assert b"Reconnect Google" in client.get("/accounts/settings/").content


def test_disconnect_still_deletes_the_tokens_when_google_cannot_be_reached(
    google: FakeGoogle, alice: User, client: Client
) -> None:
    connect(google, alice)
    google.fail("oauth.revoke", status=503, times=None)
    client.force_login(alice)

    response = client.post("/accounts/settings/google/disconnect/", follow=True)

    assert b"did not confirm the revocation" in response.content
    assert not GoogleCredential.objects.filter(user=alice).exists()


def test_deleting_the_account_removes_messages_tasks_and_tokens(
    google: FakeGoogle, alice: User, client: Client
) -> None:
    account = connect(google, alice)
    account.add_message(mail())
    assert sync_in_foreground(alice).tasks_created == 1
    UserSocialAuth.objects.create(user=alice, provider="google-oauth2", uid=account.sub, extra_data={})
    client.force_login(alice)

    client.post("/accounts/settings/delete/")

    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert not MessageReceipt.objects.exists()
    assert not Task.objects.exists()
    assert not GoogleCredential.objects.exists()
    assert not UserSocialAuth.objects.exists()
    assert [r.status for r in google.requests_to("oauth.revoke")] == [200]


def test_the_dashboard_offers_to_reconnect_a_mailbox_that_lost_its_grant(
    google: FakeGoogle, alice: User, client: Client
) -> None:
    account = connect(google, alice)
    google.revoke(account.email)
    sync_in_foreground(alice)
    client.force_login(alice)

    page = client.get("/").content.decode()

    assert 'id="reconnect-google"' in page
    assert 'action="/auth/login/google-oauth2/"' in page


def test_tokens_survive_a_key_rotation(google: FakeGoogle, alice: User, settings: Settings) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old_key]
    connect(google, alice)
    tokens = GoogleCredential.objects.get(user=alice).refresh_token

    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
    assert GoogleCredential.objects.get(user=alice).refresh_token == tokens
    call_command("rotate_token_keys", stdout=io.StringIO())
    settings.TOKEN_ENCRYPTION_KEYS = [new_key]

    assert GoogleCredential.objects.get(user=alice).refresh_token == tokens
    assert sync_in_foreground(alice).state == SyncRun.State.SUCCEEDED


def landing(client: Client, response: Any) -> tuple[str, str]:
    """Where a failed sign-in sent the browser, and the text of that page (with its message)."""
    assert response.status_code == 302, response.status_code
    return response["Location"], client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("debug", [False, True])
def test_pressing_cancel_at_google_returns_to_the_sign_in_page_with_a_message(
    google: FakeGoogle, client: Client, settings: Settings, debug: bool
) -> None:
    settings.DEBUG = debug  # social_django's own middleware re-raises with DEBUG on
    google.add_user("dana@gmail.example")
    google.auto_cancel()
    answer = google_answer(client, google)

    response = client.get(answer)

    assert "error=access_denied" in answer and "state=" in answer
    location, page = landing(client, response)
    assert location == "/accounts/login/"
    assert "You cancelled at Google, so nothing was changed." in page
    assert not get_user_model().objects.filter(email="dana@gmail.example").exists()


def test_cancelling_a_reconnect_returns_to_the_settings_page(
    google: FakeGoogle, alice: User, client: Client
) -> None:
    client.force_login(alice)
    google.auto_cancel()

    response = client.get(google_answer(client, google))

    location, page = landing(client, response)
    assert location == "/accounts/settings/"
    assert "You cancelled at Google" in page
    assert client.get("/").wsgi_request.user == alice


def test_an_answer_without_its_state_returns_to_the_sign_in_page(google: FakeGoogle, client: Client) -> None:
    google.add_user("dana@gmail.example")
    google.auto_approve("dana@gmail.example")
    path, _, query = google_answer(client, google).partition("?")
    without_state = urllib.parse.urlencode([(k, v) for k, v in urllib.parse.parse_qsl(query) if k != "state"])

    response = client.get(f"{path}?{without_state}")

    location, page = landing(client, response)
    assert location == "/accounts/login/"
    assert "missing part of the sign-in" in page
    assert not GoogleCredential.objects.exists()


def test_an_expired_state_returns_to_the_sign_in_page(google: FakeGoogle, client: Client) -> None:
    google.add_user("dana@gmail.example")
    google.auto_approve("dana@gmail.example")
    answer = google_answer(client, google)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(answer).query)["state"][0]
    session = client.session
    started = session[f"google-oauth2_oauth2_state_{state}"]
    started["timestamp"] -= 31 * 60  # social-core's state lifetime is 30 minutes
    session[f"google-oauth2_oauth2_state_{state}"] = started
    session.save()

    response = client.get(answer)

    location, page = landing(client, response)
    assert location == "/accounts/login/"
    assert "took too long and expired" in page
    assert not GoogleCredential.objects.exists()


def test_an_answer_for_a_sign_in_started_in_another_browser_returns_to_the_sign_in_page(
    google: FakeGoogle, client: Client
) -> None:
    google.add_user("dana@gmail.example")
    google.auto_approve("dana@gmail.example")
    answer = google_answer(Client(), google)

    response = client.get(answer)

    location, page = landing(client, response)
    assert location == "/accounts/login/"
    assert "does not belong to a sign-in started in this browser" in page


def test_a_google_account_the_site_does_not_allow_is_refused_with_a_message(
    google: FakeGoogle, client: Client, settings: Settings
) -> None:
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_WHITELISTED_DOMAINS = ["example.org"]
    google.add_user("dana@gmail.example")

    response = sign_in_with_google(client, google, "dana@gmail.example")

    location, page = landing(client, response)
    assert location == "/accounts/login/"
    assert "This Google account is not allowed to sign in here." in page
    assert not get_user_model().objects.filter(email="dana@gmail.example").exists()


def test_google_failing_during_sign_in_returns_to_the_sign_in_page(
    google: FakeGoogle, client: Client
) -> None:
    google.add_user("dana@gmail.example")
    google.fail("oauth.token", status=503, times=None)

    response = sign_in_with_google(client, google, "dana@gmail.example")

    location, page = landing(client, response)
    assert location == "/accounts/login/"
    assert "Google could not be reached or answered with an error" in page


def test_any_other_sign_in_failure_returns_to_the_sign_in_page(
    google: FakeGoogle, client: Client, settings: Settings
) -> None:
    google.add_user("dana@gmail.example")
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = "not-the-secret"  # Google: 401 invalid_client

    response = sign_in_with_google(client, google, "dana@gmail.example")

    location, page = landing(client, response)
    assert location == "/accounts/login/"
    assert "Signing in with Google failed. Please try again" in page


def test_the_first_sign_in_asks_for_consent_and_stores_a_refresh_token(
    google: FakeGoogle, client: Client
) -> None:
    account = google.add_user("dana@gmail.example")

    sign_in_with_google(client, google, account.email)

    [query] = authorize_queries(google)
    assert query["prompt"] == ["consent"] and "login_hint" not in query
    [grant] = google.oauth.grants
    assert grant.refresh_token
    assert GoogleCredential.objects.get(subject=account.sub).refresh_token == grant.refresh_token


def test_a_returning_user_signs_in_without_the_consent_screen_and_keeps_the_token(
    google: FakeGoogle, client: Client
) -> None:
    account = google.add_user("dana@gmail.example")
    sign_in_with_google(client, google, account.email)
    stored = GoogleCredential.objects.get(subject=account.sub).refresh_token
    sign_out(client)

    response = sign_in_with_google(client, google, account.email)

    assert response.status_code == 302 and response["Location"] == "/"
    _, second = authorize_queries(google)
    assert "prompt" not in second
    assert second["login_hint"] == [account.sub] and second["access_type"] == ["offline"]
    assert google.oauth.grants[-1].refresh_token is None  # Google sent none: no consent, no new token
    credential = GoogleCredential.objects.get(subject=account.sub)
    assert credential.refresh_token == stored
    assert sync_in_foreground(credential.user).state == SyncRun.State.SUCCEEDED


def test_a_user_whose_grant_was_lost_goes_through_consent_again(google: FakeGoogle, client: Client) -> None:
    account = google.add_user("dana@gmail.example")
    sign_in_with_google(client, google, account.email)
    user = get_user_model().objects.get(email=account.email)
    google.revoke(account.email)
    sync_in_foreground(user)  # Google refuses the token: the grant is marked lost
    assert GoogleCredential.objects.get(user=user).grant_lost_at is not None
    sign_out(client)

    sign_in_with_google(client, google, account.email)

    assert authorize_queries(google)[-1]["prompt"] == ["consent"]
    credential = GoogleCredential.objects.get(user=user)
    assert credential.grant_lost_at is None
    assert credential.refresh_token == google.oauth.grants[-1].refresh_token


def test_reconnecting_after_a_disconnect_goes_through_consent_again(
    google: FakeGoogle, client: Client
) -> None:
    account = google.add_user("dana@gmail.example")
    sign_in_with_google(client, google, account.email)
    client.post("/accounts/settings/google/disconnect/")

    sign_in_with_google(client, google, account.email)

    query = authorize_queries(google)[-1]
    assert query["prompt"] == ["consent"]
    credential = GoogleCredential.objects.get(subject=account.sub)
    assert credential.refresh_token == google.oauth.grants[-1].refresh_token


def test_an_account_we_hold_no_token_for_is_sent_through_consent_once_more(
    google: FakeGoogle, client: Client
) -> None:
    dana = google.add_user("dana@gmail.example")
    sign_in_with_google(client, google, dana.email)
    sign_out(client)
    # Someone else at this browser picks their own account, which allowed this app long ago: Google skips
    # the consent screen and sends no refresh token, and we hold none for that account.
    eve = google.add_user("eve@gmail.example")
    google.grant(eve.email)

    response = sign_in_with_google(client, google, eve.email)

    assert response.status_code == 302 and response["Location"] == "/"
    queries = authorize_queries(google)[1:]
    assert ["prompt" in q for q in queries] == [False, True]
    assert queries[1]["prompt"] == ["consent"]
    credential = GoogleCredential.objects.get(subject=eve.sub)
    assert credential.refresh_token and credential.refresh_token == google.oauth.grants[-1].refresh_token
    assert getattr(client.get("/").wsgi_request.user, "email", None) == eve.email


def test_the_restart_with_consent_happens_only_once(
    google: FakeGoogle, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = google.add_user("dana@gmail.example")
    issue_code = google.oauth.issue_code

    def without_refresh_token(user: Any, params: dict[str, str]) -> str:
        code = issue_code(user, params)
        google.oauth.codes[code].issue_refresh_token = False  # as Google does without access_type=offline
        return code

    monkeypatch.setattr(google.oauth, "issue_code", without_refresh_token)

    response = sign_in_with_google(client, google, account.email)

    assert response.status_code == 302 and response["Location"] == "/"
    assert [q.get("prompt") for q in authorize_queries(google)] == [["consent"], ["consent"]]
    assert GoogleCredential.objects.get(subject=account.sub).refresh_token == ""


def test_reconnecting_while_signed_in_names_the_account_and_asks_for_consent(
    google: FakeGoogle, client: Client
) -> None:
    account = google.add_user("dana@gmail.example")
    sign_in_with_google(client, google, account.email)
    user = get_user_model().objects.get(email=account.email)
    google.revoke(account.email)
    sync_in_foreground(user)

    response = sign_in_with_google(client, google, account.email)  # the "Reconnect Google" button

    assert response.status_code == 302
    query = authorize_queries(google)[-1]
    assert query["prompt"] == ["consent"] and query["login_hint"] == [account.sub]
    assert Mailbox.objects.get(user=user).state == Mailbox.State.ACTIVE


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", "/auth/login/google-oauth2/"), ("get", "/auth/complete/google-oauth2/?code=x&state=y")],
)
def test_google_sign_in_is_not_found_where_google_is_not_configured(
    client: Client, settings: Settings, method: str, url: str
) -> None:
    settings.GOOGLE_ENABLED = False

    response = getattr(client, method)(url)

    assert response.status_code == 404
