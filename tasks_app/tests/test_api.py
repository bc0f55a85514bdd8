"""The tasks API: listing a user's tasks and changing them, with the calendar following."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from accounts.services import profile_for
from conftest import client_for, sync_in_foreground
from emailsync.models import MessageReceipt, SyncRun
from tasks_app.models import LocalCalendarEvent, Task

LIST_URL = "/api/tasks/"

AuthClient = Callable[[User], APIClient]


def detail_url(task: Task) -> str:
    return f"/api/tasks/{task.pk}/"


@pytest.fixture
def alice_client(alice: User, auth_client: AuthClient) -> APIClient:
    return auth_client(alice)


@pytest.fixture
def alice_tasks(alice: User, alice_client: APIClient, mailbox_factory: Callable) -> dict[str, Task]:
    """Alice's mail synced into real tasks: a deadline, a meeting and a to-do, all on her calendar."""
    _, folder = mailbox_factory(alice)
    folder.add(subject="Q3 report", body="Could you send me the Q3 report by Friday EOD?")
    folder.add(
        subject="Budget sync",
        sender="Carol <carol@example.com>",
        body="Can we meet on Tuesday at 2pm for 45 minutes to discuss the budget?",
    )
    folder.add(subject="Wiki", body="Please update the wiki page when you get a chance.")
    run = sync_in_foreground(alice)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    tasks = {task.kind: task for task in Task.objects.filter(user=alice)}
    assert set(tasks) == {"deadline", "meeting", "todo"}
    assert all(task.event_written for task in tasks.values())
    return tasks


def event_of(task: Task) -> LocalCalendarEvent | None:
    task.refresh_from_db()
    return LocalCalendarEvent.objects.filter(user=task.user, event_id=task.event_id).first()


@pytest.mark.django_db
def test_it_lists_the_users_tasks_with_their_email_and_event(
    alice_client: APIClient, alice_tasks: dict[str, Task]
) -> None:
    response = alice_client.get(LIST_URL)

    assert response.status_code == 200
    rows = {row["kind"]: row for row in response.json()["results"]}
    assert set(rows) == {"deadline", "meeting", "todo"}
    meeting = rows["meeting"]
    task = alice_tasks["meeting"]
    assert meeting["id"] == task.pk
    assert meeting["title"] == task.title
    assert meeting["duration_minutes"] == 45
    assert meeting["priority"] == task.priority
    assert meeting["status"] == Task.Status.SCHEDULED
    assert meeting["evidence"] == "Can we meet on Tuesday at 2pm for 45 minutes to discuss the budget?"
    assert dt.datetime.fromisoformat(meeting["due"]) == task.due_at
    assert dt.datetime.fromisoformat(meeting["event"]["start"]) == task.event_start
    assert dt.datetime.fromisoformat(meeting["event"]["end"]) == task.due_at + dt.timedelta(minutes=45)
    assert meeting["source_email"]["subject"] == "Budget sync"
    assert meeting["source_email"]["sender"] == "carol@example.com"
    assert meeting["source_email"]["message_id"] == task.source.header_message_id
    assert meeting["source_email"]["message_id"].endswith("@example.com")
    assert rows["todo"]["due"] is None


@pytest.mark.django_db
def test_it_lists_only_the_callers_tasks(
    charlie: User, auth_client: AuthClient, alice_tasks: dict[str, Task]
) -> None:
    response = auth_client(charlie).get(LIST_URL)

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}


@pytest.mark.django_db
def test_it_hides_closed_tasks_unless_asked_for_all(
    alice_client: APIClient, alice_tasks: dict[str, Task]
) -> None:
    Task.objects.filter(pk=alice_tasks["todo"].pk).update(status=Task.Status.DONE)

    open_ids = {row["id"] for row in alice_client.get(LIST_URL).json()["results"]}
    all_ids = {row["id"] for row in alice_client.get(LIST_URL, {"all": "1"}).json()["results"]}

    assert alice_tasks["todo"].pk not in open_ids
    assert alice_tasks["todo"].pk in all_ids


@pytest.mark.django_db
def test_a_task_made_by_hand_lists_without_an_event(
    alice: User, alice_client: APIClient, mailbox_factory: Callable
) -> None:
    mailbox, _ = mailbox_factory(alice)
    receipt = MessageReceipt.objects.create(
        mailbox=mailbox,
        message_id="a.eml",
        subject="Hello",
        sender="bob@example.com",
        header_message_id="<m@x>",
    )
    Task.objects.create(user=alice, source=receipt, position=0, title="Reply to Bob", kind=Task.Kind.TODO)

    [row] = alice_client.get(LIST_URL).json()["results"]

    assert row["title"] == "Reply to Bob"
    assert row["event"] is None
    assert row["source_email"] == {
        "subject": "Hello",
        "sender": "bob@example.com",
        "message_id": "<m@x>",
        "sent_at": None,
    }


@pytest.mark.django_db
def test_the_list_refuses_anonymous_callers(alice_tasks: dict[str, Task]) -> None:
    assert APIClient().get(LIST_URL).status_code in (401, 403)


@pytest.mark.django_db
def test_dismissing_a_task_removes_its_calendar_event(
    alice_client: APIClient, alice_tasks: dict[str, Task]
) -> None:
    task = alice_tasks["todo"]
    assert event_of(task) is not None

    response = alice_client.patch(detail_url(task), {"status": "dismissed"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    assert response.json()["event"] is None
    assert event_of(task) is None
    assert LocalCalendarEvent.objects.filter(user=task.user).count() == 2


@pytest.mark.django_db
def test_changing_the_duration_changes_the_event_end(
    alice_client: APIClient, alice_tasks: dict[str, Task]
) -> None:
    task = alice_tasks["todo"]

    response = alice_client.patch(detail_url(task), {"duration_minutes": 90}, format="json")

    assert response.status_code == 200
    assert response.json()["duration_minutes"] == 90
    event = event_of(task)
    assert event is not None
    assert event.end - event.start == dt.timedelta(minutes=90)
    assert dt.datetime.fromisoformat(response.json()["event"]["end"]) == event.end


@pytest.mark.django_db
def test_changing_a_meetings_time_moves_its_event(
    alice_client: APIClient, alice_tasks: dict[str, Task]
) -> None:
    task = alice_tasks["meeting"]
    new_time = dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC)

    response = alice_client.patch(detail_url(task), {"due": new_time.isoformat()}, format="json")

    assert response.status_code == 200
    event = event_of(task)
    assert event is not None
    assert event.start == new_time
    assert event.end == new_time + dt.timedelta(minutes=45)


@pytest.fixture
def alice_in_new_york(alice: User) -> User:
    profile = profile_for(alice)
    profile.timezone = "America/New_York"
    profile.save()
    return alice


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "meant"),
    [
        # No offset: the user's wall clock, as on the web (15:00 in New York in December is 20:00 UTC).
        ("2026-12-08T15:00", dt.datetime(2026, 12, 8, 20, 0, tzinfo=dt.UTC)),
        ("2026-12-08T15:00:00", dt.datetime(2026, 12, 8, 20, 0, tzinfo=dt.UTC)),
        # In summer the same wall-clock time is an hour earlier in UTC.
        ("2027-07-08T15:00", dt.datetime(2027, 7, 8, 19, 0, tzinfo=dt.UTC)),
        # An offset or Z says which instant is meant, whatever the user's zone.
        ("2026-12-08T15:00:00Z", dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC)),
        ("2026-12-08T15:00:00+01:00", dt.datetime(2026, 12, 8, 14, 0, tzinfo=dt.UTC)),
    ],
)
def test_a_due_without_an_offset_is_read_in_the_users_zone(
    alice_in_new_york: User,
    alice_client: APIClient,
    alice_tasks: dict[str, Task],
    sent: str,
    meant: dt.datetime,
) -> None:
    task = alice_tasks["deadline"]

    response = alice_client.patch(detail_url(task), {"due": sent}, format="json")

    assert response.status_code == 200, response.json()
    task.refresh_from_db()
    assert task.due_at == meant


@pytest.mark.django_db
def test_a_due_that_does_not_exist_in_the_users_zone_is_refused(
    alice_in_new_york: User, alice_client: APIClient, alice_tasks: dict[str, Task]
) -> None:
    task = alice_tasks["deadline"]
    before = task.due_at

    # New York's clocks jump from 02:00 to 03:00 on 14 March 2027: there is no 02:30 that day.
    response = alice_client.patch(detail_url(task), {"due": "2027-03-14T02:30"}, format="json")

    assert response.status_code == 400
    assert "due" in response.json()
    task.refresh_from_db()
    assert task.due_at == before


@pytest.mark.django_db
def test_a_due_without_an_offset_past_the_calendars_end_is_refused(
    alice_in_new_york: User, alice_client: APIClient, alice_tasks: dict[str, Task]
) -> None:
    task = alice_tasks["deadline"]
    before = task.due_at

    # 23:00 on 31 Dec 9999 in New York is in year 10000 in UTC, where every time is stored.
    response = alice_client.patch(detail_url(task), {"due": "9999-12-31T23:00"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"due": ["Datetime value out of range."]}
    task.refresh_from_db()
    assert task.due_at == before


@pytest.mark.django_db
def test_the_api_and_the_web_accept_the_same_longest_title(
    alice: User, alice_client: APIClient, alice_tasks: dict[str, Task]
) -> None:
    task = alice_tasks["todo"]
    limit = Task._meta.get_field("title").max_length
    assert limit is not None
    longest, too_long = "x" * limit, "y" * (limit + 1)

    assert alice_client.patch(detail_url(task), {"title": too_long}, format="json").status_code == 400
    web = client_for(alice).post(f"/tasks/{task.pk}/edit/", {"title": too_long})
    assert web.status_code == 200 and web.context["form"].errors["title"]
    task.refresh_from_db()
    assert task.title != too_long

    assert alice_client.patch(detail_url(task), {"title": longest}, format="json").status_code == 200
    task.refresh_from_db()
    assert task.title == longest
    web = client_for(alice).post(f"/tasks/{task.pk}/edit/", {"title": longest[:-1] + "z"})
    assert web.status_code == 302
    task.refresh_from_db()
    assert task.title == longest[:-1] + "z"


@pytest.mark.django_db
def test_changing_the_title_renames_the_event(alice_client: APIClient, alice_tasks: dict[str, Task]) -> None:
    task = alice_tasks["deadline"]

    response = alice_client.patch(detail_url(task), {"title": "  Send Priya the Q3 numbers "}, format="json")

    assert response.status_code == 200
    assert response.json()["title"] == "Send Priya the Q3 numbers"
    event = event_of(task)
    assert event is not None
    assert event.summary == "Send Priya the Q3 numbers"


@pytest.mark.django_db
def test_marking_a_task_done_and_reopening_it_puts_it_back_on_the_calendar(
    alice_client: APIClient, alice_tasks: dict[str, Task]
) -> None:
    task = alice_tasks["todo"]

    alice_client.patch(detail_url(task), {"status": "done"}, format="json")
    assert event_of(task) is None
    alice_client.patch(detail_url(task), {"status": "scheduled"}, format="json")

    assert event_of(task) is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"status": "finished"},
        {"title": ""},
        {"duration_minutes": 2},
        {"duration_minutes": "long"},
        {"due": "next tuesday"},
        {},
    ],
)
def test_invalid_changes_are_refused_with_400_and_change_nothing(
    alice_client: APIClient, alice_tasks: dict[str, Task], payload: dict[str, object]
) -> None:
    task = alice_tasks["todo"]
    before = Task.objects.filter(pk=task.pk).values().get()
    event_before = event_of(task)
    assert event_before is not None

    response = alice_client.patch(detail_url(task), payload, format="json")

    assert response.status_code == 400
    assert Task.objects.filter(pk=task.pk).values().get() == before
    event_after = event_of(task)
    assert event_after is not None
    assert (event_after.start, event_after.end, event_after.sequence) == (
        event_before.start,
        event_before.end,
        event_before.sequence,
    )


@pytest.mark.django_db
def test_another_users_task_is_404_and_untouched(
    charlie: User, auth_client: AuthClient, alice_tasks: dict[str, Task]
) -> None:
    task = alice_tasks["todo"]
    client = auth_client(charlie)

    assert client.get(detail_url(task)).status_code == 404
    assert client.patch(detail_url(task), {"status": "dismissed"}, format="json").status_code == 404
    task.refresh_from_db()
    assert task.status == Task.Status.SCHEDULED
    assert event_of(task) is not None


@pytest.mark.django_db
def test_a_task_can_be_read_alone(alice_client: APIClient, alice_tasks: dict[str, Task]) -> None:
    task = alice_tasks["deadline"]

    response = alice_client.get(detail_url(task))

    assert response.status_code == 200
    assert response.json()["id"] == task.pk
    assert response.json()["kind"] == "deadline"
