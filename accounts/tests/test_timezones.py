"""Time zones typed as people say them: a city, a country or its code, or an IANA name."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.timezones import UnknownTimeZone, timezone_resolve, zone_options

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("  New   York ", "America/New_York"),
        ("Kolkata", "Asia/Kolkata"),
        ("Germany", "Europe/Berlin"),
        ("DE", "Europe/Berlin"),
        ("de", "Europe/Berlin"),
        ("India", "Asia/Kolkata"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("America/New York", "America/New_York"),
        ("UTC", "UTC"),
        ("Britain", "Europe/London"),
        ("United Kingdom", "Europe/London"),
        ("Berlin — Germany (Europe/Berlin)", "Europe/Berlin"),
    ],
)
def test_it_resolves_cities_countries_and_iana_names(typed: str, zone: str) -> None:
    assert timezone_resolve(typed, today=TODAY) == zone


def test_it_refuses_a_country_with_several_zones_and_names_some_cities() -> None:
    with pytest.raises(UnknownTimeZone) as refused:
        timezone_resolve("United States", today=TODAY)

    message = str(refused.value)
    assert message.startswith("United States has ")
    assert "time zones. Type a city instead, e.g. New York, " in message


@pytest.mark.parametrize("typed", ["Atlantis", "Mars/Olympus_Mons", "ZZ", "", "   "])
def test_it_refuses_nonsense(typed: str) -> None:
    with pytest.raises(UnknownTimeZone):
        timezone_resolve(typed, today=TODAY)


def test_the_suggestions_label_each_zone_with_its_city_and_country() -> None:
    labels = {option.zone: option.label for option in zone_options()}

    assert labels["Europe/Berlin"] == "Berlin — Germany (Europe/Berlin)"
    assert labels["America/New_York"] == "New York — United States (America/New_York)"
    assert labels["Asia/Kolkata"] == "Kolkata — India (Asia/Kolkata)"
    assert "UTC" in labels
