"""ProfileMiddleware: a signed-in user's pages get their profile and time zone; the API and anonymous
visitors do not, and the zone never outlives the request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.middleware import ProfileMiddleware
from conftest import client_for
from emailsync.models import Mailbox, MessageReceipt
from tasks_app.models import Task

DUE = dt.datetime(2026, 12, 4, 22, 0, tzinfo=dt.UTC)  # 17:00 in New York


@pytest.fixture
def alice_task(alice: User, mailbox_factory: Callable[[User], tuple[Mailbox, object]]) -> Task:
    mailbox, _ = mailbox_factory(alice)
    receipt = MessageReceipt.objects.create(
        mailbox=mailbox, message_id="a.eml", subject="Q3", sender="b@x.org"
    )
    return Task.objects.create(
        user=alice,
        source=receipt,
        position=0,
        title="Send the Q3 report",
        kind=Task.Kind.DEADLINE,
        due_at=DUE,
    )


def test_a_page_shows_times_in_the_users_zone(alice: User, alice_task: Task) -> None:
    response = client_for(alice).get(f"/tasks/{alice_task.pk}/")

    assert response.status_code == 200
    assert response.context["profile"].timezone == "America/New_York"
    assert "17:00" in response.content.decode()


def test_the_zone_is_dropped_when_the_page_is_done(alice: User) -> None:
    client_for(alice).get("/")

    # The same thread serves the next visitor, who may be someone else.
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_api_answers_in_utc_even_for_a_browser_session(alice: User, alice_task: Task) -> None:
    client: Client = client_for(alice)

    response = client.get(f"/api/tasks/{alice_task.pk}/")

    assert response.status_code == 200
    assert response.json()["due"] == "2026-12-04T22:00:00Z"


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_no_profile_and_no_zone(rf: RequestFactory) -> None:
    seen: dict[str, object] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["profile"] = getattr(request, "profile", None)
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse("ok")

    def handler(request: HttpRequest) -> HttpResponse:
        middleware.process_view(request, view, (), {})
        return view(request)

    middleware = ProfileMiddleware(handler)
    request = rf.get("/")
    request.user = AnonymousUser()

    assert middleware(request).status_code == 200
    assert seen == {"profile": None, "zone": "UTC"}
