"""The sync card's end sentence and next step, settings details, and the error pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.utils import timezone
from django.views.defaults import server_error
from pytest_django import Settings

from accounts.models import Profile
from conftest import client_for
from emailsync.models import Mailbox, SyncRun
from emailsync.serializers import SyncRunSerializer

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def failed_run(user: User, error: str = "invalid_grant: Token has been revoked.") -> SyncRun:
    return SyncRun.objects.create(
        user=user,
        trigger=SyncRun.Trigger.BUTTON,
        state=SyncRun.State.FAILED,
        phase=SyncRun.Phase.DONE,
        error=error,
        finished_at=timezone.now(),
    )


def test_a_failed_run_asks_to_reconnect_google_when_the_grant_is_lost(
    alice: User, mailbox_factory: Callable
) -> None:
    mailbox, _ = mailbox_factory(alice)
    Mailbox.objects.filter(pk=mailbox.pk).update(state=Mailbox.State.NEEDS_RECONNECT)

    data = SyncRunSerializer(failed_run(alice)).data

    assert data["next_step"] == {
        "action": "reconnect",
        "text": "Reconnect Google so we can read your mail again.",
    }
    # The keys the API always had are still there.
    assert {"task_id", "state", "phase", "phase_label", "finished", "counters", "summary", "error"} <= set(
        data
    )


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (Mailbox.State.ACTIVE, "retry"),
        (Mailbox.State.BACKING_OFF, "wait"),
        (Mailbox.State.DISABLED, "settings"),
    ],
)
def test_a_failed_run_says_what_to_do_next(
    alice: User, mailbox_factory: Callable, state: str, action: str
) -> None:
    mailbox, _ = mailbox_factory(alice)
    Mailbox.objects.filter(pk=mailbox.pk).update(state=state)

    next_step = SyncRunSerializer(failed_run(alice, "Timed out")).data["next_step"]
    assert isinstance(next_step, dict)
    assert next_step["action"] == action


def test_a_run_in_progress_or_clean_has_no_next_step(alice: User, mailbox_factory: Callable) -> None:
    mailbox_factory(alice)
    running = SyncRun.objects.create(user=alice, trigger=SyncRun.Trigger.BUTTON, state=SyncRun.State.RUNNING)

    assert SyncRunSerializer(running).data["next_step"] is None


def test_the_dashboard_offers_reconnect_google_when_the_site_can(
    alice: User, mailbox_factory: Callable, settings: Settings
) -> None:
    settings.GOOGLE_ENABLED = True
    mailbox, _ = mailbox_factory(alice)
    Mailbox.objects.filter(pk=mailbox.pk).update(state=Mailbox.State.NEEDS_RECONNECT)
    failed_run(alice)

    html = client_for(alice).get("/").content.decode()

    assert "Reconnect Google" in html
    assert 'action="/auth/login/google-oauth2/"' in html
    assert "Reconnect Google so we can read your mail again." in html


def test_without_google_the_dashboard_points_to_the_settings_instead(
    alice: User, mailbox_factory: Callable, settings: Settings
) -> None:
    settings.GOOGLE_ENABLED = False
    mailbox, _ = mailbox_factory(alice)
    Mailbox.objects.filter(pk=mailbox.pk).update(state=Mailbox.State.NEEDS_RECONNECT)
    failed_run(alice)

    response = client_for(alice).get("/")

    assert response.context["reconnect_url"] is None
    html = response.content.decode()
    assert 'id="reconnect-form" class="inline" hidden' in html
    assert 'id="next-settings" >Open settings' in html


def test_the_sync_button_says_to_reconnect_when_the_mailbox_needs_it(
    alice: User, mailbox_factory: Callable
) -> None:
    mailbox, _ = mailbox_factory(alice)
    Mailbox.objects.filter(pk=mailbox.pk).update(state=Mailbox.State.NEEDS_RECONNECT)

    response = client_for(alice).post("/sync/sync/", HTTP_ACCEPT="application/json")

    assert response.status_code == 409
    assert response.json()["next_step"]["action"] == "reconnect"


def test_a_first_visit_explains_what_sync_will_do(
    alice: User, mailbox_factory: Callable, settings: Settings
) -> None:
    settings.SYNC_ON_LOGIN = False
    mailbox_factory(alice)

    html = client_for(alice).get("/").content.decode()

    assert "What happens when you press “Sync emails”" in html
    assert "We read your new mail" in html


def test_the_time_zone_is_matched_without_regard_to_case_or_spaces(alice: User) -> None:
    response = client_for(alice).post(
        "/accounts/settings/",
        {"timezone": "america/los angeles", "work_start": "09:00", "work_end": "17:00", "work_days": ["1"]},
    )

    assert response.status_code == 302
    assert Profile.objects.get(user=alice).timezone == "America/Los_Angeles"


def test_the_settings_page_offers_every_zone_to_search(alice: User) -> None:
    html = client_for(alice).get("/accounts/settings/").content.decode()

    assert 'list="timezone-list"' in html
    assert '<option value="Asia/Kolkata" label="Kolkata — India (Asia/Kolkata)">' in html
    assert '<option value="Europe/Berlin" label="Berlin — Germany (Europe/Berlin)">' in html


def test_unknown_pages_get_the_sites_404(alice: User, settings: Settings) -> None:
    settings.DEBUG = False

    response = client_for(alice).get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "/static/css/app.css" in html
    assert 'href="/week/"' in html


def test_the_500_page_renders_without_a_request_context(settings: Settings) -> None:
    settings.DEBUG = False

    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "/static/css/app.css" in html


def test_the_history_shows_model_tokens_when_a_run_used_them(alice: User) -> None:
    run = failed_run(alice, "x")
    SyncRun.objects.filter(pk=run.pk).update(input_tokens=1200, output_tokens=300, cache_read_tokens=800)

    html = client_for(alice).get("/sync/history/").content.decode()

    assert "1200 in · 300 out · 800 cached" in html


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_token_gets_a_page_in_the_site_style(
    user_factory: Callable[..., User],
) -> None:
    user = user_factory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/accounts/settings/tokens/", {"name": "script"})

    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert b"Nothing was changed" in response.content
    assert not user.api_tokens.exists()
