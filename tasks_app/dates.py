"""Find date/time phrases in email text and resolve them to aware datetimes.

Everything resolves against ``reference`` (the email's Date header), never the clock, so the same email
always yields the same due dates. A phrase is resolved in the zone it states ("3pm PT", "10:00 CET") or
names by place ("Friday EOD London time", "hora de Madrid"), else in the reader's home zone. Relative days
count from the sender's date: the Date header in its own offset (``sender_date``). Spanish, French and
German phrases go to tasks_app.date_languages (Duckling for the day, these conventions for the time).
Calendar arithmetic is done on naive local dates and only then attached
to the zone, so a date across a DST change keeps its wall-clock time (9am stays 9am).

Conventions (see docs/extraction.md; each is pinned by a test in tests/test_dates.py):

- EOD / COB / "end of (the) day" / "close of business" = 17:00 local.
- morning = 09:00, afternoon = 14:00, evening / tonight / night = 19:00, noon / midday / lunch = 12:00,
  midnight = 23:59 of that day (the end of it, because "by midnight Friday" means during Friday).
- A date without a time ("Dec 3", "Friday", "next week") is a deadline at 17:00 local; ``has_time`` is False.
- A time without a date ("noon", "14:00", "EOD") is its next occurrence strictly after the reference.
- A bare weekday ("Friday") is the next such day strictly after the reference date: said on a Friday it
  means the Friday after. "today" is the way to say the same day.
- "this <weekday>" is the next such day on or after the reference date (same day = today).
- "next <weekday>" is that weekday in the calendar week after the reference's week (weeks start on
  Monday); so on Wednesday "next Tuesday" is 6 days out and "next Friday" 9 days out.
- "next week" = Monday of the next week; "this week" / "end of the week" / EOW = Friday of this week
  (or the coming Friday on a weekend); "end of the month" / EOM = the last day of the month.
- "in N days/weeks" adds calendar days; "in N business days" skips Saturdays and Sundays; "in N hours"
  / "in N minutes" is exact elapsed time.
- A month/day that has already passed this year rolls to next year; "3/12" is US month/day.
- A bare hour after "at", "by", "before", "until", "no later than" ("at 3", "before 10") and a clock time
  without am/pm ("3:30") are pm for 1-6 and as said for 7-12 (business hours); "03:30" is 24-hour.
- "10–11:30", "from 2 to 3:30", "10 until 11:30": a range, both ends in business hours.
- Zone abbreviations name the region's wall clock, not a fixed offset: people write "EST" in July and
  mean New York time, so EST, EDT and ET all resolve in America/New_York. "GMT+1" / "UTC-5" are fixed
  offsets; "your time" / "local time" the reader's zone, "my time" the Date header's offset.
- A day already past ("last Tuesday", "yesterday", "2 days ago") is never a due date; nor is a bracketed
  date before a deadline ("(week of Nov 23) by Friday") or when someone is away ("out until Monday")
  when a later date follows: the sentence's next phrase is used (``_deadline_group``).
- "20/11" (no 20th month) is day/month; "3/12" is month/day unless the reader lives where English writes
  the day first (UK, Ireland, Australia, New Zealand, India, Singapore, South Africa); "20.11." after a
  word that leads a date is day.month.
- A clock beside a part of the day is in that half of it: "at 7:30 tonight" is 19:30, "at 3 in the
  morning" 03:00. "first thing" is 09:00; "half past two" 14:30; "at three" 15:00 (business hours).
- mid-<month> = the 15th, end of <month> / of Q2 = its last day; "Friday next week" = "next Friday";
  "by the weekend" = Friday, "this / over the weekend" = Saturday.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from accounts.timezones import UnknownTimeZone, timezone_resolve

__all__ = [
    "PLACE_ALIASES",
    "ZONE_ABBREVIATIONS",
    "ResolvedDate",
    "find_deadline_phrases",
    "find_due_phrases",
    "resolve_due",
    "sender_date",
    "zone_for_place",
]

# Written zone -> IANA zone whose wall clock the writer means.
ZONE_ABBREVIATIONS: dict[str, str] = {
    "PT": "America/Los_Angeles",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "MT": "America/Denver",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "CT": "America/Chicago",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "ET": "America/New_York",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "UTC": "UTC",
    "GMT": "UTC",
    "Z": "UTC",
    "BST": "Europe/London",
    "WET": "Europe/Lisbon",
    "WEST": "Europe/Lisbon",
    "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin",
    "EET": "Europe/Helsinki",
    "EEST": "Europe/Helsinki",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "SGT": "Asia/Singapore",
    "HKT": "Asia/Hong_Kong",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "NZST": "Pacific/Auckland",
    "NZDT": "Pacific/Auckland",
    "PACIFIC": "America/Los_Angeles",
    "MOUNTAIN": "America/Denver",
    "CENTRAL": "America/Chicago",
    "EASTERN": "America/New_York",
    "LONDON": "Europe/London",
    "UK": "Europe/London",
}

DEADLINE_DEFAULT = dt.time(17, 0)
EOD = dt.time(17, 0)
PARTS_OF_DAY: dict[str, dt.time] = {
    "morning": dt.time(9, 0),
    "afternoon": dt.time(14, 0),
    "evening": dt.time(19, 0),
    "night": dt.time(19, 0),
    "tonight": dt.time(19, 0),
    "noon": dt.time(12, 0),
    "midday": dt.time(12, 0),
    "lunch": dt.time(12, 0),
    "lunchtime": dt.time(12, 0),
    "midnight": dt.time(23, 59),
}

_WEEKDAY_NAMES = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tues": 1,
    "tue": 1,
    "wednesday": 2,
    "weds": 2,
    "wed": 2,
    "thursday": 3,
    "thurs": 3,
    "thur": 3,
    "thu": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_MONTH_NAMES = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "couple of": 2,
    "few": 3,
}

# Full weekday names match in any case; abbreviations only capitalised ("Wed", not "wed"), because
# "sat", "sun" and "wed" are ordinary words.
_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|(?-i:Mon|Tues|Tue|Weds|Wed|Thurs|Thur|Thu|Fri|Sat|Sun)\.?(?![\w'])"
    r"|(?-i:MON|TUE|WED|THU|FRI))"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_MERIDIEM = r"(?:a\.m\.|p\.m\.|am\b|pm\b|a\.m\b|p\.m\b)"
_ZONE_WORDS = "|".join(
    sorted((z for z in ZONE_ABBREVIATIONS if z.isupper() and len(z) <= 4), key=len, reverse=True)
)
# A place written with its capital: "London", "New York", "Ciudad de México".
_PLACE = r"(?-i:[A-ZÀ-Ý][\w'.-]*(?:\s+(?:de\s+)?[A-ZÀ-Ý][\w'.-]*){0,2})"
# A zone named by place: "London time", "hora de Madrid", "heure de Paris", "Londoner Zeit".
_PLACE_ZONE = (
    rf"(?:{_PLACE}\s+time\b|(?:hora|heure)\s+(?:de\s+|d'|en\s+)?{_PLACE}"
    rf"|(?:{_PLACE}|deutscher|spanischer|französischer|britischer)\s+Zeit\b)"
)
_ZONE = (
    r"(?:(?:your|my|our|local)\s+time\b(?:\s*\((?-i:[A-Z]{2,5})\))?)|"
    rf"(?:\(?(?-i:(?:{_ZONE_WORDS})(?:[+-]\d{{1,2}})?(?:/(?:{_ZONE_WORDS}))?)\)?(?![\w])"
    rf"|\(?{_PLACE_ZONE}\)?"
    r"|(?:pacific|mountain|central|eastern|london|uk)(?:\s+time)?\b)"
)
_CLOCK = rf"(?:\d{{1,2}}(?:[:.]\d{{2}})?\s*{_MERIDIEM}|\d{{1,2}}:\d{{2}}(?!\d)|noon|midnight)"
_HOUR_NUMBERS = {word: n for n, word in enumerate(
    "one two three four five six seven eight nine ten eleven twelve".split(), start=1)}  # fmt: skip
_HOUR_WORDS = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_ORDINAL_WORDS: dict[str, int] = {
    word: number
    for number, word in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth"
        " fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(),
        start=1,
    )
} | {f"twenty-{w}": 20 + n for w, n in (("first", 1), ("second", 2), ("third", 3), ("fourth", 4),
     ("fifth", 5), ("sixth", 6), ("seventh", 7), ("eighth", 8), ("ninth", 9))} | {
    "thirtieth": 30, "thirty-first": 31}  # fmt: skip
_ORDINAL = "(?:" + "|".join(sorted(_ORDINAL_WORDS, key=len, reverse=True)) + ")"
_NUM = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple\s+of|few)"

# Each atom is one of: a date (which day), a time (which time of day), or both ("tonight").
_DATE_ATOM = re.compile(
    rf"""
    (?P<iso>(?<![\d-])\d{{4}}-\d{{2}}-\d{{2}}(?![\d-]))
    |(?P<mon>{_MONTH})\s+(?P<md>\d{{1,2}}){_ORD}(?!\d|:|\s*(?:am|pm|a\.m|p\.m)\b)(?:,?\s+(?P<my>\d{{4}}))?\b
    |(?:the\s+)?(?P<dm>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon2>{_MONTH})(?:,?\s+(?P<my2>\d{{4}}))?\b
    |(?P<nm>(?<![\d/.$])\d{{1,2}})/(?P<nd>\d{{1,2}})(?:/(?P<ny>\d{{4}}|\d{{2}}))?(?![/\d])
    |(?P<dotted>(?<![\d.$,])(?P<dd>\d{{1,2}})\.(?P<dmo>\d{{1,2}})\.(?:(?P<dy>\d{{4}}|\d{{2}})(?![\d.]))?)(?!\d)
    |(?P<past>yesterday|last\s+night|(?:last|this\s+past|past)\s+(?:{_WEEKDAY}|week|month|weekend)
        |earlier\s+today|{_NUM}\s+(?:days?|weeks?|months?)\s+ago)(?![\w])
    |(?P<dat>(?:the\s+)?day\s+after\s+(?:tomorrow|tmrw))
    |(?P<fromnow>(?P<fn>{_NUM})\s+(?P<fu>days?|weeks?)\s+from\s+(?:today|now))\b
    |(?P<fromday>(?P<fdn>{_NUM})\s+(?P<fdu>days?|weeks?)\s+(?:from|after)\s+(?P<fdnext>next\s+)?(?P<fdref>{_WEEKDAY}|tomorrow))(?![\w])
    |(?P<weekon>(?P<won>a|one|two|2|three|3)\s+weeks?\s+(?:(?P<wotoday>today|tomorrow)|on\s+(?P<wowd>{_WEEKDAY})))(?![\w])
    |(?P<yearend>(?:the\s+)?year[-\s]end|(?-i:EOY))\b
    |(?P<weekafter>(?:the\s+)?week\s+after\s+next)\b
    |(?P<midmon>(?:mid-?\s*|(?:the\s+)?middle\s+of\s+)(?P<mmon>{_MONTH}))(?![\w])
    |(?P<endmon>(?:the\s+)?(?:end|close)\s+of\s+(?P<emon>{_MONTH}))(?![\w])
    |(?P<endq>(?:the\s+)?end\s+of\s+(?:the\s+)?(?-i:Q(?P<q>[1-4])))\b
    |the\s+(?P<nth>\d{{1,2}})(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?{_MONTH})
    |(?P<tonight>tonight|tonite)\b
    |(?P<today>today)\b
    |(?P<tomorrow>tomorrow|tomorow|tmrw|tmr)\b
    |(?P<in>(?:in|within)\s+(?:the\s+)?(?:next\s+)?(?P<n>{_NUM})\s+(?P<unit>business\s+days?|working\s+days?|days?|weeks?|fortnights?|hours?|hrs?|minutes?|mins?))\b
    |(?P<nextweek>within\s+the\s+next\s+(?:week|7\s+days))\b
    |(?P<weekend>(?P<wepre>by|before|over|this|the|on|at|next|end\s+of)\s+(?:the\s+|this\s+)?(?P<wenext>next\s+)?weekend)\b
    |(?:the\s+)?(?P<ordw>{_ORDINAL})\s+of\s+(?P<omon>{_MONTH})(?![\w])
    |(?P<omon2>{_MONTH})\s+(?:the\s+)?(?P<ordw2>{_ORDINAL})\b
    |(?P<endper>(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<enext>next\s+)?(?P<per>week|month|year))\b
    |(?P<eow>(?-i:EOW|EOM))\b
    |(?P<nwwd>next\s+week,?\s+(?:on\s+)?(?P<wdnw2>{_WEEKDAY}))(?![\w])
    |(?P<relweek>(?P<rwq>next|this|the\s+following)\s+(?P<rwu>week|month))\b
    |(?P<wdnw>(?P<wdnw1>{_WEEKDAY}),?\s+(?:of\s+|in\s+)?next\s+week)\b
    |(?:the\s+)?(?P<wdan>{_WEEKDAY})\s+after\s+next\b
    |(?P<wdweek>{_WEEKDAY})\s+week\b
    |(?P<wdnext>{_WEEKDAY})\s+next\b
    |(?P<midweek>mid-?\s*week|(?:the\s+)?middle\s+of\s+(?:the\s+|this\s+)?week|(?:mid|the\s+middle\s+of)[-\s]+next\s+week)\b
    |(?:(?P<wq>next|this\s+coming|this|coming)\s+)?(?P<wd>{_WEEKDAY})(?:,?\s+(?:the\s+)?(?P<wdnum>\d{{1,2}}){_ORD}(?![\d:/]|\s*(?:am|pm|a\.m|p\.m)\b|(?:st|nd|rd|th)?\s*(?:of\s+)?{_MONTH}|\s*(?:-|–|—|to\s|until\s|till\s)\s*(?:\d|noon|midday)))?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_TIME_ATOM = re.compile(
    rf"""
    (?P<range>(?:from\s+|between\s+)?(?P<r1>\d{{1,2}}(?:[:.]\d{{2}})?)\s*(?P<ap1>{_MERIDIEM})?\s*(?:-|–|—|to|until|till|and)\s*
        (?P<r2>\d{{1,2}}(?:[:.]\d{{2}})?)\s*(?P<ap2>{_MERIDIEM}))(?:\s*(?P<rzone>{_ZONE}))?
    |(?P<noonrange>(?:from\s+|between\s+)?(?P<n1>\d{{1,2}}(?:[:.]\d{{2}})?)\s*(?P<nap1>{_MERIDIEM})?\s*(?:-|–|—|to|until|till|and)\s*
        (?P<n2>noon|midday))(?:\s*(?P<nzone>{_ZONE}))?
    |(?P<between>between\s+(?P<b1>\d{{1,2}})\s+and\s+(?P<b2>\d{{1,2}})(?![\d:.])
        (?:\s*(?P<bwzone>{_ZONE})|(?=\s*(?:[.,;!?)]|$|on\b|today\b|tomorrow\b|this\b|next\b|{_WEEKDAY}))))
    |(?P<range24>(?:from\s+|between\s+)?(?P<s1>\d{{1,2}}:\d{{2}})\s*(?:-|–|—|to|until|till|and)\s*(?P<s2>\d{{1,2}}:\d{{2}}))
        (?:\s*(?P<szone>{_ZONE}))?
    |(?P<hrange>(?:from\s+|between\s+)?(?P<h1>\d{{1,2}})\s*(?:-|–|—|to|until|till)\s*(?P<h2>\d{{1,2}}[:.]\d{{2}})
        |(?:from\s+|between\s+)?(?P<h3>\d{{1,2}}[:.]\d{{2}})\s*(?:-|–|—|to|until|till|and)\s*(?P<h4>\d{{1,2}})
        (?![\d:.]|\s*{_MERIDIEM}))(?:\s*(?P<hzone>{_ZONE}))?
    |(?P<clock>{_CLOCK})(?:\s*(?P<czone>{_ZONE}))?
    |(?P<spoken>(?P<sfrac>half|(?:a\s+)?quarter)\s+(?P<sdir>past|after|to|till|of)\s+(?P<shour>\d{{1,2}}|{_HOUR_WORDS})(?![\w:.])
        (?:\s*(?P<sap>{_MERIDIEM}))?)(?:\s*(?P<spzone>{_ZONE}))?
    |(?:at|around)\s+(?P<wordh>{_HOUR_WORDS})(?:\s+(?P<wordm>thirty|fifteen|forty-five|o'?clock))?
        (?:\s*(?P<wzone>{_ZONE})|(?=\s*(?:[.,;!?)]|$|on\b|tomorrow\b|today\b|sharp\b|then\b|{_WEEKDAY})))
    |(?:(?:at|by|before|until|till|(?:no|not)\s+later\s+than)\s+|@\s*)(?P<bare>\d{{1,2}})(?![.,:]\d)(?:\s*o'?clock)?
        (?:\s*(?P<bzone>{_ZONE})|(?=\s*(?:[.,;!?)]|$|on\b|tomorrow\b|today\b|tonight\b|in\s+the\s+(?:morning|afternoon|evening)\b|instead\b|sharp\b|then\b|if\b|or\b|please\b|works?\b|suits?\b|would\b|is\b|ok\b|okay\b|{_WEEKDAY}|(?:to|for)\s+(?![\d:]))))
    |(?P<eod>\b(?:eod|eob|cob|c\.o\.b\.?)(?![\w])|end\s+of\s+(?:the\s+)?(?:business\s+|work\s+)?day|(?:close|end)\s+of\s+(?:business|play)
        |(?:the\s+)?end\s+of(?=\s+(?:today|tomorrow|tmrw)\b)
        |end\s+of\s+business)(?:\s*(?P<ezone>{_ZONE}))?
    |(?P<first>first\s+thing(?:\s+in\s+the\s+morning)?)\b
        (?=\s*(?:[.,;!?)]|$|(?:on\s+)?(?:tomorrow|tmrw|today|next|this|{_WEEKDAY}))(?![\w']))
    |(?:this\s+|the\s+)?\b(?P<part>morning|afternoon|evening|night|lunchtime|lunch|midday)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# What may sit between two atoms of one phrase: "Friday EOD", "tomorrow at 3pm", "3pm on Monday".
_JOINER = re.compile(
    r"^(?:[\s,(]|at\b|@|on\b|by\b|before\b|around\b|in\s+the\b|in\b|from\b)*$", re.IGNORECASE
)


@dataclass(frozen=True)
class ResolvedDate:
    due: dt.datetime  # aware, in the zone the phrase was resolved in
    has_time: bool  # False when only a day was given and ``due`` is the 17:00 deadline default
    end: dt.datetime | None = None  # end of a stated range ("2pm-3pm")
    phrase: str = ""
    zone: str = ""  # IANA zone the phrase was resolved in
    zone_stated: bool = False  # True when the phrase named its zone ("3pm PT")

    @property
    def duration_minutes(self) -> int | None:
        if self.end is None:
            return None
        return int((self.end - self.due).total_seconds() // 60)


@dataclass
class _Atom:
    kind: str  # "date", "time" or "both"
    start: int
    end: int
    match: re.Match[str]


# The extractor asks about the same sentence several times (its due date, its title): parse it once.
@functools.lru_cache(maxsize=4096)
def _atoms(text: str) -> tuple[_Atom, ...]:
    found: list[_Atom] = []
    for m in _TIME_ATOM.finditer(text):
        found.append(_Atom("time", m.start(), m.end(), m))
    for m in _DATE_ATOM.finditer(text):
        if m.group("nm") and not _day_and_month(int(m.group("nm")), int(m.group("nd"))):
            continue  # "24/7", "50/50": numbers with a slash, not dates
        if m.group("dotted") and not (
            _day_and_month(int(m.group("dd")), int(m.group("dmo"))) and _DATE_LEAD.search(text[: m.start()])
        ):
            continue  # "version 3.4.", "section 2.1.": a dotted date needs a word that leads a date
        found.append(_Atom("both" if m.group("tonight") else "date", m.start(), m.end(), m))
    # Keep the longest of overlapping atoms ("Dec 3" over "3"), earliest first.
    found.sort(key=lambda a: (a.start, -(a.end - a.start)))
    kept: list[_Atom] = []
    for atom in found:
        if kept and atom.start < kept[-1].end:
            if atom.end - atom.start > kept[-1].end - kept[-1].start:
                kept[-1] = atom
            continue
        kept.append(atom)
    return tuple(kept)


def _day_and_month(first: int, second: int) -> bool:
    """Whether two numbers can be a day and a month in some order ("3/12", "20/11", not "24/7")."""
    if {first, second} == {24, 7}:
        return False  # "24/7" is round the clock
    return 1 <= min(first, second) and ((first <= 12 and second <= 31) or (second <= 12 and first <= 31))


# What comes before a dotted date ("by 20.11.", "on Friday, 20.11."): "version 3.4." is not one.
_DATE_LEAD = re.compile(
    rf"(?:\b(?:by|on|before|until|till|due|for|from|after|of|deadline)|{_WEEKDAY},?|:)\s*$", re.IGNORECASE
)


def _groups(text: str) -> list[list[_Atom]]:
    """Atoms that form one phrase: adjacent, joined only by connectives, at most one date and one time."""
    groups: list[list[_Atom]] = []
    for atom in _atoms(text):
        if groups:
            last = groups[-1]
            kinds = {a.kind for a in last}
            clash = atom.kind in kinds or "both" in kinds or (atom.kind == "both" and kinds)
            # A weekday next to an absolute date ("Monday, Dec 3") is one phrase; the date wins.
            if clash and atom.kind == "date" and _is_weekday_date_pair(last, atom):
                clash = False
            if clash and _clock_with_part(last, atom):
                clash = False
            if not clash and _JOINER.match(text[last[-1].end : atom.start]):
                last.append(atom)
                continue
        groups.append([atom])
    return groups


def _is_part(atom: _Atom) -> bool:
    """A part of the day ("morning", "tonight"), which a clock time next to it makes precise."""
    return atom.kind == "both" or bool(atom.kind == "time" and atom.match.group("part"))


def _clock_with_part(group: list[_Atom], atom: _Atom) -> bool:
    """ "at 7:30 tonight", "this evening at 8", "at 7 tomorrow evening": one clock, one part of the
    day, at most one day."""
    atoms = [*group, atom]
    parts = [a for a in atoms if _is_part(a)]
    clocks = [a for a in atoms if a.kind == "time" and not _is_part(a)]
    days = [a for a in atoms if a.kind in ("date", "both")]
    return len(parts) == 1 and len(clocks) == 1 and len(days) <= 1


_MERIDIEM_IN = re.compile(rf"\d\s*{_MERIDIEM}", re.IGNORECASE)


def _in_half_of_day(time: dt.time, part: dt.time) -> dt.time:
    """A clock without am/pm in the half of the day its part names: "7:30 tonight" is 19:30, "at 3 in the
    morning" 03:00 (business hours had made it 15:00)."""
    if part.hour >= 12 and 1 <= time.hour < 12 and part != PARTS_OF_DAY["noon"]:
        return time.replace(hour=time.hour + 12)
    if part.hour < 12 and time.hour > 12:
        return time.replace(hour=time.hour - 12)
    return time


def _is_weekday_date_pair(group: list[_Atom], atom: _Atom) -> bool:
    dates = [a for a in group if a.kind == "date"]
    if len(dates) != 1:
        return False
    first, second = dates[0].match, atom.match
    absolute = ("mon", "dm", "nm", "iso")
    return bool(first.group("wd") and not first.group("wq") and any(second.group(g) for g in absolute))


def find_due_phrases(text: str) -> list[tuple[str, int, int]]:
    """Return (phrase, start, end) for each date/time phrase in ``text``, in order; in Spanish, French
    or German (tasks_app.date_languages) too."""
    found = []
    for group in _groups(text):
        start, end = group[0].start, _group_end(text, group)
        found.append((text[start:end], start, end))
    language = _other_language(text)
    if language is None:
        return found
    from tasks_app.date_languages import find_foreign_due_phrases

    foreign = find_foreign_due_phrases(text, language)
    # The other language's reading wins where both found something ("a las 15:00" over "15:00").
    kept = [p for p in found if not any(p[1] < f[2] and f[1] < p[2] for f in foreign)]
    return sorted(foreign + kept, key=lambda p: p[1])


def _other_language(text: str) -> str | None:
    from tasks_app.date_languages import date_language

    return date_language(text)


def _zone_of(word: str | None) -> str | None:
    if not word:
        return None
    word = " ".join(word.strip("() ").split())
    own = _OWN_TIME.match(word)
    if own:
        # "3pm my time (CET)": the zone in brackets; "your time", "local time": the reader's;
        # "my time", "our time": the sender's (their Date header's offset, see _resolve).
        if own.group("zone"):
            return ZONE_ABBREVIATIONS.get(own.group("zone").upper())
        return SENDER_ZONE if own.group("who").lower() in ("my", "our") else READER_ZONE
    place = _PLACE_WORDS.match(word)
    if place and (zone := zone_for_place(next(g for g in place.groups() if g))):
        return zone
    offset = re.fullmatch(r"(?:UTC|GMT)\s*([+-])\s*(\d{1,2})", word.upper())
    if offset and 0 < int(offset.group(2)) <= (14 if offset.group(1) == "+" else 12):
        # "UTC+5" is five hours ahead of UTC; the Etc zones count the other way ("Etc/GMT-5").
        return f"Etc/GMT{'-' if offset.group(1) == '+' else '+'}{int(offset.group(2))}"
    # "Pacific time", "Eastern Time": region words, not places.
    token = re.split(r"[\s/+\-]", word.upper())[0]
    return ZONE_ABBREVIATIONS.get(token)


_OWN_TIME = re.compile(
    r"^(?P<who>your|my|our|local)\s+time(?:\s*\(?(?P<zone>[A-Za-z]{2,5})\)?)?$", re.IGNORECASE
)
# Markers _zone_of returns for "my time" and "your time"; _resolve turns them into zones.
SENDER_ZONE, READER_ZONE = "@sender", "@reader"
# The place inside a zone named by place ("New York" in "New York time"), in the forms _PLACE_ZONE takes.
_PLACE_WORDS = re.compile(
    r"^(?:(.+?)\s+time|(?:hora|heure)\s+(?:de\s+|d'|en\s+)?(.+)|(.+?)\s+Zeit)$", re.IGNORECASE
)
# Places people name that zone.tab doesn't list (it has one city per zone), in English, Spanish, French
# and German; and the German adjectives ("Londoner Zeit"). Values are names accounts.timezones knows.
PLACE_ALIASES: dict[str, str] = {
    "londres": "London", "londoner": "London", "nueva york": "New York", "new yorker": "New York",
    "berlín": "Berlin", "berliner": "Berlin", "parís": "Paris", "pariser": "Paris", "wiener": "Vienna",
    "viena": "Vienna", "vienne": "Vienna", "wien": "Vienna", "münchen": "Berlin", "munich": "Berlin",
    "múnich": "Berlin", "münchner": "Berlin", "frankfurt": "Berlin", "frankfurter": "Berlin",
    "hamburg": "Berlin", "hamburger": "Berlin", "köln": "Berlin", "cologne": "Berlin",
    "deutscher": "Berlin", "spanischer": "Madrid", "französischer": "Paris", "britischer": "London",
    "madrider": "Madrid", "barcelona": "Madrid", "valencia": "Madrid", "sevilla": "Madrid",
    "seville": "Madrid", "españa": "Madrid", "spain": "Madrid", "espagne": "Madrid", "spanien": "Madrid",
    "peninsular": "Madrid", "lyon": "Paris", "marseille": "Paris", "toulouse": "Paris",
    "milan": "Rome", "milano": "Rome", "milán": "Rome", "roma": "Rome", "rom": "Rome",
    "lisboa": "Lisbon", "lissabon": "Lisbon", "bruselas": "Brussels", "bruxelles": "Brussels",
    "brüssel": "Brussels", "ginebra": "Zurich", "genève": "Zurich", "geneva": "Zurich", "genf": "Zurich",
    "zúrich": "Zurich", "zürich": "Zurich", "varsovia": "Warsaw", "varsovie": "Warsaw",
    "warschau": "Warsaw", "moscú": "Moscow", "moscou": "Moscow", "moskau": "Moscow",
    "ciudad de méxico": "Mexico City", "méxico": "Mexico City", "mexico": "Mexico City",
    "tokio": "Tokyo", "pekín": "Shanghai", "pékin": "Shanghai", "peking": "Shanghai",
    "beijing": "Shanghai", "mumbai": "Kolkata", "bombay": "Kolkata", "delhi": "Kolkata",
    "new delhi": "Kolkata", "bangalore": "Kolkata", "bengaluru": "Kolkata", "india": "Kolkata",
    "san francisco": "Los Angeles", "sf": "Los Angeles", "seattle": "Los Angeles",
    "silicon valley": "Los Angeles", "california": "Los Angeles", "boston": "New York",
    "washington": "New York", "dc": "New York", "miami": "New York", "atlanta": "New York",
    "philadelphia": "New York", "dallas": "Chicago", "houston": "Chicago", "austin": "Chicago",
    "montreal": "Toronto", "montréal": "Toronto", "sídney": "Sydney", "melbourne": "Melbourne",
}  # fmt: skip


@functools.lru_cache(maxsize=512)
def zone_for_place(name: str) -> str | None:
    """The IANA zone of a city or country named in a date phrase ("London", "Nueva York", "Germany"),
    or None when the name is not a place we know or names a country with several zones."""
    key = " ".join(name.split()).lower()
    place = PLACE_ALIASES.get(key, key)
    try:
        # A fixed day keeps the resolver off the clock; it only decides whether a country's zones agree.
        return timezone_resolve(place, today=_COUNTRY_ZONES_CHECKED_ON)
    except UnknownTimeZone:
        return None


_COUNTRY_ZONES_CHECKED_ON = dt.date(2026, 1, 1)


def _city_zone(name: str) -> str | None:
    """The zone of a city written right after a time ("9am Paris"). Only cities: after a time, a country
    or region name is more often a person ("call me at 3pm Jordan")."""
    zone = zone_for_place(name)
    key = " ".join(name.split()).lower()
    if zone and (key in PLACE_ALIASES or zone.rsplit("/", 1)[-1].replace("_", " ").lower() == key):
        return zone
    return None


def _hm(text: str) -> tuple[int, int]:
    hour, _, minute = text.replace(".", ":").partition(":")
    return int(hour), int(minute or 0)


def _apply_meridiem(hour: int, meridiem: str | None) -> int:
    if not meridiem:
        return hour
    if meridiem.lower().startswith("p"):
        return hour if hour == 12 else hour + 12
    return 0 if hour == 12 else hour


def _valid_time(hour: int, minute: int) -> bool:
    return 0 <= hour <= 23 and 0 <= minute <= 59


def _parse_clock(text: str) -> dt.time | None:
    lowered = text.lower().strip()
    if lowered in PARTS_OF_DAY:
        return PARTS_OF_DAY[lowered]
    m = re.match(rf"(\d{{1,2}}(?:[:.]\d{{2}})?)\s*({_MERIDIEM})?", lowered)
    if not m:
        return None
    hour, minute = _hm(m.group(1))
    if m.group(2) and not 1 <= hour <= 12:
        return None
    if not m.group(2) and not m.group(1).startswith("0"):
        # "call at 3:30" is 15:30, as "at 3" is 15:00; "03:30" is written as a 24-hour time.
        hour = _business_hour(hour)
    hour = _apply_meridiem(hour, m.group(2))
    return dt.time(hour, minute) if _valid_time(hour, minute) else None


@dataclass
class _TimeSpec:
    time: dt.time
    end: dt.time | None = None
    zone: str | None = None


def _time_spec(m: re.Match[str]) -> _TimeSpec | None:
    if m.group("range"):
        h1, m1 = _hm(m.group("r1"))
        h2, m2 = _hm(m.group("r2"))
        if not (1 <= h2 <= 12 and 0 <= h1 <= 12):
            return None
        end_h = _apply_meridiem(h2, m.group("ap2"))
        # "2-3pm": the start borrows the end's meridiem unless that would put it after the end ("11-1pm").
        start_h = _apply_meridiem(h1, m.group("ap1") or m.group("ap2"))
        if not m.group("ap1") and start_h * 60 + m1 > end_h * 60 + m2:
            start_h = _apply_meridiem(h1, "am")
        if not (_valid_time(start_h, m1) and _valid_time(end_h, m2)):
            return None
        return _TimeSpec(dt.time(start_h, m1), dt.time(end_h, m2), _zone_of(m.group("rzone")))
    if m.group("noonrange"):
        h1, m1 = _hm(m.group("n1"))
        start_h = _apply_meridiem(h1, m.group("nap1")) if m.group("nap1") else _business_hour(h1)
        if not (_valid_time(start_h, m1) and start_h < 12):
            return None
        return _TimeSpec(dt.time(start_h, m1), dt.time(12, 0), _zone_of(m.group("nzone")))
    if m.group("between"):
        h1, h2 = _business_hour(int(m.group("b1"))), _business_hour(int(m.group("b2")))
        if not (_valid_time(h1, 0) and _valid_time(h2, 0) and h1 < h2 and int(m.group("b2")) <= 12):
            return None
        return _TimeSpec(dt.time(h1, 0), dt.time(h2, 0), _zone_of(m.group("bwzone")))
    if m.group("range24"):
        h1, m1 = _hm(m.group("s1"))
        h2, m2 = _hm(m.group("s2"))
        if not (_valid_time(h1, m1) and _valid_time(h2, m2)):
            return None
        return _TimeSpec(dt.time(h1, m1), dt.time(h2, m2), _zone_of(m.group("szone")))
    if m.group("hrange"):
        # "10–11:30", "from 2 to 3:30": no am/pm on either side, so both are business hours.
        first, second = m.group("h1") or m.group("h3"), m.group("h2") or m.group("h4")
        (h1, m1), (h2, m2) = _hm(first), _hm(second)
        if not (1 <= h1 <= 12 and 1 <= h2 <= 12):
            return None
        start_h, end_h = _business_hour(h1), _business_hour(h2)
        if not (_valid_time(start_h, m1) and _valid_time(end_h, m2)):
            return None
        return _TimeSpec(dt.time(start_h, m1), dt.time(end_h, m2), _zone_of(m.group("hzone")))
    if m.group("clock"):
        parsed = _parse_clock(m.group("clock"))
        return _TimeSpec(parsed, zone=_zone_of(m.group("czone"))) if parsed else None
    if m.group("bare"):
        hour = int(m.group("bare"))
        if not 1 <= hour <= 12:
            return None
        return _TimeSpec(dt.time(_business_hour(hour), 0), zone=_zone_of(m.group("bzone")))
    if m.group("spoken"):
        raw = m.group("shour").lower()
        hour = int(raw) if raw.isdigit() else _HOUR_NUMBERS[raw]
        if not 1 <= hour <= 12:
            return None
        hour = _apply_meridiem(hour, m.group("sap")) if m.group("sap") else _business_hour(hour)
        minutes = 30 if m.group("sfrac").lower() == "half" else 15
        when = dt.datetime.combine(dt.date(2000, 1, 2), dt.time(hour % 24, 0))
        if m.group("sdir").lower() in ("to", "till", "of"):
            when -= dt.timedelta(minutes=minutes)
        else:
            when += dt.timedelta(minutes=minutes)
        return _TimeSpec(when.time(), zone=_zone_of(m.group("spzone")))
    if m.group("wordh"):
        hour = _business_hour(_HOUR_NUMBERS[m.group("wordh").lower()])
        minute = {"thirty": 30, "fifteen": 15, "forty-five": 45}.get((m.group("wordm") or "").lower(), 0)
        return _TimeSpec(dt.time(hour, minute), zone=_zone_of(m.group("wzone")))
    if m.group("eod"):
        return _TimeSpec(EOD, zone=_zone_of(m.group("ezone")))
    if m.group("first"):
        return _TimeSpec(PARTS_OF_DAY["morning"])
    if m.group("part"):
        return _TimeSpec(PARTS_OF_DAY[m.group("part").lower()])
    return None


def _business_hour(hour: int) -> int:
    """A 12-hour clock hour said without am/pm, read in business hours: 1-6 is pm ("at 3" is 15:00),
    7-12 as said ("before 10" is 10:00)."""
    return hour + 12 if 1 <= hour <= 6 else hour


def _number(word: str) -> int:
    word = re.sub(r"\s+", " ", word.lower())
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _add_business_days(day: dt.date, count: int) -> dt.date:
    # Every seven days hold five business days: jump whole weeks, so "in 100000000 business days" is not a
    # loop of a hundred million steps. At least one day is left to step, so the answer is a weekday.
    weeks = max(0, (count - 1) // 5)
    day, count = day + dt.timedelta(weeks=weeks), count - 5 * weeks
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _month_day(today: dt.date, month: int, day: int, year: str | None) -> dt.date | None:
    if year:
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        try:
            return dt.date(full_year, month, day)
        except ValueError:
            return None
    for candidate_year in (today.year, today.year + 1):
        try:
            candidate = dt.date(candidate_year, month, day)
        except ValueError:
            continue  # 29 Feb in a non-leap year: try the next
        if candidate >= today:
            return candidate
    return None


@dataclass
class _DateSpec:
    day: dt.date | None = None
    exact: dt.datetime | None = None  # "in 2 hours": an instant, not a day
    implied_time: dt.time | None = None  # "tonight" says when as well as which day


def _date_spec(m: re.Match[str], ref_local: dt.datetime, today: dt.date) -> _DateSpec | None:
    if m.group("iso"):
        try:
            return _DateSpec(dt.date.fromisoformat(m.group("iso")))
        except ValueError:
            return None
    if m.group("mon") or m.group("mon2"):
        month = _MONTH_NAMES[(m.group("mon") or m.group("mon2")).lower()[:3]]
        day = _month_day(today, month, int(m.group("md") or m.group("dm")), m.group("my") or m.group("my2"))
        return _DateSpec(day) if day else None
    if m.group("nm"):
        first, second = int(m.group("nm")), int(m.group("nd"))
        # US month/day, unless it can't be ("20/11") or the reader lives where English writes day/month.
        day_first = first > 12 or (second <= 12 and _writes_day_first(ref_local))
        month, day_number = (second, first) if day_first else (first, second)
        if not (1 <= month <= 12 and 1 <= day_number <= 31):
            return None
        day = _month_day(today, month, day_number, m.group("ny"))
        return _DateSpec(day) if day else None
    if m.group("dotted"):
        day = _month_day(today, int(m.group("dmo")), int(m.group("dd")), m.group("dy"))
        return _DateSpec(day) if day else None
    if m.group("past"):
        return None
    if m.group("fromday"):
        anchor_match = m.group("fdref").lower().rstrip(".")
        if anchor_match.startswith("tom"):
            anchor = today + dt.timedelta(days=1)
        else:
            target = _WEEKDAY_NAMES[anchor_match]
            if m.group("fdnext"):
                anchor = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1, days=target)
            else:
                anchor = today + dt.timedelta(days=(target - today.weekday()) % 7 or 7)
        days = _number(m.group("fdn")) * (7 if m.group("fdu").lower().startswith("week") else 1)
        return _DateSpec(anchor + dt.timedelta(days=days))
    if m.group("weekon"):
        weeks = _number(m.group("won"))
        if m.group("wowd"):
            target = _WEEKDAY_NAMES[m.group("wowd").lower().rstrip(".")]
            anchor = today + dt.timedelta(days=(target - today.weekday()) % 7 or 7)
        else:
            anchor = today + dt.timedelta(days=1 if m.group("wotoday").lower() == "tomorrow" else 0)
        return _DateSpec(anchor + dt.timedelta(weeks=weeks))
    if m.group("yearend"):
        return _DateSpec(dt.date(today.year, 12, 31))
    if m.group("weekafter"):
        return _DateSpec(today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=2))
    if m.group("midmon") or m.group("endmon"):
        month = _MONTH_NAMES[(m.group("mmon") or m.group("emon")).lower()[:3]]
        if m.group("midmon"):
            day = _month_day(today, month, 15, None)
            return _DateSpec(day) if day else None
        year = today.year + (1 if month < today.month else 0)
        return _DateSpec(dt.date(year, month, calendar.monthrange(year, month)[1]))
    if m.group("endq"):
        last_month = 3 * int(m.group("q"))
        year = today.year + (1 if last_month < today.month else 0)
        return _DateSpec(dt.date(year, last_month, calendar.monthrange(year, last_month)[1]))
    if m.group("dat"):
        return _DateSpec(today + dt.timedelta(days=2))
    if m.group("fromnow"):
        days = _number(m.group("fn")) * (7 if m.group("fu").lower().startswith("week") else 1)
        return _DateSpec(today + dt.timedelta(days=days))
    if m.group("nth"):
        # "by the 15th": that day of this month, or of the next when it has passed.
        number = int(m.group("nth"))
        for months_ahead in range(3):
            year, month = divmod(today.month - 1 + months_ahead, 12)
            try:
                candidate = dt.date(today.year + year, month + 1, number)
            except ValueError:
                continue
            if candidate >= today:
                return _DateSpec(candidate)
        return None
    if m.group("tonight"):
        return _DateSpec(today, implied_time=PARTS_OF_DAY["tonight"])
    if m.group("today"):
        return _DateSpec(today)
    if m.group("tomorrow"):
        return _DateSpec(today + dt.timedelta(days=1))
    if m.group("nextweek"):
        return _DateSpec(today + dt.timedelta(days=7))
    if m.group("weekend"):
        return _DateSpec(_weekend_day(m, today))
    if m.group("ordw") or m.group("ordw2"):
        month = _MONTH_NAMES[(m.group("omon") or m.group("omon2")).lower()[:3]]
        number = _ORDINAL_WORDS[(m.group("ordw") or m.group("ordw2")).lower()]
        day = _month_day(today, month, number, None)
        return _DateSpec(day) if day else None
    if m.group("in"):
        count, unit = _number(m.group("n")), m.group("unit").lower()
        if unit.startswith(("business", "working")):
            return _DateSpec(_add_business_days(today, count))
        if unit.startswith("day"):
            return _DateSpec(today + dt.timedelta(days=count))
        if unit.startswith("week"):
            return _DateSpec(today + dt.timedelta(weeks=count))
        if unit.startswith("fortnight"):
            return _DateSpec(today + dt.timedelta(weeks=2 * count))
        minutes = count * 60 if unit.startswith(("hour", "hr")) else count
        return _DateSpec(exact=ref_local + dt.timedelta(minutes=minutes))
    if m.group("endper") or m.group("eow"):
        period = (m.group("per") or ("week" if m.group("eow").upper() == "EOW" else "month")).lower()
        shift = 1 if m.group("enext") else 0
        if period == "week":
            # Friday of this work week; on a weekend, the coming one.
            friday = today + dt.timedelta(days=(4 - today.weekday()) % 7)
            return _DateSpec(friday + dt.timedelta(weeks=shift))
        if period == "month":
            year, month = divmod(today.month - 1 + shift, 12)
            year += today.year
            month += 1
            return _DateSpec(dt.date(year, month, calendar.monthrange(year, month)[1]))
        return _DateSpec(dt.date(today.year + shift, 12, 31))
    if m.group("relweek"):
        qualifier, unit = m.group("rwq").lower(), m.group("rwu").lower()
        if unit == "week":
            monday = today - dt.timedelta(days=today.weekday())
            if qualifier == "this":
                return _DateSpec(today + dt.timedelta(days=(4 - today.weekday()) % 7))
            return _DateSpec(monday + dt.timedelta(weeks=1))
        if qualifier == "this":
            last = calendar.monthrange(today.year, today.month)[1]
            return _DateSpec(dt.date(today.year, today.month, last))
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return _DateSpec(dt.date(year, month, 1))
    next_monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
    if m.group("wdnw") or m.group("nwwd") or m.group("wdnext"):
        # "Friday next week", "next week on Friday", "Wednesday next": as "next Friday".
        name = m.group("wdnw1") or m.group("wdnw2") or m.group("wdnext")
        return _DateSpec(next_monday + dt.timedelta(days=_WEEKDAY_NAMES[name.lower().rstrip(".")]))
    if m.group("wdan"):
        target = _WEEKDAY_NAMES[m.group("wdan").lower().rstrip(".")]
        return _DateSpec(next_monday + dt.timedelta(weeks=1, days=target))
    if m.group("wdweek"):
        # "Friday week" (British): a week after the coming Friday.
        target = _WEEKDAY_NAMES[m.group("wdweek").lower().rstrip(".")]
        return _DateSpec(today + dt.timedelta(days=((target - today.weekday()) % 7 or 7) + 7))
    if m.group("midweek"):
        monday = next_monday if "next" in m.group("midweek").lower() else next_monday - dt.timedelta(weeks=1)
        return _DateSpec(max(monday + dt.timedelta(days=2), today))
    if m.group("wd"):
        target = _WEEKDAY_NAMES[m.group("wd").lower().rstrip(".")]
        qualifier = re.sub(r"\s+", " ", (m.group("wq") or "").lower())
        if qualifier == "next":
            next_monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
            return _DateSpec(next_monday + dt.timedelta(days=target))
        ahead = (target - today.weekday()) % 7
        if ahead == 0 and qualifier not in ("this",):
            ahead = 7  # a bare weekday never means today
        day = today + dt.timedelta(days=ahead)
        if m.group("wdnum"):
            # "Friday 12th": trust the day number if it agrees with a nearby date, else the weekday.
            for offset in range(60):
                candidate = today + dt.timedelta(days=offset)
                if candidate.day == int(m.group("wdnum")) and candidate.weekday() == target:
                    return _DateSpec(candidate)
        return _DateSpec(day)
    return None


# Zones of readers whose English writes the day first ("3/12" is 3 December): the UK and Ireland,
# Australia, New Zealand, India, Singapore, South Africa.
_DAY_FIRST_ZONES = ("Europe/London", "Europe/Dublin", "Europe/Belfast", "Pacific/Auckland", "Asia/Kolkata",
                    "Asia/Calcutta", "Asia/Singapore", "Africa/Johannesburg")  # fmt: skip


def _writes_day_first(ref_local: dt.datetime) -> bool:
    key = getattr(ref_local.tzinfo, "key", "")
    return key in _DAY_FIRST_ZONES or key.startswith("Australia/")


def _weekend_day(m: re.Match[str], today: dt.date) -> dt.date:
    """ "by the weekend" is Friday (before it starts), "end of the weekend" Sunday, "this / over the
    weekend" Saturday; "next weekend" is the one of the next calendar week."""
    lead = " ".join(m.group("wepre").lower().split())
    monday = today - dt.timedelta(days=today.weekday())
    if lead == "next" or m.group("wenext"):
        monday += dt.timedelta(weeks=1)
    elif today.weekday() == 6 and lead != "end of":
        monday += dt.timedelta(weeks=1)  # on a Sunday, "this weekend" has gone: the coming one
    if lead in ("by", "before"):
        return max(monday + dt.timedelta(days=4), today)
    return monday + dt.timedelta(days=6 if lead == "end of" else 5)


def _localize(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    # Round-trip through UTC so a wall time that doesn't exist (spring-forward gap) becomes a real instant.
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC).astimezone(zone)


_FOREIGN_PLACE_ZONE = re.compile(
    rf"\s*,?\s*\(?(?P<zone>(?:hora|heure)\s+(?:de\s+|d'|en\s+)?{_PLACE}"
    rf"|(?:{_PLACE}|deutscher|spanischer|französischer|britischer)\s+Zeit\b)\)?",
    re.IGNORECASE,
)


def foreign_place_zone(text: str, *, anchored: bool) -> tuple[str, int, int] | None:
    """A zone named by place in Spanish, French or German ("hora de Londres", "heure de Paris",
    "Londoner Zeit") at the start of ``text`` (``anchored``) or anywhere in it: (IANA zone, length of
    the words, where they start), or None when there is none or the place is unknown."""
    matches = [_FOREIGN_PLACE_ZONE.match(text)] if anchored else list(_FOREIGN_PLACE_ZONE.finditer(text))
    for m in matches:
        if m is None:
            continue
        words = m.group("zone").split()
        # The capitalised words may start too early ("Uhr Londoner Zeit"): try the shorter tails.
        for skip in range(len(words) - 1):
            zone = _zone_of(" ".join(words[skip:]))
            if zone:
                start = m.start() if skip == 0 else text.index(words[skip], m.start("zone"))
                return zone, m.end() - start, start
    return None


_CITY_AFTER = re.compile(rf"\s+(?P<city>{_PLACE})(?=\s*(?:[.,;!?)]|$|(?-i:[a-z])))")


def sender_date(reference: dt.datetime, *, fallback_zone: dt.tzinfo) -> dt.date:
    """The sender's calendar date when they wrote: "tomorrow" in an email sent Monday 23:30 -08:00 is
    Tuesday even where the reader already is on Tuesday. The Date header's offset is the sender's clock;
    an offset of zero says nothing (servers and "-0000" stamp UTC), so then the date is taken in
    ``fallback_zone`` (the phrase's zone)."""
    if reference.utcoffset() == dt.timedelta(0):
        return reference.astimezone(fallback_zone).date()
    return reference.date()


_ZONE_AFTER_GROUP = re.compile(rf"\s*(?P<zone>{_ZONE})", re.IGNORECASE)


def _group_end(text: str, group: list[_Atom]) -> int:
    """Where a phrase ends: after a zone that follows its last atom ("EOD Friday PST") when the phrase
    has none of its own."""
    end = group[-1].end
    after = _ZONE_AFTER_GROUP.match(text, end)
    if after and _zone_of(after.group("zone")) and not _stated_zone(group):
        end = after.end("zone")
    inside = text[group[0].start : end]
    if inside.count("(") > inside.count(")") and text[end : end + 1] == ")":
        end += 1  # "Monday (Dec 3)": the bracket opened inside the phrase closes with it
    return end


def _stated_zone(group: list[_Atom]) -> bool:
    return any(atom.kind == "time" and any(atom.match.group(g) for g in _ZONE_GROUPS) for atom in group)


_ZONE_GROUPS = ("rzone", "szone", "hzone", "czone", "bzone", "ezone", "nzone", "bwzone", "spzone", "wzone")


def _date_only(group: list[_Atom]) -> bool:
    return all(atom.kind == "date" for atom in group)


def _sender_zone(reference: dt.datetime) -> str | None:
    """The zone of "my time": the Date header's offset as a fixed zone ("Etc/GMT+5" is UTC-5), when it
    is a whole number of hours and not zero (a zero offset says nothing about the sender)."""
    offset = reference.utcoffset()
    if not offset or offset % dt.timedelta(hours=1):
        return None
    hours = int(offset / dt.timedelta(hours=1))
    return f"Etc/GMT{-hours:+d}"


def _deadline_group(text: str, groups: list[list[_Atom]]) -> list[_Atom] | None:
    """The phrase a sentence's due date is in: the first one, but not a day already past ("last
    Tuesday", "yesterday"), a date in brackets that a later deadline follows ("the launch shoot (week
    of Nov 23) by Friday"), or when someone is away when a later date follows ("out until Monday")."""
    candidates = [g for g in groups if not any(a.kind != "time" and a.match.group("past") for a in g)]
    for index, group in enumerate(candidates):
        later = candidates[index + 1 :]
        if later and _in_brackets(text, group) and _date_only(group):
            if any(_DEADLINE_LEAD.search(text[: g[0].start]) for g in later):
                continue
        if later and _ABSENCE_LEAD.search(text[: group[0].start]):
            continue  # "I'm out until Monday, so please send it by Friday": when someone is away
        return group
    return None


# Words before a day that say when someone is away or back, not when something is due.
_ABSENCE_LEAD = re.compile(
    r"\b(?:out(?:\s+of\s+(?:the\s+)?office)?|away|off|OOO|on\s+(?:leave|vacation|holiday|PTO)|travell?ing"
    r"|back|returning|return)\b(?:\s+[\w']+){0,2}?\s+(?:until|till|through|thru|from|on|since)?\s*$",
    re.IGNORECASE,
)
_DEADLINE_LEAD = re.compile(r"\b(?:by|before|until|till|no\s+later\s+than|due(?:\s+on)?)\s*$", re.IGNORECASE)


def _in_brackets(text: str, group: list[_Atom]) -> bool:
    before = text[: group[0].start]
    return before.rfind("(") > before.rfind(")") and ")" in text[group[-1].end :]


def find_deadline_phrases(text: str) -> list[tuple[str, int, int]]:
    """find_due_phrases without the phrases a due date is never in: days already past and bracketed
    dates a later deadline follows (see _deadline_group). The extractor resolves these in order."""
    phrases = find_due_phrases(text)
    groups = _groups(text)
    chosen = _deadline_group(text, groups)
    skipped = [g for g in groups[: groups.index(chosen)]] if chosen is not None else groups
    spans = [(g[0].start, g[-1].end) for g in skipped]
    return [p for p in phrases if not any(p[1] < end and start < p[2] for start, end in spans)]


def resolve_due(phrase: str, *, reference: dt.datetime, timezone: str) -> ResolvedDate | None:
    """Resolve the first date/time phrase in ``phrase`` against ``reference`` (aware).

    ``timezone`` is the reader's IANA zone, used unless the phrase states its own.
    Returns None when there is no phrase or it names an impossible date, one past the calendar's end
    included ("in 99999999999 days", or "tomorrow" in a Date header of 31 Dec 9999).
    """
    if reference.tzinfo is None or reference.utcoffset() is None:
        raise ValueError("reference must be an aware datetime (the email's Date header)")
    try:
        return _resolve(phrase, reference=reference, timezone=timezone)
    except (OverflowError, ValueError):
        return None


def _resolve(phrase: str, *, reference: dt.datetime, timezone: str) -> ResolvedDate | None:
    language = _other_language(phrase)
    if language is not None:
        # Imported here: tasks_app.date_languages builds on this module's conventions.
        from tasks_app.date_languages import resolve_foreign_due

        resolved = resolve_foreign_due(phrase, reference=reference, timezone=timezone, language=language)
        if resolved is not None:
            return resolved
    group = _deadline_group(phrase, _groups(phrase))
    if group is None:
        return None
    text = phrase[group[0].start : group[-1].end]
    time_spec: _TimeSpec | None = None
    date_matches: list[re.Match[str]] = []
    part_of_day: dt.time | None = None
    for atom in group:
        if atom.kind == "time":
            spec = _time_spec(atom.match)
            if spec is None:
                return None
            if _is_part(atom) and any(a.kind == "time" and not _is_part(a) for a in group):
                part_of_day = spec.time  # "at 7:30 tonight": the clock says when, the part which half
                continue
            time_spec = spec
        else:
            date_matches.append(atom.match)
            if atom.kind == "both" and len(group) > 1:
                part_of_day = PARTS_OF_DAY["tonight"]
    if time_spec is not None and part_of_day is not None and not _MERIDIEM_IN.search(text):
        time_spec.time = _in_half_of_day(time_spec.time, part_of_day)

    if time_spec is None or time_spec.zone is None:
        # "EOD Friday PST": a zone after the day names the zone of the whole phrase.
        after = _ZONE_AFTER_GROUP.match(phrase, group[-1].end)
        if after and (after_zone := _zone_of(after.group("zone"))):
            time_spec = time_spec or (_TimeSpec(DEADLINE_DEFAULT) if _date_only(group) else None)
            if time_spec is not None:
                time_spec.zone = after_zone
                text = phrase[group[0].start : after.end("zone")]
    if time_spec is not None and time_spec.zone is None:
        # "9am Paris": a known city right after the time names its zone too.
        city = _CITY_AFTER.match(phrase, group[-1].end)
        if city and (city_zone := _city_zone(city.group("city"))):
            time_spec.zone = city_zone
            text = phrase[group[0].start : city.end("city")]
    zone_name = (time_spec.zone if time_spec and time_spec.zone else None) or timezone
    if zone_name in (SENDER_ZONE, READER_ZONE):
        sender = _sender_zone(reference) if zone_name == SENDER_ZONE else None
        zone_name = sender or timezone
    zone = ZoneInfo(zone_name)
    ref_local = reference.astimezone(zone)
    stated = bool(time_spec and time_spec.zone)
    today = sender_date(reference, fallback_zone=zone)

    date_spec: _DateSpec | None = None
    # With "Monday, Dec 3" the absolute date is the more specific of the two.
    for match in sorted(date_matches, key=lambda mm: 1 if mm.group("wd") else 0):
        date_spec = _date_spec(match, ref_local, today)
        if date_spec is not None:
            break
    if date_matches and date_spec is None:
        return None

    if date_spec is not None and date_spec.exact is not None:
        return ResolvedDate(date_spec.exact, True, None, text, zone_name, stated)

    time = time_spec.time if time_spec else (date_spec.implied_time if date_spec else None)
    end_time = time_spec.end if time_spec else None
    if date_spec is not None and date_spec.day is not None:
        day = date_spec.day
    else:
        # A time on its own is its next occurrence after the reference.
        assert time is not None
        day = ref_local.date()
        if _localize(day, time, zone) <= ref_local:
            day += dt.timedelta(days=1)

    has_time = time is not None
    due = _localize(day, time if time is not None else DEADLINE_DEFAULT, zone)
    end = None
    if end_time is not None:
        end = _localize(day, end_time, zone)
        if end <= due:
            end = _localize(day + dt.timedelta(days=1), end_time, zone)
    return ResolvedDate(due, has_time, end, text, zone_name, stated)
