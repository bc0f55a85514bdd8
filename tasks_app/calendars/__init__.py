"""The calendar seam. A calendar stores events under ids chosen by us, so writes are idempotent:
inserting an id that exists raises ``EventExists`` and the caller reconciles with ``update``.

This module holds the protocol and its data classes only. The implementations are named in ``CALENDARS``
by dotted path and imported on first use: the local calendar (``local.py``: events in our database,
published as an ICS feed; what a fresh install schedules onto) and Google Calendar (``google.py``). A new
calendar is one module with a class built from the user, and one line in ``CALENDARS`` (plus a
``Profile.CalendarProvider`` choice).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.contrib.auth.models import User
from django.utils.module_loading import import_string

from accounts.models import Profile

# Keyed by ``Profile.CalendarProvider`` values; a user without a provider gets the local calendar.
CALENDARS = {
    "local": "tasks_app.calendars.local.LocalCalendar",
    "google": "tasks_app.calendars.google.GoogleCalendar",
}


class CalendarError(Exception):
    """The calendar could not be written. ``transient`` errors are retried on a later sync."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class EventExists(CalendarError):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"Event {event_id} already exists", transient=False)


class EventMissing(CalendarError):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"Event {event_id} does not exist", transient=False)


@dataclass(frozen=True)
class EventSpec:
    event_id: str
    summary: str
    description: str
    start: dt.datetime
    end: dt.datetime
    # The task's id, kept with the event (the local calendar's column, Google's private "taskId").
    task_key: str
    priority: str


@dataclass(frozen=True)
class EventRef:
    event_id: str
    start: dt.datetime
    end: dt.datetime
    link: str


# Events written in one round trip at most (Google's batch endpoint; 50 is the size Google recommends).
INSERT_BATCH_SIZE = 50


class Calendar(Protocol):
    def insert(self, spec: EventSpec) -> EventRef: ...

    def insert_many(self, specs: Sequence[EventSpec]) -> list[EventRef | CalendarError]:
        """Insert up to ``INSERT_BATCH_SIZE`` events at once. One outcome per spec, in order: the event, or
        the error of that one insert (``EventExists`` when its id is taken). An error of the whole call
        (nothing known to be written) is raised instead."""

    def update(self, spec: EventSpec) -> EventRef: ...

    def get(self, event_id: str) -> EventRef | None: ...

    def delete(self, event_id: str) -> None:
        """Remove the event; an event that is already gone is not an error."""

    def busy(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]: ...


def event_id_for(stable_key: str) -> str:
    """A calendar event id derived from a task's stable key: base32hex (``[a-v0-9]``), as Google requires."""
    digest = hashlib.sha256(stable_key.encode()).digest()[:20]
    return "is" + base64.b32hexencode(digest).decode().lower().rstrip("=")


def calendar_for(user: User) -> Calendar:
    """The user's calendar: Google Calendar once they connected it at Google sign-in, else the local one."""
    provider = Profile.objects.filter(user=user).values_list("calendar_provider", flat=True).first()
    path = CALENDARS.get(provider or "", CALENDARS[Profile.CalendarProvider.LOCAL])
    calendar: Calendar = import_string(path)(user)
    return calendar
