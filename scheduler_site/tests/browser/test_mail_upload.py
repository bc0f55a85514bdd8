"""Bringing mail by upload on the settings page, in a real browser: the file picker, the message, the sync."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pytest_django import Settings

from conftest import make_email
from emailsync.models import Mailbox
from emailsync.sources.local import local_mail_area
from scheduler_site.tests.browser.conftest import sync_now
from tasks_app.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_a_user_uploads_eml_files_and_their_tasks_follow_a_sync(
    page: Any, live_server: Any, settings: Settings, tmp_path: Path, screenshot: Callable
) -> None:
    settings.LOCAL_MAIL_ROOT = tmp_path / "mail-root"
    settings.SYNC_ON_LOGIN = False
    user = get_user_model().objects.create_user("erin", "erin@example.com", PASSWORD)
    first, second = tmp_path / "wiki.eml", tmp_path / "deck.eml"
    first.write_bytes(make_email(subject="Wiki", body="Please update the wiki page when you get a chance."))
    second.write_bytes(make_email(subject="Deck", body="Could you review the launch deck by Friday?"))
    signed_in = Client()
    signed_in.force_login(user)
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )

    page.goto("/accounts/settings/#accounts")
    page.get_by_label("Upload mail").set_input_files([str(first), str(second)])
    page.get_by_role("button", name="Upload", exact=True).click()

    page.get_by_text("Added 2 new messages. Press “Sync emails” to read them.").wait_for()
    assert "Your uploaded mail" in page.locator("#mailbox-summary").inner_text()
    assert str(settings.LOCAL_MAIL_ROOT) not in page.content()
    page.locator("#mail-upload").scroll_into_view_if_needed()
    screenshot(page, "settings-upload")
    assert Mailbox.objects.get(user=user).location == str(local_mail_area(user.pk))
    sync_now(user)
    page.goto("/")
    page.get_by_text("Review the launch deck").first.wait_for()
    assert Task.objects.filter(user=user).count() == 2


def test_a_refused_upload_says_why_where_the_user_can_see_it(
    page: Any, live_server: Any, settings: Settings, tmp_path: Path
) -> None:
    # Imported here: without playwright installed the browser tests are skipped, not failed at collection.
    from playwright.sync_api import expect

    settings.LOCAL_MAIL_ROOT = tmp_path / "mail-root"
    user = get_user_model().objects.create_user("erin", "erin@example.com", PASSWORD)
    not_mail = tmp_path / "notes.eml"
    not_mail.write_text("Shopping list: milk, eggs.\n")
    signed_in = Client()
    signed_in.force_login(user)
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )

    page.goto("/accounts/settings/#accounts")
    page.get_by_label("Upload mail").set_input_files([str(not_mail)])
    page.get_by_role("button", name="Upload", exact=True).click()

    # The page comes back with the message; the visitor must not have to scroll to find out what happened.
    message = page.get_by_text("“notes.eml” is not an email. Nothing was stored.")
    message.wait_for()
    expect(message).to_be_in_viewport()
