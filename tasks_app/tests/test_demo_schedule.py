"""The demo mailbox, synced on a fixed day: the ICS feed shows no task block over a meeting.

Measured before the fix on a Tuesday: "Submit your November expense report" was placed at 15:00–15:30 on
top of the 15:00–15:45 "Checkout redesign review" (a calendar invite), because tasks were placed in due
order and the meeting, due later, was not yet busy.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import Profile
from conftest import client_for, sync_in_foreground
from emailsync.demo import demo_user_create
from emailsync.models import SyncRun
from tasks_app.models import Task

pytestmark = pytest.mark.django_db

# The day of the measurement: Tuesday 1 December 2026, 10:45 UTC. The other weekdays of that week follow.
MEASURED = dt.datetime(2026, 12, 1, 10, 45, tzinfo=dt.UTC)


def _feed_events(feed: bytes) -> list[tuple[str, str, dt.datetime, dt.datetime]]:
    """(uid, summary, start, end) of every event in the feed."""
    return [
        (
            str(event["uid"]),
            str(event["summary"]),
            event.decoded("dtstart"),
            event.decoded("dtend"),
        )
        for event in Calendar.from_ical(feed).walk("VEVENT")
    ]


@pytest.mark.parametrize("days_later", range(7))
def test_no_task_block_overlaps_a_meeting_in_the_demo_feed(
    monkeypatch: pytest.MonkeyPatch, days_later: int
) -> None:
    clock = MEASURED + dt.timedelta(days=days_later)
    monkeypatch.setattr(timezone, "now", lambda: clock)
    user = demo_user_create()

    run = sync_in_foreground(user)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    token = Profile.objects.get(user=user).feed_token
    response = client_for(user).get(reverse("calendar-feed", args=[token]))
    assert response.status_code == 200
    events = _feed_events(response.content)
    kinds = {
        task.event_id: task.kind == Task.Kind.MEETING and task.due_at is not None
        for task in Task.objects.filter(user=user).exclude(event_id="")
    }
    meetings = [event for event in events if kinds[event[0].split("@")[0]]]
    blocks = [event for event in events if not kinds[event[0].split("@")[0]]]
    assert "Checkout redesign review" in {summary for _, summary, _, _ in meetings}
    assert blocks
    for uid, summary, start, end in blocks:
        for other_uid, other, other_start, other_end in events:
            if other_uid != uid:
                assert not (start < other_end and other_start < end), (
                    f"{summary} {start}–{end} overlaps {other} {other_start}–{other_end}"
                )
