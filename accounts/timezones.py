"""Time zones by the names people use: a city, a country or an IANA name, resolved to the IANA name.

The city and country tables are IANA's own `zone.tab` and `iso3166.tab`, read from the `tzdata` package
(Python's `zoneinfo` has no country table, and /usr/share/zoneinfo is not there on every system).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from importlib import resources

# Common English names that iso3166.tab spells differently ("Britain (UK)", "Korea (South)").
COUNTRY_ALIASES = {
    "united kingdom": "GB",
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "usa": "US",
    "us": "US",
    "america": "US",
    "south korea": "KR",
    "north korea": "KP",
    "czech republic": "CZ",
    "holland": "NL",
}
# A country's zones count as one when their clocks agree every day of the next two years.
_AGREEMENT_DAYS = 730


class UnknownTimeZone(ValueError):
    """The text names no time zone, or a country with several; the message says which and what to type."""


@dataclass(frozen=True)
class ZoneOption:
    """One suggestion of the settings page's time-zone list."""

    zone: str
    label: str


@dataclass(frozen=True)
class _Zone:
    zone: str
    country: str
    comment: str

    @property
    def city(self) -> str:
        return self.zone.rsplit("/", 1)[-1].replace("_", " ")


def _read_tab(name: str) -> list[list[str]]:
    text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@functools.cache
def _countries() -> dict[str, str]:
    """ISO 3166 code → the country's name in iso3166.tab."""
    return {code: name for code, name in _read_tab("iso3166.tab")}


@functools.cache
def _zones() -> list[_Zone]:
    # zone.tab lists each country's most populous zone first.
    return [
        _Zone(zone=row[2], country=row[0], comment=row[3] if len(row) > 3 else "")
        for row in _read_tab("zone.tab")
    ]


@functools.cache
def _country_codes_by_name() -> dict[str, str]:
    """Lower-case names → ISO code: the full name, and the name without or inside its brackets
    ("Britain", "Burma") when no other country shares it."""
    names: dict[str, set[str]] = {}
    for code, name in _countries().items():
        names.setdefault(name.lower(), set()).add(code)
        if "(" in name:
            outside, inside = name.split("(", 1)
            for part in (outside, inside.rstrip(")")):
                names.setdefault(part.strip().lower(), set()).add(code)
    by_name = {name: codes.pop() for name, codes in names.items() if len(codes) == 1}
    return by_name | COUNTRY_ALIASES


def zone_options() -> list[ZoneOption]:
    """Every zone of zone.tab, labelled "Berlin — Germany (Europe/Berlin)", sorted by city; then UTC."""
    countries = _countries()
    options = [
        ZoneOption(zone=z.zone, label=f"{z.city} — {countries.get(z.country, z.country)} ({z.zone})")
        for z in sorted(_zones(), key=lambda z: z.city)
    ]
    return [*options, ZoneOption(zone="UTC", label="UTC — Coordinated Universal Time")]


def _clocks_agree(first: str, second: str, *, today: dt.date) -> bool:
    a, b = zoneinfo.ZoneInfo(first), zoneinfo.ZoneInfo(second)
    start = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
    return all(
        (start + dt.timedelta(days=day)).astimezone(a).utcoffset()
        == (start + dt.timedelta(days=day)).astimezone(b).utcoffset()
        for day in range(_AGREEMENT_DAYS)
    )


def _resolve_country(code: str, *, today: dt.date) -> str:
    zones = [z for z in _zones() if z.country == code]
    name = _countries()[code]
    if not zones:
        raise UnknownTimeZone(f"We have no time zone for {name}. Type a city instead.")
    # Zones whose clocks agree from now on (Berlin and Büsingen) are one zone to the person typing.
    distinct = [zones[0]]
    for zone in zones[1:]:
        if not any(_clocks_agree(zone.zone, kept.zone, today=today) for kept in distinct):
            distinct.append(zone)
    if len(distinct) == 1:
        return zones[0].zone
    examples = ", ".join(z.city for z in distinct[:4])
    raise UnknownTimeZone(f"{name} has {len(distinct)} time zones. Type a city instead, e.g. {examples}.")


def timezone_resolve(value: str, *, today: dt.date | None = None) -> str:
    """The IANA name for an IANA name, a city ("new york"), a country or its ISO code with one zone
    ("Germany", "DE"), or a label of the suggestion list. Raises UnknownTimeZone with a message to show."""
    text = " ".join(value.split())
    if not text:
        raise UnknownTimeZone("Type a city, a country or a time zone.")
    # A label picked from the list: "Berlin — Germany (Europe/Berlin)".
    if text.endswith(")") and "(" in text:
        text = text.rsplit("(", 1)[1].rstrip(")").strip()
    key = text.lower()
    known = {zone.lower(): zone for zone in zoneinfo.available_timezones()}
    zone = known.get(key) or known.get(key.replace(" ", "_"))
    if zone is not None:
        return zone
    by_city = {z.city.lower(): z.zone for z in _zones()}
    if key in by_city:
        return by_city[key]
    code = key.upper() if key.upper() in _countries() else _country_codes_by_name().get(key)
    if code is not None:
        return _resolve_country(code, today=today or dt.date.today())
    raise UnknownTimeZone(
        f"“{value.strip()}” is not a city, country or time zone we know. Pick one from the list."
    )
