"""Writes about users: profiles, tokens, the periodic sync schedule and the demo account."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_q.models import Schedule
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import ApiToken, Profile, hash_token
from accounts.services import (
    api_token_create,
    api_token_revoke,
    demo_password_user_ensure,
    feed_token_regenerate,
    periodic_sync_apply,
    profile_for,
    profile_update,
    schedule_name,
)


def schedules_of(user: User) -> list[Schedule]:
    return list(Schedule.objects.filter(name=f"periodic-sync-user-{user.pk}"))


@pytest.mark.django_db
def test_every_new_user_gets_a_profile_with_defaults() -> None:
    user = get_user_model().objects.create_user(username="newbie", password="x")

    profile = Profile.objects.get(user=user)
    assert profile.timezone == "UTC"
    assert (profile.work_start, profile.work_end) == (dt.time(9), dt.time(17))
    assert profile.working_days == [1, 2, 3, 4, 5]
    assert profile.feed_token


@pytest.mark.django_db
def test_api_token_create_returns_the_raw_value_once_and_stores_its_hash(alice: User) -> None:
    token, raw = api_token_create(user=alice, name="  My script  ")

    token.refresh_from_db()
    assert token.name == "My script"
    assert token.token_hash == hash_token(raw)
    assert token.hint == raw[:10]
    assert ApiToken.objects.filter(user=alice).count() == 1
    assert api_token_create(user=alice, name="again")[1] != raw


@pytest.mark.django_db
def test_api_token_revoke_only_revokes_the_owners_active_token(alice: User, charlie: User) -> None:
    token, _ = api_token_create(user=alice, name="script")

    assert api_token_revoke(user=charlie, token_id=token.pk) is False
    token.refresh_from_db()
    assert token.is_active
    assert api_token_revoke(user=alice, token_id=token.pk) is True
    token.refresh_from_db()
    assert not token.is_active
    assert api_token_revoke(user=alice, token_id=token.pk) is False


@pytest.mark.django_db
def test_feed_token_regenerate_replaces_the_token(alice: User) -> None:
    old = profile_for(alice).feed_token

    new = feed_token_regenerate(user=alice).feed_token

    assert new != old
    assert Profile.objects.get(user=alice).feed_token == new


@pytest.mark.django_db
def test_periodic_sync_apply_creates_changes_and_removes_one_schedule(alice: User) -> None:
    periodic_sync_apply(user=alice, minutes=30)
    [schedule] = schedules_of(alice)
    assert schedule.name == schedule_name(alice.pk) == f"periodic-sync-user-{alice.pk}"
    assert schedule.func == "emailsync.jobs.scheduled_sync"
    assert schedule.args == repr((alice.pk,))
    assert schedule.schedule_type == Schedule.MINUTES
    assert schedule.minutes == 30
    assert schedule.repeats == -1
    # The first run is in the future, so saving settings does not fire a sync at once.
    assert schedule.next_run > timezone.now() + dt.timedelta(minutes=29)

    periodic_sync_apply(user=alice, minutes=60)
    [changed] = schedules_of(alice)
    assert changed.pk == schedule.pk
    assert changed.minutes == 60

    periodic_sync_apply(user=alice, minutes=None)
    assert schedules_of(alice) == []


@pytest.mark.django_db
def test_periodic_sync_apply_removes_duplicate_schedules(alice: User) -> None:
    for _ in range(2):
        Schedule.objects.create(
            name=schedule_name(alice.pk),
            func="emailsync.jobs.scheduled_sync",
            schedule_type=Schedule.MINUTES,
            minutes=15,
        )

    periodic_sync_apply(user=alice, minutes=15)

    assert len(schedules_of(alice)) == 1


@pytest.mark.django_db
def test_periodic_sync_apply_leaves_other_users_schedules_alone(alice: User, charlie: User) -> None:
    periodic_sync_apply(user=charlie, minutes=15)

    periodic_sync_apply(user=alice, minutes=None)

    assert len(schedules_of(charlie)) == 1


@pytest.mark.django_db
def test_profile_update_applies_the_schedule_after_commit(
    alice: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        profile_update(user=alice, periodic_sync_minutes=15, work_days=[1, 2, 3])
        assert schedules_of(alice) == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert [s.minutes for s in schedules_of(alice)] == [15]


@pytest.mark.django_db
def test_profile_update_changes_only_the_given_fields(alice: User) -> None:
    profile_update(user=alice, approval_required=True)

    profile = Profile.objects.get(user=alice)
    assert profile.approval_required is True
    assert profile.working_days == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_profile_update_refuses_an_unknown_time_zone(alice: User) -> None:
    with pytest.raises(ValidationError):
        profile_update(user=alice, timezone="Mars/Olympus_Mons", work_days=[1])

    assert Profile.objects.get(user=alice).timezone == "America/New_York"


@pytest.mark.django_db
def test_demo_password_user_ensure_creates_the_demo_user_once(settings: Settings) -> None:
    user = demo_password_user_ensure()
    again = demo_password_user_ensure()

    assert again.pk == user.pk
    assert get_user_model().objects.filter(username=settings.DEMO_USERNAME).count() == 1
    assert user.check_password(settings.DEMO_PASSWORD)
    assert profile_for(user).timezone == "America/New_York"
    assert not profile_for(user).is_demo  # a named account for password sign-in, never deleted as throwaway


@pytest.mark.django_db
def test_demo_password_user_ensure_resets_a_changed_password_but_keeps_a_chosen_zone() -> None:
    user = demo_password_user_ensure()
    user.set_password("something else")
    user.save()
    profile_update(user=user, timezone="Europe/Madrid", work_days=[1, 2, 3, 4, 5])

    user = demo_password_user_ensure()

    assert user.check_password(settings.DEMO_PASSWORD)
    assert profile_for(user).timezone == "Europe/Madrid"


@pytest.mark.django_db
def test_profile_update_refuses_hours_in_the_wrong_order_in_plain_words(alice: User) -> None:
    with pytest.raises(ValidationError) as refused:
        profile_update(user=alice, work_start=dt.time(17), work_end=dt.time(9))

    assert refused.value.messages == ["Working hours must end after they start."]
    profile = Profile.objects.get(user=alice)
    assert (profile.work_start, profile.work_end) == (dt.time(9), dt.time(17))
