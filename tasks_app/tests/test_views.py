"""The dashboard, task actions, the edit page and the calendar feed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from accounts.services import profile_for
from conftest import client_for, sync_in_foreground
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from tasks_app.models import LocalCalendarEvent, Task

WIKI = "Please update the wiki page when you get a chance."
BUDGET = "Can we meet on Tuesday at 2pm for 45 minutes to discuss the budget?"


def event_of(task: Task) -> LocalCalendarEvent | None:
    task.refresh_from_db()
    if not task.event_id:
        return None
    return LocalCalendarEvent.objects.filter(user=task.user, event_id=task.event_id).first()


@pytest.fixture
def alice_client(alice: User) -> Client:
    return client_for(alice)


@pytest.fixture
def wiki_task(alice: User, alice_client: Client, mailbox_factory: Callable) -> Task:
    """A to-do synced from Alice's mail and placed on her calendar."""
    _, folder = mailbox_factory(alice)
    folder.add(subject="Wiki", body=WIKI)
    sync_in_foreground(alice)
    task = Task.objects.get(user=alice)
    assert event_of(task) is not None
    return task


def hand_made_task(mailbox: Mailbox, *, title: str, due: dt.datetime | None, position: int = 0) -> Task:
    receipt, _ = MessageReceipt.objects.get_or_create(
        mailbox=mailbox,
        message_id=f"{title}.eml",
        defaults={"subject": f"About {title}", "sender": "bob@example.com"},
    )
    return Task.objects.create(
        user=mailbox.user, source=receipt, position=position, title=title, due_at=due, kind=Task.Kind.DEADLINE
    )


# The dashboard


@pytest.mark.django_db
def test_the_dashboard_requires_login(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_dashboard_groups_open_tasks_by_due_time(
    alice: User, alice_client: Client, mailbox_factory: Callable
) -> None:
    mailbox, _ = mailbox_factory(alice)
    now = timezone.now()
    zone = profile_for(alice).zone
    end_of_today = timezone.localtime(now, zone).replace(hour=23, minute=59, second=0, microsecond=0)
    hand_made_task(mailbox, title="Send the overdue invoice", due=now - dt.timedelta(days=2))
    hand_made_task(mailbox, title="Finish the upcoming deck", due=now + dt.timedelta(days=3))
    hand_made_task(mailbox, title="Read the undated memo", due=None)
    if end_of_today > now + dt.timedelta(minutes=1):
        hand_made_task(mailbox, title="Call back before midnight", due=end_of_today)
    closed = hand_made_task(mailbox, title="Already done thing", due=now + dt.timedelta(days=1))
    Task.objects.filter(pk=closed.pk).update(status=Task.Status.DONE)

    response = alice_client.get("/")

    assert response.status_code == 200
    groups = response.context["groups"]
    assert [t.title for t in groups.overdue] == ["Send the overdue invoice"]
    assert [t.title for t in groups.upcoming] == ["Finish the upcoming deck"]
    assert [t.title for t in groups.undated] == ["Read the undated memo"]
    if end_of_today > now + dt.timedelta(minutes=1):
        assert [t.title for t in groups.today] == ["Call back before midnight"]
    html = response.content.decode()
    assert "Send the overdue invoice" in html
    assert "Read the undated memo" in html
    assert "Already done thing" not in html


@pytest.mark.django_db
def test_the_dashboard_shows_the_feed_url_and_the_sync_button(
    alice: User, alice_client: Client, mailbox_factory: Callable
) -> None:
    mailbox_factory(alice)

    response = alice_client.get("/")

    html = response.content.decode()
    assert f"http://testserver/calendar/{profile_for(alice).feed_token}.ics" in html
    assert 'action="/sync/sync/"' in html


@pytest.mark.django_db
def test_the_dashboard_without_a_mailbox_points_to_the_settings(alice: User, alice_client: Client) -> None:
    response = alice_client.get("/")

    html = response.content.decode()
    assert 'action="/sync/sync/"' not in html
    assert 'href="/accounts/settings/"' in html


@pytest.mark.django_db
def test_the_dashboard_shows_only_the_users_tasks(wiki_task: Task, charlie: User) -> None:
    response = client_for(charlie).get("/")

    assert response.context["groups"].total == 0
    assert wiki_task.title not in response.content.decode()


@pytest.mark.django_db
def test_the_dashboard_shows_the_last_sync_summary(wiki_task: Task, alice_client: Client) -> None:
    response = alice_client.get("/")

    assert response.context["run_data"]["state"] == SyncRun.State.SUCCEEDED
    assert (
        "Read 1 new message, found 1 new task, placed 1 event on your calendar." in response.content.decode()
    )


# Task actions


@pytest.mark.django_db
def test_done_takes_the_task_off_the_calendar(wiki_task: Task, alice_client: Client) -> None:
    response = alice_client.post(f"/tasks/{wiki_task.pk}/done/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    wiki_task.refresh_from_db()
    assert wiki_task.status == Task.Status.DONE
    assert not LocalCalendarEvent.objects.filter(user=wiki_task.user).exists()


@pytest.mark.django_db
def test_dismiss_takes_the_task_off_the_calendar(wiki_task: Task, alice_client: Client) -> None:
    alice_client.post(f"/tasks/{wiki_task.pk}/dismiss/")

    wiki_task.refresh_from_db()
    assert wiki_task.status == Task.Status.DISMISSED
    assert not wiki_task.event_written
    assert not LocalCalendarEvent.objects.filter(user=wiki_task.user).exists()
    assert alice_client.get("/").context["groups"].total == 0


@pytest.mark.django_db
def test_reopen_puts_a_dismissed_task_back_on_the_calendar(wiki_task: Task, alice_client: Client) -> None:
    alice_client.post(f"/tasks/{wiki_task.pk}/dismiss/")

    alice_client.post(f"/tasks/{wiki_task.pk}/reopen/")

    wiki_task.refresh_from_db()
    assert wiki_task.status == Task.Status.SCHEDULED
    assert event_of(wiki_task) is not None


@pytest.mark.django_db
def test_approve_puts_a_proposed_task_on_the_calendar(
    user_factory: Callable, mailbox_factory: Callable
) -> None:
    careful = user_factory("careful", approval_required=True)
    client = client_for(careful)
    _, folder = mailbox_factory(careful)
    folder.add(subject="Wiki", body=WIKI)
    sync_in_foreground(careful)
    task = Task.objects.get(user=careful)
    assert task.status == Task.Status.PROPOSED
    assert not LocalCalendarEvent.objects.filter(user=careful).exists()
    dashboard = client.get("/")
    assert dashboard.context["groups"].proposed_count == 1
    assert f'action="/tasks/{task.pk}/approve/"' in dashboard.content.decode()

    response = client.post(f"/tasks/{task.pk}/approve/", follow=True)

    task.refresh_from_db()
    assert task.status == Task.Status.SCHEDULED
    event = event_of(task)
    assert event is not None
    assert event.summary == task.title
    assert any("Approved" in str(m) for m in response.context["messages"])


@pytest.mark.django_db
def test_actions_require_post(wiki_task: Task, alice_client: Client) -> None:
    assert alice_client.get(f"/tasks/{wiki_task.pk}/dismiss/").status_code == 405
    wiki_task.refresh_from_db()
    assert wiki_task.status == Task.Status.SCHEDULED


@pytest.mark.django_db
def test_an_unknown_action_is_404(wiki_task: Task, alice_client: Client) -> None:
    assert alice_client.post(f"/tasks/{wiki_task.pk}/explode/").status_code == 404
    wiki_task.refresh_from_db()
    assert wiki_task.status == Task.Status.SCHEDULED


@pytest.mark.django_db
def test_actions_on_another_users_task_are_404(wiki_task: Task, charlie: User) -> None:
    client = client_for(charlie)

    assert client.post(f"/tasks/{wiki_task.pk}/dismiss/").status_code == 404
    assert client.get(f"/tasks/{wiki_task.pk}/edit/").status_code == 404
    assert client.post(f"/tasks/{wiki_task.pk}/edit/", {"title": "Mine now"}).status_code == 404
    wiki_task.refresh_from_db()
    assert wiki_task.status == Task.Status.SCHEDULED
    assert wiki_task.title != "Mine now"
    assert event_of(wiki_task) is not None


# The edit page


@pytest.mark.django_db
def test_the_edit_page_shows_the_task(wiki_task: Task, alice_client: Client) -> None:
    response = alice_client.get(f"/tasks/{wiki_task.pk}/edit/")

    assert response.status_code == 200
    assert response.context["form"].initial["title"] == wiki_task.title
    assert WIKI in response.content.decode()


@pytest.mark.django_db
def test_editing_title_and_duration_moves_the_calendar_along(wiki_task: Task, alice_client: Client) -> None:
    response = alice_client.post(
        f"/tasks/{wiki_task.pk}/edit/",
        {"title": "Document the VPN steps", "due_at": "", "duration_minutes": "75"},
    )

    assert response.status_code == 302
    wiki_task.refresh_from_db()
    assert wiki_task.title == "Document the VPN steps"
    assert wiki_task.duration_minutes == 75
    assert wiki_task.edited_by_user
    event = event_of(wiki_task)
    assert event is not None
    assert event.summary == "Document the VPN steps"
    assert event.end - event.start == dt.timedelta(minutes=75)


@pytest.mark.django_db
def test_editing_a_meeting_time_is_read_in_the_users_zone(
    alice: User, alice_client: Client, mailbox_factory: Callable
) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(subject="Budget", body=BUDGET)
    sync_in_foreground(alice)
    meeting = Task.objects.get(user=alice, kind=Task.Kind.MEETING)

    alice_client.post(
        f"/tasks/{meeting.pk}/edit/",
        {"title": meeting.title, "due_at": "2026-12-08T15:00", "duration_minutes": "45"},
    )

    event = event_of(meeting)
    assert event is not None
    # Alice lives in New York: 15:00 there is 20:00 UTC in December.
    assert event.start == dt.datetime(2026, 12, 8, 20, 0, tzinfo=dt.UTC)
    assert event.end == dt.datetime(2026, 12, 8, 20, 45, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_an_invalid_edit_shows_errors_and_changes_nothing(wiki_task: Task, alice_client: Client) -> None:
    before = Task.objects.filter(pk=wiki_task.pk).values().get()

    response = alice_client.post(f"/tasks/{wiki_task.pk}/edit/", {"title": "", "duration_minutes": "2"})

    assert response.status_code == 200
    assert {"title", "duration_minutes"} <= set(response.context["form"].errors)
    assert Task.objects.filter(pk=wiki_task.pk).values().get() == before


@pytest.mark.django_db
def test_edit_errors_are_shown_under_their_field_as_alerts(wiki_task: Task, alice_client: Client) -> None:
    response = alice_client.post(f"/tasks/{wiki_task.pk}/edit/", {"title": "", "duration_minutes": "2"})

    page = response.content.decode()
    # Styled as the settings page's errors, right under the field they are about, and announced.
    assert re.search(
        r'name="title"[^>]*aria-invalid="true"[^>]*>\s*<p class="error" role="alert">This field is required\.</p>',
        page,
    )
    assert re.search(
        r'name="duration_minutes"[^>]*>\s*<p class="error" role="alert">Ensure this value is greater than or equal to 5\.</p>',
        page,
    )
    assert 'class="errorlist' not in page


# The calendar feed


@pytest.mark.django_db
def test_the_feed_lists_one_event_per_calendar_entry_of_that_user_only(
    alice: User, charlie: User, alice_client: Client, mailbox_factory: Callable
) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(subject="Wiki", body=WIKI)
    folder.add(subject="Budget", body=BUDGET)
    sync_in_foreground(alice)
    _, charlies_folder = mailbox_factory(charlie)
    charlies_folder.add(
        subject="Charlie's secret", body="Please water the office plants when you get a chance."
    )
    sync_in_foreground(charlie)
    assert LocalCalendarEvent.objects.filter(user=charlie).count() == 1

    response = Client().get(f"/calendar/{profile_for(alice).feed_token}.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = [component for component in calendar.walk() if component.name == "VEVENT"]
    rows = LocalCalendarEvent.objects.filter(user=alice)
    assert len(events) == rows.count() == 2
    assert {str(e["SUMMARY"]) for e in events} == {row.summary for row in rows}
    by_summary = {str(e["SUMMARY"]): e for e in events}
    for row in rows:
        event = by_summary[row.summary]
        assert event.decoded("DTSTART") == row.start
        assert event.decoded("DTEND") == row.end
        assert str(event["UID"]).startswith(row.event_id)
    assert b"office plants" not in response.content


@pytest.mark.django_db
def test_the_feed_drops_events_of_dismissed_tasks(wiki_task: Task, alice: User, alice_client: Client) -> None:
    feed_url = f"/calendar/{profile_for(alice).feed_token}.ics"
    alice_client.post(f"/tasks/{wiki_task.pk}/dismiss/")

    calendar = Calendar.from_ical(Client().get(feed_url).content)

    assert [c for c in calendar.walk() if c.name == "VEVENT"] == []


@pytest.mark.django_db
def test_an_unknown_feed_token_is_404(client: Client, alice: User) -> None:
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404


@pytest.mark.django_db
def test_the_feed_of_a_deactivated_user_is_404(client: Client, alice: User) -> None:
    token = profile_for(alice).feed_token
    alice.is_active = False
    alice.save()

    assert client.get(f"/calendar/{token}.ics").status_code == 404
