"""The built-in calendar: events in our database (``LocalCalendarEvent``), published as the user's ICS feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse

from tasks_app.calendars import CalendarError, EventExists, EventMissing, EventRef, EventSpec
from tasks_app.models import LocalCalendarEvent


class LocalCalendar:
    def __init__(self, user: User) -> None:
        self.user = user

    def _link(self, event_id: str) -> str:
        return f"{settings.SITE_URL}{reverse('tasks:dashboard')}#event-{event_id}"

    def _ref(self, event: LocalCalendarEvent) -> EventRef:
        return EventRef(
            event_id=event.event_id, start=event.start, end=event.end, link=self._link(event.event_id)
        )

    def _event(self, spec: EventSpec) -> LocalCalendarEvent:
        return LocalCalendarEvent(
            user=self.user,
            event_id=spec.event_id,
            summary=spec.summary[:250],
            description=spec.description,
            start=spec.start,
            end=spec.end,
            task_key=spec.task_key,
        )

    def insert(self, spec: EventSpec) -> EventRef:
        try:
            with transaction.atomic():
                event = self._event(spec)
                event.save(force_insert=True)
        except IntegrityError as e:
            if LocalCalendarEvent.objects.filter(user=self.user, event_id=spec.event_id).exists():
                raise EventExists(spec.event_id) from e
            raise
        return self._ref(event)

    def insert_many(self, specs: Sequence[EventSpec]) -> list[EventRef | CalendarError]:
        """Two statements for the lot: which ids are taken, then one INSERT of the others."""
        taken = set(
            LocalCalendarEvent.objects.filter(
                user=self.user, event_id__in=[spec.event_id for spec in specs]
            ).values_list("event_id", flat=True)
        )
        fresh = [self._event(spec) for spec in specs if spec.event_id not in taken]
        try:
            with transaction.atomic():
                LocalCalendarEvent.objects.bulk_create(fresh)
        except IntegrityError:
            # Another pass wrote one of these ids meanwhile: insert one by one to tell which.
            return [self._insert_one(spec) for spec in specs]
        written = {event.event_id: self._ref(event) for event in fresh}
        return [written.get(spec.event_id) or EventExists(spec.event_id) for spec in specs]

    def _insert_one(self, spec: EventSpec) -> EventRef | CalendarError:
        try:
            return self.insert(spec)
        except CalendarError as e:
            return e

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
