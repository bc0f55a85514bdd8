from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.crypto import decrypt, encrypt


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
        raise ValidationError(f"{value!r} is not a known time zone") from e


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


def default_work_start() -> dt.time:
    return dt.time(9, 0)


def default_work_end() -> dt.time:
    return dt.time(17, 0)


class Profile(models.Model):
    """A user's scheduling preferences."""

    class CalendarProvider(models.TextChoices):
        LOCAL = "local", "Built-in calendar (ICS feed)"
        GOOGLE = "google", "Google Calendar"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # Callables, not fixed values: Django's check W161 takes a fixed time default for a mistaken "now" when
    # the check runs within ten seconds of it (manage.py check --deploy at 17:00 warned).
    work_start = models.TimeField(default=default_work_start)
    work_end = models.TimeField(default=default_work_end)
    # ISO weekday numbers, Monday = 1.
    work_days = models.JSONField(default=list, blank=True)
    approval_required = models.BooleanField(
        default=False,
        help_text="New tasks wait as proposed until approved, instead of going on the calendar.",
    )
    periodic_sync_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Sync automatically every N minutes; empty means only on demand."
    )
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    calendar_provider = models.CharField(
        max_length=20, choices=CalendarProvider.choices, default=CalendarProvider.LOCAL
    )
    monthly_token_budget = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most model tokens (input + output) extraction may use per month."
    )
    skip_senders = models.TextField(
        blank=True, default="", help_text="Addresses or @domains whose mail is always skipped, one per line."
    )
    # A throwaway account made by "Try the demo account": deleted after DEMO_TTL_HOURS, and kept from
    # connecting folders or making API tokens.
    is_demo = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # The message is what every form, the admin and profile_update show, instead of Django's
            # "Constraint “work_hours_order” is violated."
            models.CheckConstraint(
                condition=models.Q(work_start__lt=models.F("work_end")),
                name="work_hours_order",
                violation_error_message="Working hours must end after they start.",
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def working_days(self) -> list[int]:
        return list(self.work_days) or [1, 2, 3, 4, 5]

    def skipped_senders(self) -> list[str]:
        return [line.strip().lower() for line in self.skip_senders.splitlines() if line.strip()]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the raw value is shown once at creation."""

    PREFIX = "isk_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The first characters, to recognise the token by.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class GoogleCredential(models.Model):
    """A user's Google grant: the tokens, encrypted at rest (accounts.crypto), and whether it still works.

    social-auth keeps its own record of the sign-in (``UserSocialAuth``); the tokens are moved out of its
    plain JSON ``extra_data`` into this row at sign-in.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="google_credential"
    )
    subject = models.CharField(max_length=255, unique=True, help_text="Google's stable account id (sub).")
    email = models.EmailField(max_length=320, blank=True, default="")
    access_token_encrypted = models.TextField(blank=True, default="")
    refresh_token_encrypted = models.TextField(blank=True, default="")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.TextField(blank=True, default="", help_text="Granted scopes, space-separated.")
    # Set when Google answered invalid_grant (revoked or expired): no call is made until the user reconnects.
    grant_lost_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Google grant of {self.user} ({self.email})"

    @property
    def access_token(self) -> str:
        return decrypt(self.access_token_encrypted)

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.access_token_encrypted = encrypt(value)

    @property
    def refresh_token(self) -> str:
        return decrypt(self.refresh_token_encrypted)

    @refresh_token.setter
    def refresh_token(self, value: str) -> None:
        self.refresh_token_encrypted = encrypt(value)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def usable(self) -> bool:
        has_token = bool(self.refresh_token_encrypted or self.access_token_encrypted)
        return self.grant_lost_at is None and has_token
