"""Bench users, made through the product's own services (as sign-in and the connect command make them)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from accounts.google.grant import google_account_connect
from accounts.services import profile_for
from bench.fakes import LatentGoogle
from emailsync.models import SyncRun
from emailsync.pipeline import mailbox_connect_google
from emailsync.services import mailbox_connect_local, mailbox_sync, sync_trigger
from scheduler_site.testing.fake_google import FakeUser
from tasks_app.pipeline import calendar_connect_google

TIME_ZONE = "Europe/Madrid"


def user_create(username: str) -> User:
    user = get_user_model().objects.create_user(username=username, email=f"{username}@bench.example")
    profile = profile_for(user)
    profile.timezone = TIME_ZONE
    profile.save(update_fields=["timezone"])
    return user


def gmail_user_create(google: LatentGoogle, username: str) -> tuple[User, FakeUser]:
    """A user whose mailbox is a Gmail account at the fake and whose calendar is its Google calendar."""
    user = user_create(username)
    fake_user = google.add_user(f"{username}@gmail.example", time_zone=TIME_ZONE)
    tokens = google.grant(fake_user.email)
    with transaction.atomic():
        google_account_connect(
            user=user,
            subject=fake_user.sub,
            email=fake_user.email,
            token_response={
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_in": tokens.expires_in,
                "scope": " ".join(tokens.scopes),
            },
        )
    mailbox_connect_google(user=user)
    calendar_connect_google(user=user)
    return user, fake_user


def local_user_create(username: str, folder: Path) -> User:
    """A user whose mailbox is a local folder of .eml files and whose calendar is the built-in one."""
    user = user_create(username)
    folder.mkdir(parents=True, exist_ok=True)
    mailbox_connect_local(user=user, folder=str(folder))
    return user


def sync_now(user: User) -> SyncRun:
    """One sync of the user's mailbox in this process, as ``manage.py sync_user`` runs it."""
    run, created = sync_trigger(user=user, trigger=SyncRun.Trigger.COMMAND, enqueue=False)
    if not created:
        if run.state == SyncRun.State.QUEUED and run.trigger == SyncRun.Trigger.FOLLOW_UP:
            # A run that stopped at SYNC_MAX_MESSAGES_PER_RUN queued its follow-up; no cluster runs here, so
            # read it in this process, as a worker would.
            return mailbox_sync(run=run)
        raise RuntimeError(f"a sync of {user.username} was already {run.state}")
    return mailbox_sync(run=run)
