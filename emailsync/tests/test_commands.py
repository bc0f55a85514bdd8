"""The management commands: connect_mailbox, sync_user and demo_setup."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import OrmQ
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import Profile
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.sources.local import local_mail_area
from tasks_app.models import LocalCalendarEvent, Task


def run_command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# connect_mailbox


@pytest.mark.django_db
def test_connect_mailbox_points_the_users_mailbox_at_a_folder(alice: User, tmp_path: Path) -> None:
    output = run_command("connect_mailbox", "alice@example.com", str(tmp_path))

    mailbox = Mailbox.objects.get(user=alice)
    assert mailbox.source == Mailbox.Source.LOCAL
    assert mailbox.location == str(tmp_path.resolve())
    assert str(tmp_path.resolve()) in output


@pytest.mark.django_db
def test_connect_mailbox_again_repoints_and_reenables_the_mailbox(
    alice: User, mail_folder_factory: Callable
) -> None:
    first, second = mail_folder_factory("first"), mail_folder_factory("second")
    run_command("connect_mailbox", str(alice.pk), str(first.path))
    Mailbox.objects.filter(user=alice).update(
        state=Mailbox.State.DISABLED, consecutive_failures=5, checkpoint="3"
    )

    run_command("connect_mailbox", "alice", str(second.path))

    mailbox = Mailbox.objects.get(user=alice)
    assert mailbox.location == str(second.path.resolve())
    assert (mailbox.state, mailbox.consecutive_failures, mailbox.checkpoint) == (Mailbox.State.ACTIVE, 0, "")


@pytest.mark.django_db
def test_connect_mailbox_refuses_a_folder_that_does_not_exist(alice: User, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a folder"):
        run_command("connect_mailbox", "alice@example.com", str(tmp_path / "missing"))

    assert not Mailbox.objects.exists()


@pytest.mark.django_db
def test_connect_mailbox_refuses_an_unknown_user(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"nobody@example\.com"):
        run_command("connect_mailbox", "nobody@example.com", str(tmp_path))


# sync_user


@pytest.fixture
def alice_folder(alice: User, mailbox_factory: Callable) -> object:
    _, folder = mailbox_factory(alice)
    folder.add(subject="Wiki", body="Please update the wiki page when you get a chance.")
    folder.add(subject="Q3", body="Could you send me the Q3 report by Friday EOD?")
    folder.add(
        subject="Weekly digest",
        sender="Digest <news@example.com>",
        body="Top stories this week.",
        headers={"List-Unsubscribe": "<mailto:unsubscribe@example.com>", "Precedence": "bulk"},
    )
    return folder


@pytest.mark.django_db
def test_sync_user_syncs_in_the_foreground_with_progress_and_a_summary(
    alice: User, alice_folder: object
) -> None:
    output = run_command("sync_user", str(alice.pk))

    lines = output.splitlines()
    assert any(line.startswith("[Reading messages]") for line in lines)
    assert any(line.startswith("[Placing tasks on the calendar]") for line in lines)
    assert lines[-1] == (
        "Read 3 new messages, found 2 new tasks, placed 2 events on your calendar; skipped 1 as bulk mail."
    )
    [run] = SyncRun.objects.filter(user=alice)
    assert (run.trigger, run.state) == (SyncRun.Trigger.COMMAND, SyncRun.State.SUCCEEDED)
    assert Task.objects.filter(user=alice).count() == 2
    assert LocalCalendarEvent.objects.filter(user=alice).count() == 2


@pytest.mark.django_db
def test_sync_user_finds_the_user_by_email(alice: User, alice_folder: object) -> None:
    run_command("sync_user", "ALICE@example.com")

    assert Task.objects.filter(user=alice).count() == 2


@pytest.mark.django_db
def test_sync_user_a_second_time_reads_nothing_new(alice: User, alice_folder: object) -> None:
    run_command("sync_user", "alice")

    output = run_command("sync_user", "alice")

    assert output.splitlines()[-1] == "No new mail since the last sync."
    assert Task.objects.filter(user=alice).count() == 2


@pytest.mark.django_db
def test_sync_user_enqueue_queues_a_run_without_running_it(
    alice: User, alice_folder: object, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        output = run_command("sync_user", "alice", "--enqueue")

    [run] = SyncRun.objects.filter(user=alice)
    assert output.strip() == f"Queued sync {run.public_id} for alice."
    assert run.state == SyncRun.State.QUEUED
    [queued] = OrmQ.objects.all()
    assert queued.task["func"] == "emailsync.jobs.run_sync"
    assert queued.task["args"] == (run.pk,)
    assert not MessageReceipt.objects.exists()
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_sync_user_reports_a_sync_already_in_progress(
    alice: User, alice_folder: object, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run_command("sync_user", "alice", "--enqueue")
    queued = SyncRun.objects.get(user=alice)

    output = run_command("sync_user", "alice")

    assert output.strip() == f"A sync is already queued for alice: {queued.public_id}"
    assert SyncRun.objects.count() == 1
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_sync_user_refuses_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="No user"):
        run_command("sync_user", "4242")
    with pytest.raises(CommandError, match="No user"):
        run_command("sync_user", "nobody@example.com")


@pytest.mark.django_db
def test_sync_user_refuses_a_user_without_a_mailbox(alice: User) -> None:
    with pytest.raises(CommandError, match="No mailbox is connected yet"):
        run_command("sync_user", "alice")

    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_sync_user_fails_loudly_when_the_folder_is_gone(
    alice: User, mailbox_factory: Callable, tmp_path: Path
) -> None:
    _, folder = mailbox_factory(alice)
    folder.path.rename(tmp_path / "moved")

    with pytest.raises(CommandError, match="does not exist"):
        run_command("sync_user", "alice")

    assert SyncRun.objects.get(user=alice).state == SyncRun.State.FAILED


# demo_setup


@pytest.mark.django_db
def test_demo_setup_creates_the_named_demo_user_with_a_copy_of_the_sample_mailbox_in_its_own_area(
    settings: Settings, tmp_path: Path
) -> None:
    settings.LOCAL_MAIL_ROOT = tmp_path / "mail"

    output = run_command("demo_setup")

    demo = get_user_model().objects.get(username=settings.DEMO_USERNAME)
    assert demo.check_password(settings.DEMO_PASSWORD)
    assert not Profile.objects.get(user=demo).is_demo  # not a throwaway user: the cleanup leaves it alone
    target = Path(Mailbox.objects.get(user=demo).location)
    assert target.is_relative_to(local_mail_area(demo.pk))
    assert target.is_relative_to((tmp_path / "mail").resolve())
    assert len(list(target.glob("*.eml"))) >= 20
    assert str(target) in output


@pytest.mark.django_db
def test_demo_setup_into_a_chosen_folder_then_sync_finds_tasks(settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"

    run_command("demo_setup", "--folder", str(target))
    run_command("demo_setup", "--folder", str(target))  # running it again is harmless
    output = run_command("sync_user", settings.DEMO_USERNAME)

    demo = get_user_model().objects.get(username=settings.DEMO_USERNAME)
    assert get_user_model().objects.filter(username=settings.DEMO_USERNAME).count() == 1
    assert Mailbox.objects.get(user=demo).location == str(target.resolve())
    run = SyncRun.objects.get(user=demo)
    assert run.state == SyncRun.State.SUCCEEDED
    assert run.messages_seen == len(list(target.glob("*.eml"))) >= 20
    assert run.messages_skipped >= 1  # the sample has newsletters and notifications
    assert Task.objects.filter(user=demo).count() >= 10
    assert output.splitlines()[-1].startswith("Read ")
