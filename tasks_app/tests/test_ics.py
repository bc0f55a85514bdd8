"""The ICS feed checked line by line against RFC 5545 (iCalendar) and RFC 7986 (its new properties).

Calendar apps are strict in different ways: Outlook drops a feed whose X-PUBLISHED-TTL is not a duration,
Google ignores a REFRESH-INTERVAL without VALUE=DURATION. So the test reads the bytes itself rather than
trusting that icalendar, which parses leniently, can read them back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client
from icalendar import Calendar, vCalAddress, vDDDTypes, vDuration, vInt, vText, vUri

from accounts.services import profile_for
from tasks_app.ics import ics_feed
from tasks_app.models import LocalCalendarEvent


def _text(value: str) -> object:
    # TEXT (RFC 5545 3.3.11): a backslash escapes only \ ; , n N, and ; , appear only escaped.
    if re.search(r"\\[^\\;,nN]|(?<!\\)[;,]|[\r\n]", re.sub(r"\\\\", "", value)):
        raise ValueError(f"badly escaped TEXT: {value!r}")
    return vText.from_ical(value)


def _utc_date_time(value: str) -> object:
    # DTSTAMP, LAST-MODIFIED and CREATED "MUST be specified in the UTC time format" (RFC 5545 3.8.7).
    if not re.fullmatch(r"\d{8}T\d{6}Z", value):
        raise ValueError(f"not a UTC DATE-TIME: {value!r}")
    return vDDDTypes.from_ical(value)


def _date_time(value: str) -> object:
    # The feed defines no VTIMEZONE, so a DATE-TIME must be in UTC, not floating or TZID-bound.
    return _utc_date_time(value)


def _version(value: str) -> object:
    if value != "2.0":
        raise ValueError(f"VERSION must be 2.0, not {value!r}")
    return value


def _one_of(*allowed: str) -> Callable[[str], object]:
    def parse(value: str) -> object:
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {allowed}")
        return value

    return parse


def _non_negative_int(value: str) -> object:
    number = vInt.from_ical(value)
    if number < 0:
        raise ValueError(f"negative: {value}")
    return number


def _positive_duration(value: str) -> object:
    duration = vDuration.from_ical(value)
    if duration <= dt.timedelta(0):
        raise ValueError(f"not a positive duration: {value}")
    return duration


@dataclass(frozen=True)
class Rule:
    parse: Callable[[str], object]
    once: bool = True  # "MUST NOT occur more than once"
    params: tuple[tuple[str, str], ...] = ()  # parameters that must be present, with their value


# Every property the feed may carry, per component, with its RFC value type. A property missing here is
# not allowed unless its name starts with X-.
CALENDAR_PROPERTIES: dict[str, Rule] = {
    "PRODID": Rule(_text),  # RFC 5545 3.7.3
    "VERSION": Rule(_version),  # 3.7.4
    "CALSCALE": Rule(_one_of("GREGORIAN")),  # 3.7.1
    "METHOD": Rule(_one_of("PUBLISH")),  # 3.7.2 (RFC 5546 methods; a feed only publishes)
    "NAME": Rule(_text, once=False),  # RFC 7986 5.1
    "DESCRIPTION": Rule(_text, once=False),  # RFC 7986 5.2
    "UID": Rule(_text),  # RFC 7986 5.3
    "URL": Rule(vUri.from_ical),  # RFC 7986 5.5
    "LAST-MODIFIED": Rule(_utc_date_time),  # RFC 7986 5.4
    "REFRESH-INTERVAL": Rule(_positive_duration, params=(("VALUE", "DURATION"),)),  # RFC 7986 5.7
    "COLOR": Rule(_text),  # RFC 7986 5.9
    # The de-facto names Outlook and Apple read; their values are typed like their RFC 7986 twins.
    "X-WR-CALNAME": Rule(_text),
    "X-WR-TIMEZONE": Rule(_text),
    "X-PUBLISHED-TTL": Rule(_positive_duration),
}
EVENT_PROPERTIES: dict[str, Rule] = {
    "UID": Rule(_text),  # RFC 5545 3.8.4.7
    "DTSTAMP": Rule(_utc_date_time),  # 3.8.7.2
    "DTSTART": Rule(_date_time),  # 3.8.2.4
    "DTEND": Rule(_date_time),  # 3.8.2.2
    "DURATION": Rule(_positive_duration),  # 3.8.2.5
    "SUMMARY": Rule(_text),  # 3.8.1.12
    "DESCRIPTION": Rule(_text),  # 3.8.1.5
    "LOCATION": Rule(_text),  # 3.8.1.7
    "LAST-MODIFIED": Rule(_utc_date_time),  # 3.8.7.3
    "CREATED": Rule(_utc_date_time),  # 3.8.7.1
    "SEQUENCE": Rule(_non_negative_int),  # 3.8.7.4
    "TRANSP": Rule(_one_of("OPAQUE", "TRANSPARENT")),  # 3.8.2.7
    "CLASS": Rule(_one_of("PUBLIC", "PRIVATE", "CONFIDENTIAL")),  # 3.8.1.3
    "STATUS": Rule(_one_of("TENTATIVE", "CONFIRMED", "CANCELLED")),  # 3.8.1.11
    "URL": Rule(vUri.from_ical),  # 3.8.4.6
    "ORGANIZER": Rule(vCalAddress.from_ical),  # 3.8.4.3
    "COLOR": Rule(_text),  # RFC 7986 5.9
}
COMPONENT_PROPERTIES = {"VCALENDAR": CALENDAR_PROPERTIES, "VEVENT": EVENT_PROPERTIES}
REQUIRED = {"VCALENDAR": {"PRODID", "VERSION"}, "VEVENT": {"UID", "DTSTAMP", "DTSTART"}}


@dataclass
class ContentLine:
    name: str
    params: dict[str, str]
    value: str


@dataclass
class Component:
    name: str
    lines: list[ContentLine]


_CONTENT_LINE = re.compile(
    r'([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)*):(.*)'
)
_PARAM = re.compile(r';([A-Za-z0-9-]+)=("[^"]*"|[^";:]*)')


def physical_lines(feed: bytes) -> list[bytes]:
    assert feed.endswith(b"\r\n"), "the last line must end with CRLF"
    lines = feed[:-2].split(b"\r\n")
    for number, line in enumerate(lines, 1):
        assert b"\n" not in line and b"\r" not in line, f"line {number} has a bare CR or LF"
        # RFC 5545 3.1: "Lines of text SHOULD NOT be longer than 75 octets, excluding the line break."
        assert len(line) <= 75, f"line {number} is {len(line)} octets"
    return lines


def components(feed: bytes) -> list[Component]:
    """Unfold the lines (RFC 5545 3.1), split each into name, parameters and value, group by component."""
    unfolded: list[bytes] = []
    for line in physical_lines(feed):
        if line[:1] in (b" ", b"\t"):
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    stack: list[Component] = []
    found: list[Component] = []
    for raw in unfolded:
        text = raw.decode("utf-8")  # the whole stream is UTF-8 (RFC 5545 3.1.4)
        match = _CONTENT_LINE.fullmatch(text)
        assert match, f"not a content line: {text!r}"
        name, params, value = match.group(1).upper(), match.group(2), match.group(3)
        if name == "BEGIN":
            stack.append(Component(value.upper(), []))
        elif name == "END":
            component = stack.pop()
            assert component.name == value.upper(), f"END:{value} closes BEGIN:{component.name}"
            found.append(component)
        else:
            assert stack, f"{name} outside any component"
            parsed = {key.upper(): val.strip('"') for key, val in _PARAM.findall(params)}
            stack[-1].lines.append(ContentLine(name, parsed, value))
    assert not stack, "a component is not closed"
    return found


def rfc_problems(feed: bytes) -> list[str]:
    problems: list[str] = []
    found = components(feed)
    if [c.name for c in found if c.name == "VCALENDAR"] != ["VCALENDAR"]:
        problems.append("the feed must be exactly one VCALENDAR")
    for component in found:
        rules = COMPONENT_PROPERTIES.get(component.name)
        if rules is None:
            problems.append(f"unexpected component {component.name}")
            continue
        names = [line.name for line in component.lines]
        for missing in sorted(REQUIRED[component.name] - set(names)):
            problems.append(f"{component.name} lacks {missing}")
        for line in component.lines:
            rule = rules.get(line.name)
            if rule is None:
                if not line.name.startswith("X-"):
                    problems.append(f"{line.name} is not a {component.name} property of RFC 5545 or 7986")
                continue
            if rule.once and names.count(line.name) > 1:
                problems.append(f"{component.name} has {line.name} more than once")
            for param, expected in rule.params:
                if line.params.get(param, "").upper() != expected:
                    problems.append(f"{line.name} needs {param}={expected}")
            try:
                rule.parse(line.value)
            except ValueError as error:
                problems.append(f"{line.name}:{line.value} is invalid ({error})")
        if component.name == "VEVENT":
            problems += event_problems(component)
    return sorted(set(problems))


def event_problems(event: Component) -> list[str]:
    values = {line.name: line.value for line in event.lines}
    if "DTEND" in values and "DURATION" in values:
        return ["a VEVENT has both DTEND and DURATION"]
    if "DTEND" not in values and "DURATION" not in values:
        # RFC 5545 allows neither, but then a DATE-TIME event lasts no time at all: not a block of work.
        return ["a VEVENT has neither DTEND nor DURATION"]
    if "DTEND" in values and "DTSTART" in values:
        start, end = vDDDTypes.from_ical(values["DTSTART"]), vDDDTypes.from_ical(values["DTEND"])
        if not end > start:
            return [f"DTEND {values['DTEND']} is not after DTSTART {values['DTSTART']}"]
    return []


# The checker itself: each rule must catch what it is for, or a clean result proves nothing.
GOOD_CALENDAR = (
    "BEGIN:VCALENDAR\r\nPRODID:-//x//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1@x\r\n"
    "DTSTAMP:20261201T100000Z\r\nDTSTART:20261201T150000Z\r\nDTEND:20261201T153000Z\r\n"
    "SUMMARY:Ok\\, fine\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("VERSION:2.0\r\n", "", "VCALENDAR lacks VERSION"),
        ("PRODID:-//x//EN\r\n", "", "VCALENDAR lacks PRODID"),
        ("VERSION:2.0", "VERSION:1.0", "VERSION:1.0 is invalid"),
        (
            "VERSION:2.0\r\n",
            "VERSION:2.0\r\nX-PUBLISHED-TTL:1:00:00\r\n",
            "X-PUBLISHED-TTL:1:00:00 is invalid",
        ),
        (
            "VERSION:2.0\r\n",
            "VERSION:2.0\r\nREFRESH-INTERVAL:PT1H\r\n",
            "REFRESH-INTERVAL needs VALUE=DURATION",
        ),
        (
            "VERSION:2.0\r\n",
            "VERSION:2.0\r\nREFRESH-INTERVAL;VALUE=DURATION:1 hour\r\n",
            "REFRESH-INTERVAL:1 hour is invalid",
        ),
        ("UID:1@x\r\n", "", "VEVENT lacks UID"),
        ("DTSTAMP:20261201T100000Z\r\n", "", "VEVENT lacks DTSTAMP"),
        ("DTSTAMP:20261201T100000Z", "DTSTAMP:20261201T100000", "DTSTAMP:20261201T100000 is invalid"),
        ("DTSTART:20261201T150000Z\r\n", "", "VEVENT lacks DTSTART"),
        ("DTEND:20261201T153000Z\r\n", "", "a VEVENT has neither DTEND nor DURATION"),
        (
            "DTEND:20261201T153000Z\r\n",
            "DTEND:20261201T153000Z\r\nDURATION:PT30M\r\n",
            "both DTEND and DURATION",
        ),
        ("DTEND:20261201T153000Z", "DTEND:20261201T150000Z", "is not after DTSTART"),
        ("SUMMARY:Ok\\, fine", "SUMMARY:Ok, fine", "badly escaped TEXT"),
        ("SUMMARY:Ok\\, fine", "SUMMARY:Ok; fine", "badly escaped TEXT"),
        ("SUMMARY:Ok\\, fine", "SUMMARY:Ok\\x fine", "badly escaped TEXT"),
        ("SUMMARY:Ok\\, fine\r\n", "SUMMARY:Ok\r\nSUMMARY:Twice\r\n", "VEVENT has SUMMARY more than once"),
        ("SUMMARY:Ok\\, fine", "GEOGRAPHY:somewhere", "GEOGRAPHY is not a VEVENT property"),
        ("SUMMARY:Ok\\, fine", "TRANSP:SOLID", "TRANSP:SOLID is invalid"),
    ],
)
def test_the_checker_catches_each_rfc_violation(old: str, new: str, problem: str) -> None:
    assert rfc_problems(GOOD_CALENDAR.encode()) == []

    problems = rfc_problems(GOOD_CALENDAR.replace(old, new, 1).encode())

    assert any(problem in found for found in problems), problems


@pytest.mark.parametrize(
    ("feed", "message"),
    [
        (GOOD_CALENDAR.replace("\r\n", "\n").encode(), "CRLF"),
        (GOOD_CALENDAR.replace("SUMMARY:Ok", "SUMMARY:" + "x" * 80).encode(), "octets"),
    ],
)
def test_the_checker_catches_bad_line_endings_and_long_lines(feed: bytes, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        rfc_problems(feed)


# The feed


@pytest.fixture
def awkward_events(alice: User) -> list[LocalCalendarEvent]:
    start = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
    return [
        LocalCalendarEvent.objects.create(
            user=alice,
            event_id="a1b2c3",
            # Commas, semicolons, backslashes and newlines must be escaped; accents are two octets each,
            # so folding by characters rather than octets would overrun 75.
            summary="Review Renée's résumé; send notes, then call Zoë \\ Chris",
            description="Line one, with a comma.\nLine two; with a semicolon.\n" + "é" * 120,
            start=start,
            end=start + dt.timedelta(minutes=45),
            sequence=2,
        ),
        LocalCalendarEvent.objects.create(
            user=alice,
            event_id="d4e5f6",
            summary="Submit expense report",
            start=start + dt.timedelta(days=1),
            end=start + dt.timedelta(days=1, minutes=30),
        ),
    ]


@pytest.mark.django_db
def test_the_feed_follows_rfc_5545_and_rfc_7986(
    alice: User, awkward_events: list[LocalCalendarEvent], client: Client
) -> None:
    response = client.get(f"/calendar/{profile_for(alice).feed_token}.ics")

    assert response.status_code == 200
    assert rfc_problems(response.content) == []
    events = [c for c in components(response.content) if c.name == "VEVENT"]
    assert len(events) == len(awkward_events)


@pytest.mark.django_db
def test_the_feed_asks_to_be_polled_hourly_in_both_dialects(alice: User) -> None:
    calendar = Calendar.from_ical(ics_feed(user=alice, timezone_name="America/New_York"))

    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in calendar.to_ical()
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in calendar.to_ical()


@pytest.mark.django_db
def test_the_feed_escapes_and_folds_text_so_it_reads_back_unchanged(
    alice: User, awkward_events: list[LocalCalendarEvent]
) -> None:
    feed = ics_feed(user=alice, timezone_name="America/New_York")

    assert any(line.startswith(b" ") for line in physical_lines(feed)), "the long description is folded"
    events = {str(e["UID"]).split("@")[0]: e for e in Calendar.from_ical(feed).walk("VEVENT")}
    first = awkward_events[0]
    assert str(events[first.event_id]["SUMMARY"]) == first.summary
    assert str(events[first.event_id]["DESCRIPTION"]) == first.description
