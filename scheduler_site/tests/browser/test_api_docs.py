"""The API's docs page (Swagger UI) in a real browser: it shows every operation, and nothing it loads comes
from another site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pytest_django import Settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_lists_the_api_from_this_site_alone(
    page: Any, live_server: Any, settings: Settings, screenshot: Callable
) -> None:
    user = get_user_model().objects.create_user("erin", "erin@example.com", "correct horse battery staple")
    signed_in = Client()
    signed_in.force_login(user)
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))

    page.goto("/api/docs/")

    page.locator(".opblock").first.wait_for()
    text = page.locator("#swagger-ui").inner_text()
    for path in (
        "/api/email/sync",
        "/api/email/sync/status/{task_id}",
        "/api/tasks/",
        "/api/tasks/{task_id}/",
        "/api/export",
    ):
        assert path in text
    assert "Intelligent Scheduler API" in text
    screenshot(page, "api-docs")
    assert hosts - {"data:", ""} == {urlsplit(live_server.url).netloc}, hosts
