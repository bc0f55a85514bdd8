"""The local calendar as an iCalendar feed that calendar apps subscribe to."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from icalendar import Calendar, Event, vDuration

from tasks_app.models import LocalCalendarEvent

FEED_REFRESH = dt.timedelta(hours=1)


def ics_feed(*, user: User, timezone_name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Intelligent Scheduler//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Intelligent Scheduler")
    calendar.add("x-wr-timezone", timezone_name)
    # Calendar apps poll the feed; one hour keeps them close without hammering the server. RFC 7986 names
    # the interval; Outlook and older Apple clients read only X-PUBLISHED-TTL. An X- property has no
    # declared type, so icalendar would write a timedelta as "1:00:00": the value is typed explicitly.
    calendar.add("refresh-interval", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    now = timezone.now()
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "localhost"
    for row in LocalCalendarEvent.objects.filter(user=user).order_by("start"):
        event = Event()
        event.add("uid", f"{row.event_id}@{host}")
        event.add("summary", row.summary)
        if row.description:
            event.add("description", row.description)
        event.add("dtstart", row.start)
        event.add("dtend", row.end)
        event.add("dtstamp", now)
        event.add("last-modified", row.updated_at)
        event.add("sequence", row.sequence)
        event.add("transp", "OPAQUE")
        event.add("class", "PRIVATE")
        calendar.add_component(event)
    return calendar.to_ical()
