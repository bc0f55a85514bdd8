"""The calendar seam. A calendar stores events under ids chosen by us, so writes are idempotent:
inserting an id that exists raises ``EventExists`` and the caller reconciles with ``update``.

The local calendar keeps events in our database and publishes them as an ICS feed; it is what a fresh
install schedules onto.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse

from tasks_app.models import LocalCalendarEvent


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


class Calendar(Protocol):
    def insert(self, spec: EventSpec) -> EventRef: ...

    def update(self, spec: EventSpec) -> EventRef: ...

    def get(self, event_id: str) -> EventRef | None: ...

    def delete(self, event_id: str) -> None:
        """Remove the event; an event that is already gone is not an error."""

    def busy(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]: ...


def event_id_for(stable_key: str) -> str:
    """A calendar event id derived from a task's stable key: base32hex (``[a-v0-9]``), as Google requires."""
    digest = hashlib.sha256(stable_key.encode()).digest()[:20]
    return "is" + base64.b32hexencode(digest).decode().lower().rstrip("=")


class LocalCalendar:
    def __init__(self, user: User) -> None:
        self.user = user

    def _link(self, event_id: str) -> str:
        return f"{settings.SITE_URL}{reverse('tasks:dashboard')}#event-{event_id}"

    def _ref(self, event: LocalCalendarEvent) -> EventRef:
        return EventRef(
            event_id=event.event_id, start=event.start, end=event.end, link=self._link(event.event_id)
        )

    def insert(self, spec: EventSpec) -> EventRef:
        try:
            with transaction.atomic():
                event = LocalCalendarEvent.objects.create(
                    user=self.user,
                    event_id=spec.event_id,
                    summary=spec.summary[:250],
                    description=spec.description,
                    start=spec.start,
                    end=spec.end,
                    task_key=spec.task_key,
                )
        except IntegrityError as e:
            if LocalCalendarEvent.objects.filter(user=self.user, event_id=spec.event_id).exists():
                raise EventExists(spec.event_id) from e
            raise
        return self._ref(event)

    def update(self, spec: EventSpec) -> EventRef:
        event = LocalCalendarEvent.objects.filter(user=self.user, event_id=spec.event_id).first()
        if event is None:
            raise EventMissing(spec.event_id)
        event.summary = spec.summary[:250]
        event.description = spec.description
        event.start = spec.start
        event.end = spec.end
        event.task_key = spec.task_key
        event.sequence += 1
        event.save()
        return self._ref(event)

    def get(self, event_id: str) -> EventRef | None:
        event = LocalCalendarEvent.objects.filter(user=self.user, event_id=event_id).first()
        return self._ref(event) if event else None

    def delete(self, event_id: str) -> None:
        LocalCalendarEvent.objects.filter(user=self.user, event_id=event_id).delete()

    def busy(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        rows = LocalCalendarEvent.objects.filter(user=self.user, start__lt=end, end__gt=start)
        return [(row.start, row.end) for row in rows.only("start", "end")]


def calendar_for(user: User) -> Calendar:
    """The user's calendar: Google Calendar once they connected it at Google sign-in, else the local one."""
    from accounts.models import Profile

    provider = Profile.objects.filter(user=user).values_list("calendar_provider", flat=True).first()
    if provider == Profile.CalendarProvider.GOOGLE:
        from tasks_app.google_calendar import GoogleCalendar

        return GoogleCalendar(user)
    return LocalCalendar(user)
