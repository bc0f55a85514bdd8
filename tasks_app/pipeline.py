"""The tasks_app step of Google sign-in (``SOCIAL_AUTH_PIPELINE``, after accounts' ``store_google_credentials``):
make Google Calendar the user's calendar when the grant allows writing events."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import User

from accounts.google.backend import is_google_sign_in
from accounts.google.grant import CALENDAR_SCOPE, google_granted_scopes
from accounts.models import Profile
from accounts.services import profile_for
from tasks_app.calendars import CalendarError
from tasks_app.calendars.google import GoogleCalendar

logger = logging.getLogger(__name__)


def calendar_connect_google(*, user: User) -> None:
    """Make the user's Google calendar their calendar if the grant allows it and it is not already.

    Working hours are in the profile's zone: a new Google user's blocks belong in their calendar's zone,
    not in 09:00-17:00 UTC, so a profile still on UTC takes the calendar's zone. A zone the user chose stays.
    """
    profile = profile_for(user)
    if (
        CALENDAR_SCOPE not in google_granted_scopes(user=user)
        or profile.calendar_provider == Profile.CalendarProvider.GOOGLE
    ):
        return
    profile.calendar_provider = Profile.CalendarProvider.GOOGLE
    if profile.timezone == "UTC":
        profile.timezone = _calendar_zone(user) or profile.timezone
    profile.save(update_fields=["calendar_provider", "timezone"])


def _calendar_zone(user: User) -> str | None:
    """The time zone of the user's Google calendar, or None when it cannot be read now."""
    try:
        return GoogleCalendar(user).zone().key
    except CalendarError as e:
        logger.warning("Could not read the calendar time zone of user %s: %s", user.pk, e)
        return None


def connect_google_calendar(backend: Any, user: User | None, *args: Any, **kwargs: Any) -> None:
    if user is None or not is_google_sign_in(backend):
        return
    calendar_connect_google(user=user)
