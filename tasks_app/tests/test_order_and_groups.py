"""How tasks are listed and grouped: one order on SQLite and PostgreSQL alike, and ended meetings kept out of
"Overdue". The suite runs on both databases in CI (DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from conftest import client_for
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from tasks_app.models import Task
from tasks_app.selectors import dashboard_groups, review_queue, tasks_for_user, week_start_for, week_view

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
_messages = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_sync_at_login(settings: Settings) -> None:
    # Signing the test client in would otherwise start a sync of its own and change what the page says.
    settings.SYNC_ON_LOGIN = False


def task(user: User, title: str, **fields: Any) -> Task:
    """A task from its own email, as a sync leaves it."""
    mailbox, _ = Mailbox.objects.get_or_create(user=user)
    receipt = MessageReceipt.objects.create(
        mailbox=mailbox, message_id=f"{next(_messages):04d}.eml", subject=title, sender="bob@example.com"
    )
    return Task.objects.create(user=user, source=receipt, position=0, title=title, **fields)


def titles(tasks: Any) -> list[str]:
    return [t.title for t in tasks]


@pytest.fixture
def mixed(alice: User) -> list[str]:
    """Tasks made in an order unlike the expected one, so that the id alone cannot give it."""
    now = timezone.now()
    task(alice, "Undated, high", priority=Task.Priority.HIGH)
    task(alice, "Tomorrow, low", due_at=now + dt.timedelta(days=1), priority=Task.Priority.LOW)
    task(alice, "Undated, low", priority=Task.Priority.LOW)
    task(alice, "Tomorrow, high", due_at=now + dt.timedelta(days=1), priority=Task.Priority.HIGH)
    task(alice, "Overdue, high", due_at=now - dt.timedelta(days=2), priority=Task.Priority.HIGH)
    task(alice, "Tomorrow, normal", due_at=now + dt.timedelta(days=1))
    return [
        "Overdue, high",
        "Tomorrow, high",
        "Tomorrow, normal",
        "Tomorrow, low",
        "Undated, high",
        "Undated, low",
    ]


def test_tasks_are_listed_by_due_time_with_undated_last_then_by_priority(
    alice: User, mixed: list[str]
) -> None:
    assert titles(tasks_for_user(user=alice)) == mixed
    # The model's default order is the same, for the admin and any query that names none.
    assert titles(Task.objects.filter(user=alice)) == mixed


def test_the_api_lists_tasks_in_the_order_they_were_made(alice: User, mixed: list[str]) -> None:
    # Not the dashboard's order: the API pages with a cursor, which needs a unique order that editing a
    # task does not change (README, API).
    response = client_for(alice).get(reverse("api:task-list"))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [t["id"] for t in rows] == sorted(Task.objects.filter(user=alice).values_list("id", flat=True))
    assert sorted(t["title"] for t in rows) == sorted(mixed)


def test_the_review_queue_puts_undated_tasks_after_dated_ones(alice: User) -> None:
    now = timezone.now()
    task(alice, "Undated", status=Task.Status.PROPOSED, priority=Task.Priority.HIGH)
    task(alice, "Next week", status=Task.Status.PROPOSED, due_at=now + dt.timedelta(days=7))
    task(
        alice,
        "Tomorrow, high",
        status=Task.Status.PROPOSED,
        due_at=now + dt.timedelta(days=1),
        priority="high",
    )
    task(
        alice, "Tomorrow, low", status=Task.Status.PROPOSED, due_at=now + dt.timedelta(days=1), priority="low"
    )
    assert titles(review_queue(user=alice)) == ["Tomorrow, high", "Tomorrow, low", "Next week", "Undated"]


def test_the_undated_group_and_the_week_side_list_put_high_priority_first(alice: User) -> None:
    task(alice, "Low", priority=Task.Priority.LOW)
    task(alice, "Normal")
    task(alice, "High", priority=Task.Priority.HIGH)
    groups = dashboard_groups(user=alice, zone=NY)
    assert titles(groups.undated) == ["High", "Normal", "Low"]
    today = timezone.localdate(timezone.now(), NY)
    week = week_view(
        user=alice,
        zone=NY,
        week_start=week_start_for(today),
        work_start=dt.time(9),
        work_end=dt.time(17),
        work_days=[1, 2, 3, 4, 5],
    )
    assert titles(week.undated) == ["High", "Normal", "Low"]


def test_an_ended_meeting_is_past_not_overdue(alice: User) -> None:
    now = dt.datetime(2026, 12, 1, 15, 0, tzinfo=NY)
    task(
        alice,
        "Checkout redesign review",
        kind=Task.Kind.MEETING,
        due_at=now - dt.timedelta(hours=3),
        event_start=now - dt.timedelta(hours=3),
        event_end=now - dt.timedelta(hours=2),
    )
    task(alice, "Standup yesterday", kind=Task.Kind.MEETING, due_at=now - dt.timedelta(days=1))
    task(alice, "Submit the expense report", kind=Task.Kind.DEADLINE, due_at=now - dt.timedelta(hours=1))
    task(alice, "Send the slides", kind=Task.Kind.TODO, due_at=now - dt.timedelta(days=1))

    groups = dashboard_groups(user=alice, zone=NY, now=now)

    assert titles(groups.past) == ["Checkout redesign review", "Standup yesterday"]  # latest first
    assert titles(groups.overdue) == ["Send the slides", "Submit the expense report"]


def test_a_meeting_under_way_is_today_until_it_ends(alice: User) -> None:
    start = dt.datetime(2026, 12, 1, 14, 0, tzinfo=NY)
    task(alice, "Design review", kind=Task.Kind.MEETING, due_at=start, duration_minutes=60)
    during = dashboard_groups(user=alice, zone=NY, now=start + dt.timedelta(minutes=30))
    after = dashboard_groups(user=alice, zone=NY, now=start + dt.timedelta(minutes=60))
    assert titles(during.today) == ["Design review"] and not during.overdue and not during.past
    assert titles(after.past) == ["Design review"] and not after.overdue


def test_the_dashboard_shows_ended_meetings_under_past_without_a_done_button(alice: User) -> None:
    ended = task(
        alice,
        "Checkout redesign review",
        kind=Task.Kind.MEETING,
        due_at=timezone.now() - dt.timedelta(hours=3),
    )
    late = task(
        alice, "Submit the expense report", kind="deadline", due_at=timezone.now() - dt.timedelta(hours=3)
    )

    page = client_for(alice).get(reverse("tasks:dashboard")).content.decode()

    past = page[page.index('id="h-past"') :]
    overdue = page[page.index('id="h-overdue"') : page.index('id="h-today"')]
    assert "Checkout redesign review" in past and "Checkout redesign review" not in overdue
    assert "Submit the expense report" in overdue
    assert reverse("tasks:action", args=[ended.pk, "done"]) not in page
    assert reverse("tasks:action", args=[late.pk, "done"]) in page


def test_during_the_first_sync_the_dashboard_says_it_is_reading_the_mail(alice: User) -> None:
    Mailbox.objects.create(user=alice)
    SyncRun.objects.create(user=alice, trigger=SyncRun.Trigger.LOGIN, state=SyncRun.State.QUEUED)

    page = client_for(alice).get(reverse("tasks:dashboard")).content.decode()

    assert "Reading your mail for the first time" in page
    assert "done or dismissed" not in page


def test_during_a_later_sync_with_every_task_closed_it_says_it_is_reading_new_mail(alice: User) -> None:
    task(alice, "Old request", status=Task.Status.DONE)
    SyncRun.objects.create(user=alice, trigger=SyncRun.Trigger.BUTTON, state=SyncRun.State.RUNNING)

    page = client_for(alice).get(reverse("tasks:dashboard")).content.decode()

    assert "Reading your new mail" in page and "for the first time" not in page
    assert "done or dismissed" not in page


def test_after_a_sync_that_found_nothing_it_does_not_claim_everything_is_done(alice: User) -> None:
    SyncRun.objects.create(
        user=alice, trigger=SyncRun.Trigger.BUTTON, state=SyncRun.State.SUCCEEDED, finished_at=timezone.now()
    )
    page = client_for(alice).get(reverse("tasks:dashboard")).content.decode()
    assert "No requests were found in your mail so far" in page
    assert "done or dismissed" not in page

    task(alice, "Old request", status=Task.Status.DISMISSED)
    page = client_for(alice).get(reverse("tasks:dashboard")).content.decode()
    assert "Everything from your mail is done or dismissed" in page
