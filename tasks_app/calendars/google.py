"""Google Calendar as the user's calendar, through google-api-python-client with their own grant.

Events go on the primary calendar under ids we choose (``event_id_for``: base32hex), so a write can be
repeated safely: a second insert of the same id is a 409, which the caller turns into an update. An insert
whose answer was lost (timeout, dropped connection, 5xx) is reconciled by reading the event back. Events
carry ``extendedProperties.private.taskId``, no attendees, private visibility and reminders chosen by the
task's priority; every write says ``sendUpdates=none``. New events go in batches of up to 50 to the
Calendar batch endpoint (``insert_many``), each part with its own outcome. Busy time is read with
``events.list`` (the ``calendar.events`` scope does not allow freebusy) in pages of up to 2,500 events, so a
pass's one busy read is one request unless its window holds more; transparent and cancelled events are
skipped. Its answer also gives the calendar's time zone, used for the events' display zone and for all-day
events.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from googleapiclient.http import BatchHttpRequest

from accounts.google.client import execute, google_service
from accounts.google.errors import GoogleApiError, GoogleErrorKind, grade
from tasks_app.calendars import (
    INSERT_BATCH_SIZE,
    CalendarError,
    EventExists,
    EventMissing,
    EventRef,
    EventSpec,
)

logger = logging.getLogger(__name__)

CALENDAR_ID = "primary"
# Failures that stop the pass, leaving the tasks pending for a later sync. A lost or unusable grant is
# among them: the tasks wait until the user reconnects (or the operator fixes the keys).
TRANSIENT_KINDS = frozenset(
    {
        GoogleErrorKind.RATE_LIMITED,
        GoogleErrorKind.UNAVAILABLE,
        GoogleErrorKind.NO_ANSWER,
        GoogleErrorKind.GRANT_LOST,
        GoogleErrorKind.TOKEN_UNAVAILABLE,
        GoogleErrorKind.TOKEN_REFUSED,
        GoogleErrorKind.SERVER_MISCONFIGURED,
    }
)
# Events per page of a busy read: the most Google gives (its default is 250). A 28-day horizon holds a few
# hundred events of ours once a large backlog is placed, and each page is a round trip: at 250 a pass read
# its busy time in two requests as soon as the calendar filled up. Google may still answer with fewer, so
# the pages are followed all the same.
BUSY_PAGE_SIZE = 2500
# An insert that got no answer, or a server error, may have been stored all the same.
AMBIGUOUS_KINDS = (GoogleErrorKind.UNAVAILABLE, GoogleErrorKind.NO_ANSWER)
GONE_KINDS = (GoogleErrorKind.NOT_FOUND, GoogleErrorKind.GONE)
# Popup reminders by priority: an important task warns earlier and twice; a low one does not interrupt.
REMINDERS: dict[str, list[dict[str, Any]]] = {
    "high": [{"method": "popup", "minutes": 60}, {"method": "popup", "minutes": 10}],
    "normal": [{"method": "popup", "minutes": 10}],
    "low": [],
}


def calendar_error(error: GoogleApiError, what: str) -> CalendarError:
    return CalendarError(f"Google Calendar, {what}: {error}", transient=error.kind in TRANSIENT_KINDS)


def _parse_time(value: dict[str, Any], zone: zoneinfo.ZoneInfo) -> dt.datetime:
    if "dateTime" in value:
        moment = dt.datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(value.get("timeZone") or zone.key))
        return moment
    # An all-day event starts at midnight in the calendar's time zone.
    day = dt.date.fromisoformat(value["date"])
    return dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(value.get("timeZone") or zone.key))


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class GoogleCalendar:
    """The Calendar seam on the user's primary Google calendar. One instance per pass: not thread-safe."""

    def __init__(self, user: User) -> None:
        self.user = user
        self._service: Any = None
        self._zone: zoneinfo.ZoneInfo | None = None

    @property
    def events(self) -> Any:
        if self._service is None:
            try:
                self._service = google_service(
                    user=self.user,
                    api="calendar",
                    version="v3",
                    endpoint=settings.GOOGLE_CALENDAR_API_ENDPOINT,
                )
            except GoogleApiError as e:
                raise calendar_error(e, "connecting") from e
        return self._service.events()

    def _call(self, request: Any, what: str) -> dict[str, Any]:
        """Execute and turn every failure into a ``CalendarError``."""
        try:
            result: dict[str, Any] = execute(request)
        except GoogleApiError as e:
            raise calendar_error(e, what) from e
        return result or {}

    def _ref(self, event: dict[str, Any]) -> EventRef:
        zone = self.zone()
        return EventRef(
            event_id=event["id"],
            start=_parse_time(event["start"], zone).astimezone(dt.UTC),
            end=_parse_time(event["end"], zone).astimezone(dt.UTC),
            link=str(event.get("htmlLink", "")),
        )

    def zone(self) -> zoneinfo.ZoneInfo:
        """The calendar's own time zone, from an ``events.list`` answer (cached for this pass)."""
        if self._zone is None:
            now = timezone.now()
            response = self._call(
                self.events.list(
                    calendarId=CALENDAR_ID, timeMin=_rfc3339(now), maxResults=1, singleEvents=True
                ),
                "reading the calendar's time zone",
            )
            self._remember_zone(response)
        assert self._zone is not None
        return self._zone

    def _remember_zone(self, response: dict[str, Any]) -> None:
        name = response.get("timeZone") or "UTC"
        try:
            self._zone = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            logger.warning("Google Calendar time zone %r is unknown here; using UTC", name)
            self._zone = zoneinfo.ZoneInfo("UTC")

    def _body(self, spec: EventSpec) -> dict[str, Any]:
        zone = self.zone()
        return {
            "summary": spec.summary,
            "description": spec.description,
            "start": {"dateTime": spec.start.astimezone(zone).isoformat(), "timeZone": zone.key},
            "end": {"dateTime": spec.end.astimezone(zone).isoformat(), "timeZone": zone.key},
            # Restores an event that was deleted (Google keeps it as cancelled under the same id).
            "status": "confirmed",
            "visibility": "private",
            "transparency": "opaque",
            "extendedProperties": {"private": {"taskId": spec.task_key}},
            "reminders": {
                "useDefault": False,
                "overrides": REMINDERS.get(spec.priority, REMINDERS["normal"]),
            },
        }

    def insert(self, spec: EventSpec) -> EventRef:
        body = {"id": spec.event_id, **self._body(spec)}
        request = self.events.insert(calendarId=CALENDAR_ID, body=body, sendUpdates="none")
        try:
            return self._ref(execute(request) or {})
        except GoogleApiError as e:
            if e.kind is GoogleErrorKind.CONFLICT:
                raise EventExists(spec.event_id) from e
            if e.kind not in AMBIGUOUS_KINDS:
                raise calendar_error(e, "adding an event") from e
            problem = calendar_error(e, "adding an event")
        # The insert may have been stored although no answer came back: read the event to find out.
        existing = self.get(spec.event_id)
        if existing is not None:
            logger.info("Event %s was stored although its insert got no answer", spec.event_id)
            return existing
        raise problem

    def insert_many(self, specs: Sequence[EventSpec]) -> list[EventRef | CalendarError]:
        """One request to the batch endpoint (``GOOGLE_CALENDAR_BATCH_URI``) for up to 50 inserts. Parts are
        not retried: a part answered 409 is ``EventExists``, any other failed part a ``CalendarError`` (transient
        for a rate limit or a server error)."""
        if not specs:
            return []
        if len(specs) > INSERT_BATCH_SIZE:
            raise ValueError(f"At most {INSERT_BATCH_SIZE} events go in one batch.")
        bodies = [{"id": spec.event_id, **self._body(spec)} for spec in specs]
        answers: dict[str, dict[str, Any] | GoogleApiError] = {}

        def collect(request_id: str, response: Any, exception: Exception | None) -> None:
            answers[request_id] = grade(exception) if exception is not None else (response or {})

        events = self.events
        batch = BatchHttpRequest(callback=collect, batch_uri=settings.GOOGLE_CALENDAR_BATCH_URI)
        for body in bodies:
            batch.add(
                events.insert(calendarId=CALENDAR_ID, body=body, sendUpdates="none"), request_id=body["id"]
            )
        try:
            execute(batch, http=self._service._http)
        except GoogleApiError as e:
            problem = calendar_error(e, f"adding {len(specs)} events")
            if e.kind not in AMBIGUOUS_KINDS:
                raise problem from e
            return self._read_back(specs, problem)
        return [self._inserted(spec, answers.get(spec.event_id)) for spec in specs]

    def _read_back(
        self, specs: Sequence[EventSpec], problem: CalendarError
    ) -> list[EventRef | CalendarError]:
        """The batch may have been stored although no answer came back: read each event to find out. The
        first read that fails leaves the rest unknown (``problem``), to be settled by the next pass."""
        outcomes: list[EventRef | CalendarError] = []
        failed = False
        for spec in specs:
            if failed:
                outcomes.append(problem)
                continue
            try:
                existing = self.get(spec.event_id)
            except CalendarError as e:
                outcomes.append(e)
                failed = True
                continue
            outcomes.append(existing if existing is not None else problem)
        return outcomes

    def _inserted(
        self, spec: EventSpec, answer: dict[str, Any] | GoogleApiError | None
    ) -> EventRef | CalendarError:
        if isinstance(answer, GoogleApiError):
            if answer.kind is GoogleErrorKind.CONFLICT:
                return EventExists(spec.event_id)
            # A part with no usable answer may have been stored all the same. Not read back here: it is
            # a transient error, the task stays pending, and the next pass's insert meets the stored
            # event (409) and updates it.
            return calendar_error(answer, "adding an event")
        try:
            return self._ref(answer or {})
        except (KeyError, ValueError):
            return CalendarError("Google Calendar, adding an event: the batch gave no usable answer for it.")

    def update(self, spec: EventSpec) -> EventRef:
        request = self.events.patch(
            calendarId=CALENDAR_ID, eventId=spec.event_id, body=self._body(spec), sendUpdates="none"
        )
        try:
            return self._ref(execute(request) or {})
        except GoogleApiError as e:
            if e.kind in GONE_KINDS:
                raise EventMissing(spec.event_id) from e
            raise calendar_error(e, "changing an event") from e

    def get(self, event_id: str) -> EventRef | None:
        request = self.events.get(calendarId=CALENDAR_ID, eventId=event_id)
        try:
            event: dict[str, Any] = execute(request) or {}
        except GoogleApiError as e:
            if e.kind in GONE_KINDS:
                return None
            raise calendar_error(e, "reading an event") from e
        if event.get("status") == "cancelled":
            return None
        return self._ref(event)

    def delete(self, event_id: str) -> None:
        request = self.events.delete(calendarId=CALENDAR_ID, eventId=event_id, sendUpdates="none")
        try:
            execute(request)
        except GoogleApiError as e:
            if e.kind in GONE_KINDS:
                return  # already gone
            raise calendar_error(e, "removing an event") from e

    def busy(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        intervals: list[tuple[dt.datetime, dt.datetime]] = []
        page_token: str | None = None
        while True:
            response = self._call(
                self.events.list(
                    calendarId=CALENDAR_ID,
                    timeMin=_rfc3339(start),
                    timeMax=_rfc3339(end),
                    singleEvents=True,
                    orderBy="startTime",
                    maxResults=BUSY_PAGE_SIZE,
                    pageToken=page_token,
                ),
                "reading busy time",
            )
            self._remember_zone(response)
            zone = self.zone()
            for event in response.get("items", []):
                if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
                    continue
                try:
                    intervals.append(
                        (
                            _parse_time(event["start"], zone).astimezone(dt.UTC),
                            _parse_time(event["end"], zone).astimezone(dt.UTC),
                        )
                    )
                except (KeyError, ValueError, zoneinfo.ZoneInfoNotFoundError):
                    logger.warning("Skipping a calendar event with an unreadable time")
            page_token = response.get("nextPageToken")
            if not page_token:
                return intervals
