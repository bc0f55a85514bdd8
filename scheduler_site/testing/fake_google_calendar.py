"""Google Calendar API v3 events on each user's primary calendar: insert, get, patch, update, delete, list.

Validation follows what Google checks and the product relies on: client-chosen ids in base32hex,
409 `duplicate` for an id in use (a deleted event keeps its id), 410 `deleted` for a second delete,
end not before start, at most 5 reminder overrides. Recurring events are stored but not expanded.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re
import secrets
import zoneinfo
from typing import TYPE_CHECKING, Any

from .fake_google_state import Call, FakeUser, GoogleError, Reply, api_error, not_found, route

if TYPE_CHECKING:
    from .fake_google import FakeGoogle

READ_SCOPES = {
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.events.readonly",
}
WRITE_SCOPES = {"https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.events"}
# calendars.get is not covered by the calendar.events scope: read the zone from events.list instead.
CALENDAR_SCOPES = {
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.calendars",
    "https://www.googleapis.com/auth/calendar.calendars.readonly",
}
_ID = re.compile(r"[a-v0-9]{5,1024}")
_WRITABLE = (
    "summary",
    "description",
    "location",
    "start",
    "end",
    "status",
    "visibility",
    "transparency",
    "attendees",
    "reminders",
    "extendedProperties",
    "colorId",
    "recurrence",
    "source",
    "guestsCanModify",
)
_DEFAULT_REMINDERS = [{"method": "popup", "minutes": 10}]


def invalid(message: str, reason: str = "invalid") -> GoogleError:
    return api_error(400, reason, message)


def _calendar(call: Call) -> FakeUser:
    assert call.user is not None
    if call.params["calendarId"] not in ("primary", call.user.email):
        raise not_found()
    return call.user


def _rfc3339(timestamp: float) -> str:
    return (
        dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def parse_instant(value: str, name: str) -> dt.datetime:
    """A query bound such as timeMin: RFC 3339 with an offset, as Google requires."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise api_error(400, "badRequest", f"Bad Request: {name} must be an RFC3339 timestamp with offset")
    return parsed


def _zone(name: str, which: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Invalid time zone definition for {which} time.") from None


def event_instant(when: dict[str, Any], calendar_zone: str, which: str) -> tuple[dt.datetime, bool]:
    """The moment an EventDateTime stands for, and whether it is an all-day date."""
    if not isinstance(when, dict) or ("date" in when) == ("dateTime" in when):
        raise invalid(f"Missing {which} time.", "required")
    if "date" in when:
        try:
            day = dt.date.fromisoformat(when["date"])
        except (TypeError, ValueError):
            raise invalid(f"Invalid {which} time.") from None
        zone = _zone(when.get("timeZone") or calendar_zone, which)
        return dt.datetime.combine(day, dt.time(), zone), True
    try:
        moment = dt.datetime.fromisoformat(when["dateTime"])
    except (TypeError, ValueError):
        raise invalid(f"Invalid {which} time.") from None
    if "timeZone" in when:
        zone = _zone(when["timeZone"], which)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
    if moment.tzinfo is None:
        raise invalid(f"Missing time zone definition for {which} time.", "required")
    return moment, False


def _validate(event: dict[str, Any], calendar_zone: str) -> None:
    if "start" not in event:
        raise invalid("Missing start time.", "required")
    if "end" not in event:
        raise invalid("Missing end time.", "required")
    start, start_all_day = event_instant(event["start"], calendar_zone, "start")
    end, end_all_day = event_instant(event["end"], calendar_zone, "end")
    if start_all_day != end_all_day:
        raise invalid("Start and end times must either both be date or both be dateTime.")
    if end < start:
        raise invalid("The specified time range is empty.", "timeRangeEmpty")
    if event.get("visibility", "default") not in ("default", "public", "private", "confidential"):
        raise invalid("Invalid visibility value.")
    if event.get("transparency", "opaque") not in ("opaque", "transparent"):
        raise invalid("Invalid transparency value.")
    if event.get("status", "confirmed") not in ("confirmed", "tentative", "cancelled"):
        raise invalid("Invalid status value.")
    reminders = event.get("reminders") or {}
    overrides = reminders.get("overrides") or []
    if reminders.get("useDefault") and overrides:
        raise invalid(
            "Cannot specify both default reminders and overrides at the same time.",
            "cannotUseDefaultRemindersAndSpecifyOverride",
        )
    if len(overrides) > 5:
        raise invalid("Too many reminder overrides: at most 5 are allowed.")
    for reminder in overrides:
        if reminder.get("method") not in ("email", "popup"):
            raise invalid("Invalid reminder method.", "required")
        if not isinstance(reminder.get("minutes"), int) or not 0 <= reminder["minutes"] <= 40320:
            raise invalid("Invalid reminder minutes.")
    for attendee in event.get("attendees") or []:
        if not attendee.get("email"):
            raise invalid("Missing attendee email.", "required")
    for scope in ("private", "shared"):
        properties = (event.get("extendedProperties") or {}).get(scope) or {}
        for key, value in properties.items():
            if not isinstance(value, str) or len(key) > 44 or len(value) > 1024:
                raise invalid(f"Invalid extended property {key!r}.")


def _send_updates(call: Call) -> None:
    if call.arg("sendUpdates", "none") not in ("all", "externalOnly", "none"):
        raise invalid(f"Invalid value for sendUpdates: {call.arg('sendUpdates')}")


def _html_link(event_id: str, calendar: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def event_create(user: FakeUser, body: dict[str, Any]) -> dict[str, Any]:
    """Validate and store a new event; callers hold the lock. Returns the stored resource."""
    event_id = body.get("id") or secrets.token_hex(13)
    if not isinstance(event_id, str) or not _ID.fullmatch(event_id):
        raise invalid("Invalid resource id value.")
    if event_id in user.events:
        # A deleted event keeps its id: inserting it again is still a duplicate.
        raise api_error(409, "duplicate", "The requested identifier already exists.")
    _validate(body, user.time_zone)
    now = _rfc3339(user.now())
    event = {
        "kind": "calendar#event",
        "etag": user.next_etag(),
        "id": event_id,
        "status": "confirmed",
        "htmlLink": _html_link(event_id, user.email),
        "created": now,
        "updated": now,
        "creator": {"email": user.email, "self": True},
        "organizer": {"email": user.email, "self": True},
        "iCalUID": f"{event_id}@google.com",
        "sequence": 0,
        "reminders": {"useDefault": True},
        "eventType": "default",
    }
    event.update({key: copy.deepcopy(body[key]) for key in _WRITABLE if key in body})
    user.events[event_id] = event
    return event


def _touch(user: FakeUser, event: dict[str, Any], before: dict[str, Any]) -> None:
    event["etag"] = user.next_etag()
    event["updated"] = _rfc3339(user.now())
    if (event.get("start"), event.get("end")) != (before.get("start"), before.get("end")):
        event["sequence"] = before.get("sequence", 0) + 1


def _existing(user: FakeUser, event_id: str) -> dict[str, Any]:
    event = user.events.get(event_id)
    if event is None:
        raise not_found()
    return event


def insert(google: FakeGoogle, call: Call) -> Reply:
    user = _calendar(call)
    _send_updates(call)
    with google.lock:
        return Reply.json(200, event_create(user, call.json_body()))


def get(google: FakeGoogle, call: Call) -> Reply:
    user = _calendar(call)
    with google.lock:
        # Google still returns a deleted event, with status "cancelled".
        return Reply.json(200, _existing(user, call.params["eventId"]))


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Patch semantics: objects merge field by field, arrays and values replace, null clears."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def patch(google: FakeGoogle, call: Call) -> Reply:
    user = _calendar(call)
    _send_updates(call)
    body = call.json_body()
    with google.lock:
        event = _existing(user, call.params["eventId"])
        before = copy.deepcopy(event)
        candidate = copy.deepcopy(event)
        _merge(candidate, {key: value for key, value in body.items() if key in _WRITABLE})
        _validate(candidate, user.time_zone)
        event.clear()
        event.update(candidate)
        _touch(user, event, before)
        return Reply.json(200, event)


def update(google: FakeGoogle, call: Call) -> Reply:
    user = _calendar(call)
    _send_updates(call)
    body = call.json_body()
    with google.lock:
        event = _existing(user, call.params["eventId"])
        _validate(body, user.time_zone)
        before = copy.deepcopy(event)
        for key in _WRITABLE:
            event.pop(key, None)
        event.update({key: copy.deepcopy(body[key]) for key in _WRITABLE if key in body})
        event.setdefault("status", "confirmed")
        event.setdefault("reminders", {"useDefault": True})
        _touch(user, event, before)
        return Reply.json(200, event)


def delete(google: FakeGoogle, call: Call) -> Reply:
    user = _calendar(call)
    _send_updates(call)
    with google.lock:
        event = _existing(user, call.params["eventId"])
        if event["status"] == "cancelled":
            raise api_error(410, "deleted", "Resource has been deleted")
        before = copy.deepcopy(event)
        event["status"] = "cancelled"
        _touch(user, event, before)
    return Reply(204, b"", "")


def _property_filters(call: Call, scope: str) -> list[tuple[str, str]]:
    filters = []
    for value in call.args(f"{scope}ExtendedProperty"):
        key, sep, wanted = value.partition("=")
        if not sep or not key:
            raise invalid(f"Invalid {scope}ExtendedProperty: {value}")
        filters.append((key, wanted))
    return filters


def list_events(google: FakeGoogle, call: Call) -> Reply:
    user = _calendar(call)
    time_min = parse_instant(call.arg("timeMin") or "", "timeMin") if call.arg("timeMin") else None
    time_max = parse_instant(call.arg("timeMax") or "", "timeMax") if call.arg("timeMax") else None
    order_by = call.arg("orderBy")
    if order_by not in (None, "startTime", "updated"):
        raise invalid(f"Invalid value for orderBy: {order_by}")
    if order_by == "startTime" and not call.flag("singleEvents"):
        raise api_error(
            400, "badRequest", "The requested ordering is not available for the particular query."
        )
    filters = {scope: _property_filters(call, scope) for scope in ("private", "shared")}
    show_deleted = call.flag("showDeleted")
    page_size = call.int_arg("maxResults", 250, 2500)
    offset = 0
    if call.arg("pageToken"):
        token = call.arg("pageToken") or ""
        if not token.isdigit():
            raise invalid("Invalid pageToken")
        offset = int(token)
    with google.lock:
        selected = []
        for event in user.events.values():
            start, _ = event_instant(event["start"], user.time_zone, "start")
            end, _ = event_instant(event["end"], user.time_zone, "end")
            if event["status"] == "cancelled" and not show_deleted:
                continue
            if (time_min and end <= time_min) or (time_max and start >= time_max):
                continue
            properties = event.get("extendedProperties") or {}
            if any(
                (properties.get(scope) or {}).get(key) != wanted
                for scope, pairs in filters.items()
                for key, wanted in pairs
            ):
                continue
            selected.append((start, event))
        if order_by == "updated":
            selected.sort(key=lambda pair: pair[1]["updated"])
        else:
            selected.sort(key=lambda pair: (pair[0], pair[1]["id"]))
        page = [copy.deepcopy(event) for _, event in selected[offset : offset + page_size]]
        result: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": user.next_etag(),
            "summary": user.email,
            "updated": _rfc3339(user.now()),
            "timeZone": user.time_zone,
            "accessRole": "owner",
            "defaultReminders": _DEFAULT_REMINDERS,
            "items": page,
        }
    if offset + page_size < len(selected):
        result["nextPageToken"] = str(offset + page_size)
    return Reply.json(200, result)


def get_calendar(google: FakeGoogle, call: Call) -> Reply:
    user = _calendar(call)
    return Reply.json(
        200,
        {
            "kind": "calendar#calendar",
            "etag": user.next_etag(),
            "id": user.email,
            "summary": user.email,
            "timeZone": user.time_zone,
        },
    )


_EVENTS = "/calendar/v3/calendars/{calendarId}/events"
ROUTES = [
    route("POST", _EVENTS, "calendar.events.insert", insert, WRITE_SCOPES),
    route("GET", _EVENTS, "calendar.events.list", list_events, READ_SCOPES),
    route("GET", _EVENTS + "/{eventId}", "calendar.events.get", get, READ_SCOPES),
    route("PATCH", _EVENTS + "/{eventId}", "calendar.events.patch", patch, WRITE_SCOPES),
    route("PUT", _EVENTS + "/{eventId}", "calendar.events.update", update, WRITE_SCOPES),
    route("DELETE", _EVENTS + "/{eventId}", "calendar.events.delete", delete, WRITE_SCOPES),
    route(
        "GET", "/calendar/v3/calendars/{calendarId}", "calendar.calendars.get", get_calendar, CALENDAR_SCOPES
    ),
]
