"""Writes about users: profiles, API tokens, the periodic sync schedule, demo accounts."""

from __future__ import annotations

import datetime as dt
import random
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Profile, hash_token, new_feed_token

# A demo user's copy of the sample mailbox, inside their own mail area.
DEMO_MAILBOX_FOLDER = "sample-mailbox"


def profile_for(user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored. Refused (``ValueError``) for a
    throwaway demo user: a script would outlive the account, and the demo is not a way into the API."""
    if profile_for(user).is_demo:
        raise ValueError(
            f"A demo account cannot make API tokens: it is deleted after {settings.DEMO_TTL_HOURS} hours. "
            "Sign in with your own account to use the API."
        )
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "API token", token_hash=hash_token(raw), hint=raw[:10]
    )
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> bool:
    return bool(
        ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def feed_token_regenerate(*, user: User) -> Profile:
    profile = profile_for(user)
    profile.feed_token = new_feed_token()
    profile.save(update_fields=["feed_token"])
    return profile


def schedule_name(user_id: int) -> str:
    return f"periodic-sync-user-{user_id}"


def periodic_sync_apply(*, user: User, minutes: int | None) -> None:
    """Create, change or remove the user's django-q2 schedule to match their choice.

    Schedule names are not unique in django-q2, so we upsert by name ourselves and remove extras. The
    first run is set in the future with jitter, so saving settings does not fire a sync at once and many
    users' schedules do not line up.
    """
    from django_q.models import Schedule

    name = schedule_name(user.pk)
    existing = list(Schedule.objects.filter(name=name).order_by("id"))
    if minutes is None:
        Schedule.objects.filter(name=name).delete()
        return
    jitter = dt.timedelta(seconds=random.uniform(0, min(60.0, minutes * 6.0)))
    next_run = timezone.now() + dt.timedelta(minutes=minutes) + jitter
    with transaction.atomic():
        if existing:
            schedule = existing[0]
            Schedule.objects.filter(pk__in=[s.pk for s in existing[1:]]).delete()
            if schedule.minutes == minutes and schedule.func == "emailsync.jobs.scheduled_sync":
                return
        else:
            schedule = Schedule(name=name)
        schedule.func = "emailsync.jobs.scheduled_sync"
        schedule.args = repr((user.pk,))
        schedule.schedule_type = Schedule.MINUTES
        schedule.minutes = minutes
        schedule.repeats = -1
        schedule.next_run = next_run
        schedule.save()


@transaction.atomic
def profile_update(*, user: User, **fields: object) -> Profile:
    profile = profile_for(user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    if "periodic_sync_minutes" in fields:
        minutes = profile.periodic_sync_minutes
        transaction.on_commit(lambda: periodic_sync_apply(user=user, minutes=minutes))
    return profile


def demo_password_user_ensure() -> User:
    """The named local demo account (``DEMO_USERNAME`` / ``DEMO_PASSWORD``) that ``manage.py demo_setup`` makes
    for password sign-in on a developer's machine. It is an ordinary account, not a throwaway one."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=settings.DEMO_USERNAME,
        defaults={"email": settings.DEMO_USERNAME, "first_name": "Dana", "last_name": "Demo"},
    )
    if created or not user.check_password(settings.DEMO_PASSWORD):
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
    profile = profile_for(user)
    if profile.timezone == "UTC":
        profile.timezone = "America/New_York"
        profile.save(update_fields=["timezone"])
    return user


def demo_offered() -> bool:
    """Whether "Try the demo account" is offered. Never beside Google sign-in: a demo user could then connect
    their real Gmail to an account that is deleted the next day."""
    return bool(settings.DEMO_ACCOUNT and not settings.GOOGLE_ENABLED)


def demo_expires_at(*, user: User) -> dt.datetime:
    return user.date_joined + dt.timedelta(hours=settings.DEMO_TTL_HOURS)


def demo_user_is_live(*, user: User) -> bool:
    """A throwaway demo user that has not yet reached its age limit."""
    is_demo = Profile.objects.filter(user=user, is_demo=True).exists()
    return is_demo and timezone.now() < demo_expires_at(user=user)


def demo_user_create() -> User:
    """A new throwaway demo user with its own copy of the sample mailbox, moved to the present, in its own
    mail area. Nothing is shared with any other visitor; ``demo_users_delete_expired`` deletes it later."""
    import shutil

    from django.contrib.auth import get_user_model

    from accounts.demo import demo_mailbox_install
    from emailsync.services import mailbox_connect_local
    from emailsync.sources.local import local_mail_area

    with transaction.atomic():
        user = get_user_model()(username=f"demo-{secrets.token_hex(6)}", first_name="Dana", last_name="Demo")
        # Nobody can sign in to it with a password; the demo button's session is its only way in.
        user.set_unusable_password()
        user.save()
        profile = profile_for(user)
        profile.is_demo = True
        profile.timezone = "America/New_York"
        profile.save(update_fields=["is_demo", "timezone"])
        folder = local_mail_area(user.pk) / DEMO_MAILBOX_FOLDER
        try:
            demo_mailbox_install(target=folder, today=timezone.localdate())
            mailbox_connect_local(user=user, folder=str(folder))
        except Exception:
            # The user row is rolled back; leave no folder behind it.
            shutil.rmtree(local_mail_area(user.pk), ignore_errors=True)
            raise
    return user


def demo_users_delete_expired(*, now: dt.datetime) -> int:
    """Delete the throwaway demo users older than ``DEMO_TTL_HOURS``, with all their data, their periodic-sync
    schedule and their mail area. Returns how many were deleted. Ordinary users, and the named
    ``demo_setup`` account, are never touched: only ``Profile.is_demo`` marks a user as throwaway."""
    from django.contrib.auth import get_user_model
    from django_q.models import Schedule

    cutoff = now - dt.timedelta(hours=settings.DEMO_TTL_HOURS)
    user_ids = list(
        get_user_model()
        .objects.filter(profile__is_demo=True, date_joined__lt=cutoff)
        .values_list("pk", flat=True)
    )
    if not user_ids:
        return 0
    with transaction.atomic():
        Schedule.objects.filter(name__in=[schedule_name(pk) for pk in user_ids]).delete()
        # The database cascades to profiles, tokens, mailboxes, receipts, runs, tasks and calendar events;
        # emailsync removes each user's mail area once the delete is committed.
        get_user_model().objects.filter(pk__in=user_ids).delete()
    return len(user_ids)
