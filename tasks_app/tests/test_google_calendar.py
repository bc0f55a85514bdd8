"""Google Calendar as the user's calendar, with the real google-api-python-client against the fake Google."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings

from accounts.google.grant import google_grant_lost
from accounts.models import Profile
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
from tasks_app.calendars import calendar_for, event_id_for
from tasks_app.calendars.google import GoogleCalendar
from tasks_app.extractors import ExtractedTask
from tasks_app.intake import tasks_store_extracted
from tasks_app.models import Task
from tasks_app.services import calendar_sync, task_approve, task_move_to, task_stable_key
from tasks_app.threads import thread_open_tasks

pytestmark = pytest.mark.django_db

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


class WorkerDied(BaseException):
    """The worker process was killed: not even ``except Exception`` sees it."""


def test_a_google_user_gets_the_google_calendar(google: FakeGoogle, alice: User) -> None:
    assert not isinstance(calendar_for(alice), GoogleCalendar)
    connect(google, alice)
    assert isinstance(calendar_for(alice), GoogleCalendar)


def test_events_are_private_without_attendees_linked_to_the_task_and_in_the_calendars_zone(
    google: FakeGoogle, alice: User
) -> None:
    account = connect(google, alice, time_zone="Europe/Madrid")  # Alice's profile says New York
    account.add_message(mail("Contract", "Please review the contract with legal, it is urgent."))

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.events_scheduled == 1
    task = Task.objects.get(user=alice)
    [event] = account.calendar_events()
    assert event["id"] == task.event_id
    assert event["extendedProperties"] == {"private": {"taskId": str(task.pk)}}
    assert event["visibility"] == "private"
    assert "attendees" not in event
    assert event["start"]["timeZone"] == "Europe/Madrid"
    start = dt.datetime.fromisoformat(event["start"]["dateTime"])
    assert task.event_start is not None
    assert start.utcoffset() == task.event_start.astimezone(MADRID).utcoffset()
    assert start == task.event_start
    assert event["reminders"]["useDefault"] is False
    assert task.event_link == event["htmlLink"]
    assert task.event_written and not task.calendar_pending
    [insert] = google.requests_to("calendar.events.insert")
    assert insert.query["sendUpdates"] == ["none"]
    # Found again by the link to the task.
    linked = (
        GoogleCalendar(alice)
        .events.list(calendarId="primary", privateExtendedProperty=f"taskId={task.pk}")
        .execute()
    )
    assert [item["id"] for item in linked["items"]] == [task.event_id]


@pytest.mark.parametrize(("priority", "minutes"), [("high", [60, 10]), ("normal", [10]), ("low", [])])
def test_reminders_follow_the_priority(
    google: FakeGoogle, alice: User, priority: str, minutes: list[int]
) -> None:
    account = connect(google, alice)
    account.add_message(mail())
    sync_in_foreground(alice)
    task = Task.objects.get(user=alice)
    Task.objects.filter(pk=task.pk).update(priority=priority, calendar_pending=True)

    calendar_sync(user=alice)

    [event] = account.calendar_events()
    assert [r["minutes"] for r in event["reminders"]["overrides"]] == minutes


def test_blocks_avoid_busy_time_but_not_free_or_cancelled_events(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice, time_zone="Europe/Madrid")
    account.add_message(mail())
    monday = dt.datetime(2030, 6, 3, 7, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))  # before 9:00
    new_york = zoneinfo.ZoneInfo("America/New_York")

    def at(hour: int) -> str:
        return dt.datetime(2030, 6, 3, hour, 0, tzinfo=new_york).isoformat()

    account.add_event({"summary": "Standup", "start": {"dateTime": at(9)}, "end": {"dateTime": at(10)}})
    account.add_event(
        {
            "summary": "Focus (free)",
            "transparency": "transparent",
            "start": {"dateTime": at(10)},
            "end": {"dateTime": at(11)},
        }
    )
    cancelled = account.add_event(
        {"summary": "Gone", "start": {"dateTime": at(10)}, "end": {"dateTime": at(12)}}
    )
    account.events[cancelled["id"]]["status"] = "cancelled"
    # Read and extract now, waiting for approval; place the block as if it were Monday 7:00 in New York.
    Profile.objects.filter(user=alice).update(approval_required=True)
    sync_in_foreground(alice)
    task = Task.objects.get(user=alice)
    assert task.status == Task.Status.PROPOSED and task.event_start is None
    task_approve(task=task)

    calendar_sync(user=alice, now=monday.astimezone(dt.UTC))

    task.refresh_from_db()
    assert task.event_start == dt.datetime(2030, 6, 3, 10, 0, tzinfo=new_york)


def test_busy_reads_all_day_events_in_the_calendars_time_zone(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice, time_zone="Asia/Tokyo")
    account.add_event({"summary": "Holiday", "start": {"date": "2030-06-03"}, "end": {"date": "2030-06-04"}})
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")

    busy = GoogleCalendar(alice).busy(
        dt.datetime(2030, 6, 1, tzinfo=dt.UTC), dt.datetime(2030, 6, 10, tzinfo=dt.UTC)
    )

    assert busy == [
        (
            dt.datetime(2030, 6, 3, tzinfo=tokyo).astimezone(dt.UTC),
            dt.datetime(2030, 6, 4, tzinfo=tokyo).astimezone(dt.UTC),
        )
    ]


def test_a_crash_between_the_insert_and_the_save_leaves_exactly_one_event(
    google: FakeGoogle, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = connect(google, alice)
    for body in REQUESTS[:3]:
        account.add_message(mail(body=body))
    real_insert_many = GoogleCalendar.insert_many

    def insert_then_die(self: GoogleCalendar, specs: Any) -> Any:
        real_insert_many(self, specs)
        raise WorkerDied()

    monkeypatch.setattr(GoogleCalendar, "insert_many", insert_then_die)
    with pytest.raises(WorkerDied):
        sync_in_foreground(alice)
    monkeypatch.undo()
    assert len(account.calendar_events()) == 3
    assert not Task.objects.filter(user=alice, event_written=True).exists()

    calendar_sync(user=alice)

    events = account.calendar_events()
    tasks = Task.objects.filter(user=alice)
    assert len(events) == 3
    assert sorted(e["id"] for e in events) == sorted(tasks.values_list("event_id", flat=True))
    assert all(t.event_written and not t.calendar_pending for t in tasks)
    statuses = [r.status for r in google.requests_to("calendar.events.insert")]
    # A 409 in the rerun's batch: the event it had written, updated rather than added again.
    assert statuses.count(409) == 3
    assert len(google.requests_to("calendar.events.patch")) == 3


def test_an_insert_whose_answer_is_lost_is_reconciled_by_reading_the_event(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    settings.GOOGLE_NUM_RETRIES = 0
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 1
    account = connect(google, alice)
    account.add_message(mail())
    # The insert is stored after the client gave up waiting; the read that follows arrives after that.
    google.delay("calendar.events.insert", 1.5, times=1)
    google.delay("calendar.events.get", 0.8, times=1)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    task = Task.objects.get(user=alice)
    assert task.event_written and not task.calendar_pending
    assert [e["id"] for e in account.calendar_events()] == [task.event_id]
    assert [r.status for r in google.requests_to("calendar.events.get")] == [200]


def test_after_a_read_back_fails_the_rest_of_the_batch_is_left_for_the_next_pass(
    google: FakeGoogle, alice: User, settings: Settings
) -> None:
    """A batch whose answer is lost is read back event by event; once a read fails, the service is not asked
    about the others (they stay unknown, settled by the next pass) — not every second one."""
    settings.GOOGLE_NUM_RETRIES = 0
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 1
    account = connect(google, alice)
    for n, body in enumerate(REQUESTS[:3]):
        account.add_message(mail(f"Request {n}", body))
    google.delay("calendar.events.insert", 1.5, times=1)
    google.fail("calendar.events.get", 503, times=1)

    sync_in_foreground(alice)

    assert len(google.requests_to("calendar.events.get")) == 1
    assert Task.objects.filter(user=alice, calendar_pending=True).count() == 3

    sync_in_foreground(alice)  # the next pass settles them: each stored once

    assert sorted(e["id"] for e in account.calendar_events()) == sorted(
        Task.objects.filter(user=alice).values_list("event_id", flat=True)
    )


def test_dismiss_removes_the_event_and_reopen_brings_it_back(
    google: FakeGoogle, alice: User, client: Client
) -> None:
    account = connect(google, alice)
    account.add_message(mail())
    sync_in_foreground(alice)
    task = Task.objects.get(user=alice)
    client.force_login(alice)

    response = client.post(f"/tasks/{task.pk}/dismiss/")

    assert response.status_code == 302
    assert account.calendar_events() == []
    [gone] = account.calendar_events(include_cancelled=True)
    assert gone["id"] == task.event_id
    task.refresh_from_db()
    assert not task.event_written and not task.calendar_pending

    client.post(f"/tasks/{task.pk}/reopen/")

    [back] = account.calendar_events()
    assert back["id"] == task.event_id
    # Deleting again after the event is already gone (410) is not an error.
    account.events[task.event_id]["status"] = "cancelled"
    client.post(f"/tasks/{task.pk}/done/")
    task.refresh_from_db()
    assert (task.status, task.calendar_pending, task.calendar_error) == ("done", False, "")


def test_a_calendar_outage_does_not_block_mail_sync(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    account.add_message(mail(body=REQUESTS[0]))
    account.add_message(mail(body=REQUESTS[1]))
    google.fail("calendar.*", status=503, times=None)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.tasks_created == 2 and run.events_scheduled == 0
    tasks = Task.objects.filter(user=alice).order_by("id")
    assert all(t.calendar_pending and not t.event_written for t in tasks)
    assert "HTTP 503" in tasks[0].calendar_error
    # The pass stopped at the first failure instead of trying every task.
    assert len(google.requests_to("calendar.*")) == 1 + 2  # one call, retried twice

    google.reset_faults()
    later = sync_in_foreground(alice)

    assert later.events_scheduled == 2
    assert len(account.calendar_events()) == 2
    assert not Task.objects.filter(user=alice, calendar_pending=True).exists()


def test_the_calendar_makes_no_calls_once_the_grant_is_lost(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    account.add_message(mail())
    google.fail("calendar.*", status=503, times=None)
    sync_in_foreground(alice)
    google.reset_faults()
    google_grant_lost(user=alice, reason="invalid_grant")
    google.clear_requests()

    calendar_sync(user=alice)

    assert google.requests == []
    assert Task.objects.get(user=alice).calendar_pending


def _store_requests(user: User, count: int) -> None:
    """Store ``count`` to-dos on the user's mailbox as the sync does after reading them, one per email."""
    mailbox = Mailbox.objects.get(user=user)
    profile = Profile.objects.get(user=user)
    for _ in range(count):
        receipt = MessageReceipt.objects.create(
            mailbox=mailbox,
            message_id=f"msg{MessageReceipt.objects.count()}",
            subject="Request",
            sender="bob@example.com",
            status=MessageReceipt.Status.DONE,
        )
        item = ExtractedTask(title="Send the slides", kind="todo", evidence=REQUESTS[0])
        tasks_store_extracted(
            receipt=receipt,
            extracted=[item],
            profile=profile,
            extractor="offline",
            thread_tasks=thread_open_tasks(receipt=receipt),
        )


def test_busy_time_is_read_once_per_placement_pass_however_many_tasks(
    google: FakeGoogle, alice: User
) -> None:
    account = connect(google, alice)
    monday = dt.datetime(2030, 6, 3, 7, 0, tzinfo=dt.UTC)
    account.add_event(
        {
            "summary": "Standup",
            "start": {"dateTime": "2030-06-03T13:00:00Z"},
            "end": {"dateTime": "2030-06-03T14:00:00Z"},
        }
    )
    _store_requests(alice, 30)
    google.clear_requests()

    assert calendar_sync(user=alice, now=monday) == 30

    [read] = google.requests_to("calendar.events.list")
    assert read.query["timeMin"] == ["2030-06-03T07:00:00Z"]
    assert read.query["timeMax"] == ["2030-07-01T07:00:00Z"]
    # The 30 events went in one batch request.
    assert inserts_per_batch(google) == [30]
    assert all(r.batch for r in google.requests_to("calendar.events.insert"))
    standup = (dt.datetime(2030, 6, 3, 13, 0, tzinfo=dt.UTC), dt.datetime(2030, 6, 3, 14, 0, tzinfo=dt.UTC))
    for task in Task.objects.filter(user=alice):
        assert task.event_start and task.event_end
        assert not (task.event_start < standup[1] and standup[0] < task.event_end), task

    google.clear_requests()
    _store_requests(alice, 3)

    assert calendar_sync(user=alice, now=monday) == 3
    assert len(google.requests_to("calendar.events.list")) == 1


def calendar_round_trips(google: FakeGoogle) -> list[str]:
    """The Calendar requests that went over the wire, in order, by Google method ("batch" for a batch
    request; the calls inside a batch are not round trips of their own)."""
    return [
        r.endpoint
        for r in google.requests
        if not r.batch and (r.endpoint.startswith("calendar.") or r.path.startswith("/batch/calendar"))
    ]


def _rfc3339(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_each_pass_reads_busy_time_in_one_request_once_the_calendar_fills_up(
    google: FakeGoogle, alice: User
) -> None:
    """As in a first sync of a large mailbox: pass after pass adds events to the horizon. Each pass reads its
    busy time in one request however many events the window holds (Google pages at 250 unless asked for
    more), then writes its events in batches of 50: nothing else."""
    account = connect(google, alice)
    monday = dt.datetime(2030, 6, 3, 7, 0, tzinfo=dt.UTC)  # 9:00 in Madrid, Alice's working day starts
    # 300 short events of her own on Monday night, then all of Tuesday's working hours taken: the 301st
    # event of the window, past Google's default page.
    for minute in range(300):
        start = dt.datetime(2030, 6, 3, 20, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
        account.add_event(
            {
                "summary": "Night job",
                "start": {"dateTime": _rfc3339(start)},
                "end": {"dateTime": _rfc3339(start + dt.timedelta(minutes=1))},
            }
        )
    tuesday = (dt.datetime(2030, 6, 4, 7, 0, tzinfo=dt.UTC), dt.datetime(2030, 6, 4, 15, 0, tzinfo=dt.UTC))
    account.add_event(
        {
            "summary": "Offsite",
            "start": {"dateTime": _rfc3339(tuesday[0])},
            "end": {"dateTime": _rfc3339(tuesday[1])},
        }
    )

    for _ in range(3):
        _store_requests(alice, 60)
        google.clear_requests()

        assert calendar_sync(user=alice, now=monday) == 60

        assert calendar_round_trips(google) == ["calendar.events.list", "batch", "batch"]
        [read] = google.requests_to("calendar.events.list")
        assert "pageToken" not in read.query
    assert len(account.calendar_events()) == 301 + 180
    blocks = sorted(
        (task.event_start, task.event_end)
        for task in Task.objects.filter(user=alice)
        if task.event_start and task.event_end
    )
    assert len(blocks) == 180
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(blocks))
    assert not any(start < tuesday[1] and tuesday[0] < end for start, end in blocks)


def test_a_busy_read_follows_every_page_of_a_crowded_window(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    first = dt.datetime(2030, 6, 3, 0, 0, tzinfo=dt.UTC)
    for minute in range(2600):
        start = first + dt.timedelta(minutes=minute)
        account.add_event(
            {
                "summary": "Slot",
                "start": {"dateTime": _rfc3339(start)},
                "end": {"dateTime": _rfc3339(start + dt.timedelta(minutes=1))},
            }
        )
    google.clear_requests()

    busy = GoogleCalendar(alice).busy(first, first + dt.timedelta(days=28))

    assert len(busy) == 2600
    assert busy[-1] == (first + dt.timedelta(minutes=2599), first + dt.timedelta(minutes=2600))
    pages = google.requests_to("calendar.events.list")
    assert [r.query.get("pageToken") for r in pages] == [None, ["2500"]]
    assert all(r.query["maxResults"] == ["2500"] for r in pages)


def test_a_pass_that_moves_a_block_and_places_new_tasks_reads_the_calendar_once(
    google: FakeGoogle, alice: User
) -> None:
    connect(google, alice)
    monday = dt.datetime(2030, 6, 3, 7, 0, tzinfo=dt.UTC)
    _store_requests(alice, 2)
    assert calendar_sync(user=alice, now=monday) == 2
    moved = Task.objects.filter(user=alice).order_by("pk").first()
    assert moved is not None
    task_move_to(task=moved, start=dt.datetime(2030, 6, 5, 8, 0, tzinfo=dt.UTC), confirmed=True, now=monday)
    _store_requests(alice, 3)
    google.clear_requests()

    assert calendar_sync(user=alice, now=monday) == 4

    # The busy read also gives the calendar's time zone for the events written after it.
    assert calendar_round_trips(google) == ["calendar.events.list", "batch", "calendar.events.patch"]

    # A pass with nothing to place reads no busy time: one small read for the time zone, then the write.
    task_move_to(task=moved, start=dt.datetime(2030, 6, 6, 8, 0, tzinfo=dt.UTC), confirmed=True, now=monday)
    google.clear_requests()

    assert calendar_sync(user=alice, now=monday) == 1

    assert calendar_round_trips(google) == ["calendar.events.list", "calendar.events.patch"]
    assert google.requests_to("calendar.events.list")[0].query["maxResults"] == ["1"]


def inserts_per_batch(google: FakeGoogle) -> list[int]:
    """How many event inserts each batch request carried, in order (parts are logged before their batch)."""
    sizes: list[int] = []
    count = 0
    for entry in google.requests:
        if entry.batch and entry.endpoint == "calendar.events.insert":
            count += 1
        elif entry.endpoint == "batch":
            sizes.append(count)
            count = 0
    return sizes


def test_events_are_written_in_batches_of_at_most_fifty_after_one_busy_read(
    google: FakeGoogle, alice: User
) -> None:
    connect(google, alice)
    _store_requests(alice, 120)
    google.clear_requests()

    assert calendar_sync(user=alice, now=dt.datetime(2030, 6, 3, 7, 0, tzinfo=dt.UTC)) == 120

    assert len(google.requests_to("calendar.events.list")) == 1
    assert inserts_per_batch(google) == [50, 50, 20]
    assert [r.path for r in google.requests_to("batch")] == ["/batch/calendar/v3"] * 3
    assert not Task.objects.filter(user=alice, event_written=False).exists()


def test_a_duplicate_inside_a_batch_counts_as_already_written(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    _store_requests(alice, 3)
    first = Task.objects.filter(user=alice).order_by("pk").first()
    assert first is not None
    # Written by a pass that died before saving it: the id is taken on the calendar already.
    first.event_id = event_id_for(task_stable_key(first))
    first.save(update_fields=["event_id"])
    account.add_event(
        {
            "id": first.event_id,
            "summary": "Send the slides",
            "start": {"dateTime": "2030-06-03T13:00:00Z"},
            "end": {"dateTime": "2030-06-03T13:30:00Z"},
        }
    )

    assert calendar_sync(user=alice, now=dt.datetime(2030, 6, 3, 7, 0, tzinfo=dt.UTC)) == 3

    assert sorted(r.status or 0 for r in google.requests_to("calendar.events.insert")) == [200, 200, 409]
    assert len(google.requests_to("calendar.events.patch")) == 1
    assert len(account.calendar_events()) == 3
    assert all(t.event_written and t.calendar_error == "" for t in Task.objects.filter(user=alice))


def test_a_part_that_fails_inside_a_batch_leaves_its_task_pending(google: FakeGoogle, alice: User) -> None:
    account = connect(google, alice)
    _store_requests(alice, 3)
    google.fail("calendar.events.insert", status=503, times=1)

    written = calendar_sync(user=alice, now=dt.datetime(2030, 6, 3, 7, 0, tzinfo=dt.UTC))

    assert written == 2
    waiting = Task.objects.get(user=alice, calendar_pending=True)
    assert "503" in waiting.calendar_error and not waiting.event_written
    assert calendar_sync(user=alice, now=dt.datetime(2030, 6, 3, 7, 0, tzinfo=dt.UTC)) == 1
    assert len(account.calendar_events()) == 3
