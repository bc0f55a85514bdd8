"""Calendar invitations (text/calendar parts) as typed, timezone-aware events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from email.message import Message

from .decoding import PARSE_ERRORS, decode_bytes
from .headers import collapse, within_every_zone
from .parts import child_parts, content_type, part_bytes, part_charset


@dataclass(frozen=True)
class CalendarInvite:
    """One VEVENT from a text/calendar part. Datetimes are timezone-aware."""

    summary: str
    start: datetime | None
    end: datetime | None
    location: str
    method: str  # REQUEST, CANCEL, REPLY, PUBLISH... ("" if absent)
    all_day: bool = False
    uid: str = ""


def _as_aware(value: object, fallback_tz: tzinfo) -> tuple[datetime | None, bool]:
    """Convert an iCalendar DTSTART/DTEND value to an aware datetime (and whether it is all-day)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            # Floating time: the organiser's wall clock; the message's zone is the best hint.
            return within_every_zone(value.replace(tzinfo=fallback_tz)), False
        return within_every_zone(value), False
    if isinstance(value, date):
        return within_every_zone(datetime.combine(value, time.min, tzinfo=fallback_tz)), True
    return None, False


def _parse_calendar(
    data: bytes, charset: str | None, part_method: str, fallback_tz: tzinfo
) -> list[CalendarInvite]:
    from icalendar import Calendar  # local: only needed for messages with invites

    try:
        calendar = Calendar.from_ical(decode_bytes(data, charset or "utf-8"))
    except Exception:
        return []
    method = str(calendar.get("method", "") or part_method).strip().upper()
    invites: list[CalendarInvite] = []
    for event in calendar.walk("VEVENT"):
        try:
            start, all_day = _as_aware(event.decoded("dtstart", None), fallback_tz)
            end, _ = _as_aware(event.decoded("dtend", None), fallback_tz)
            if end is None and start is not None and "duration" in event:
                end = within_every_zone(start + event.decoded("duration"))
        except (*PARSE_ERRORS, OverflowError):
            start, end, all_day = None, None, False
        invites.append(
            CalendarInvite(
                summary=collapse(str(event.get("summary", ""))),
                start=start,
                end=end,
                location=collapse(str(event.get("location", ""))),
                method=method,
                all_day=all_day,
                uid=str(event.get("uid", "")).strip(),
            )
        )
    return invites


def _iter_calendar_parts(part: Message) -> Iterator[Message]:
    ctype = content_type(part)
    if ctype == "message/rfc822":
        return  # an attached message's invites belong to that message, gathered with its body
    if ctype in {"text/calendar", "application/ics"}:
        yield part
    for child in child_parts(part):
        yield from _iter_calendar_parts(child)


def calendar_invites(msg: Message, fallback_tz: tzinfo) -> list[CalendarInvite]:
    invites: list[CalendarInvite] = []
    for part in _iter_calendar_parts(msg):
        try:
            part_method = str(part.get_param("method") or "")
        except PARSE_ERRORS:
            part_method = ""
        invites.extend(_parse_calendar(part_bytes(part), part_charset(part), part_method, fallback_tz))
    return invites


def dedupe_invites(invites: list[CalendarInvite]) -> list[CalendarInvite]:
    # Google and Outlook attach the same event twice (inline text/calendar and invite.ics).
    seen: set[tuple[object, ...]] = set()
    unique: list[CalendarInvite] = []
    for invite in invites:
        key = (invite.uid, invite.summary, invite.start, invite.end, invite.method)
        if key not in seen:
            seen.add(key)
            unique.append(invite)
    return unique
