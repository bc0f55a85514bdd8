"""The local mail area at sync time: a mailbox under LOCAL_MAIL_ROOT reads only its owner's area; what users
see of local folders names no server path; only superusers re-point a mailbox in the admin."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from pytest_django import Settings

from conftest import client_for, make_email, sync_in_foreground
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import mailbox_connect_area, mailbox_connect_local
from emailsync.sources import source_for
from emailsync.sources.local import LocalFolderSource, local_mail_area
from tasks_app.models import Task

WIKI = "Please update the wiki page when you get a chance."
SECRET = "Please wire the acquisition money to the usual account by Friday."


@pytest.fixture
def bob(user_factory: Callable[..., User]) -> User:
    return user_factory("bob")


@pytest.fixture
def alice_area(alice: User) -> Path:
    area = local_mail_area(alice.pk)
    (area / "uploads").mkdir(parents=True)
    (area / "uploads" / "mine.eml").write_bytes(make_email(subject="Mine", body=WIKI))
    mailbox_connect_area(user=alice, folder="")
    return area


@pytest.fixture
def bobs_secret(bob: User) -> Path:
    area = local_mail_area(bob.pk)
    area.mkdir(parents=True)
    secret = area / "secret.eml"
    secret.write_bytes(make_email(subject="Bob's secret", body=SECRET))
    return secret


@pytest.mark.django_db
def test_a_symlinked_file_planted_in_the_area_is_not_read(
    alice: User, alice_area: Path, bobs_secret: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "passwd.eml"
    outside.write_bytes(make_email(subject="System file", body=SECRET))
    (alice_area / "bobs.eml").symlink_to(bobs_secret)
    (alice_area / "passwd.eml").symlink_to(outside)
    (alice_area / "bob").symlink_to(bobs_secret.parent, target_is_directory=True)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED
    assert list(MessageReceipt.objects.filter(mailbox__user=alice).values_list("subject", flat=True)) == [
        "Mine"
    ]
    assert not Task.objects.filter(user=alice, title__icontains="wire").exists()


@pytest.mark.django_db
def test_a_file_swapped_for_a_symlink_while_fetching_is_not_read(
    alice: User, alice_area: Path, bobs_secret: Path
) -> None:
    second = alice_area / "uploads" / "second.eml"
    second.write_bytes(make_email(subject="Second", body=WIKI))
    source = source_for(Mailbox.objects.get(user=alice))
    fetching = source.fetch(["uploads/mine.eml", "uploads/second.eml"])
    assert next(fetching).raw is not None
    # Between two reads of one fetch, the second file becomes a link to bob's mail.
    second.unlink()
    second.symlink_to(bobs_secret)

    fetched = next(fetching)

    assert fetched.raw is None
    assert fetched.error == "Could not read second.eml: it is outside your mail area"


@pytest.mark.django_db
def test_a_mailbox_under_the_root_pointing_at_another_users_area_reads_nothing(
    alice: User, bobs_secret: Path, mail_root: Path
) -> None:
    # However the row came to point there (an old version, a hand edit), the sync keeps to alice's area.
    mailbox_connect_local(user=alice, folder=str(bobs_secret.parent))

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.FAILED
    assert run.error == "The mail folder is outside your mail area."
    assert not MessageReceipt.objects.filter(mailbox__user=alice).exists()


@pytest.mark.django_db
def test_an_operator_folder_outside_the_root_may_hold_symlinks(
    alice: User, mailbox_factory: Callable, tmp_path: Path
) -> None:
    mailbox, folder = mailbox_factory(alice)
    elsewhere = tmp_path / "archive" / "old.eml"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(make_email(subject="Archived", body=WIKI))
    (folder.path / "old.eml").symlink_to(elsewhere)

    assert isinstance(source_for(mailbox), LocalFolderSource)
    assert sync_in_foreground(alice).messages_seen == 1


@pytest.mark.django_db
def test_a_local_mailbox_without_a_location_reads_nothing(alice: User) -> None:
    # As a staff member who may not set locations would leave one made in the admin: an empty path must not
    # mean the worker's current folder (this checkout holds the demo's .eml files).
    Mailbox.objects.create(user=alice, source=Mailbox.Source.LOCAL, location="")

    run = sync_in_foreground(alice)

    assert (run.state, run.error) == (SyncRun.State.FAILED, "No mail folder is set for this mailbox.")
    assert not MessageReceipt.objects.filter(mailbox__user=alice).exists()


@pytest.mark.django_db
def test_a_sync_error_for_a_missing_folder_shows_no_path_to_the_user(
    alice: User, alice_area: Path, mail_root: Path, auth_client: Callable, settings: Settings
) -> None:
    settings.SYNC_DISABLE_AFTER_FAILURES = 1  # so the dashboard's mailbox alert shows the error too
    (alice_area / "uploads" / "mine.eml").unlink()
    (alice_area / "uploads").rmdir()
    alice_area.rmdir()

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.FAILED
    assert "does not exist" in run.error
    client = client_for(alice)
    pages = [
        client.get("/sync/history/").content.decode(),
        client.get("/").content.decode(),
        client.get("/accounts/settings/").content.decode(),
        auth_client(alice).get(f"/api/email/sync/status/{run.public_id}").content.decode(),
    ]
    for page in pages:
        assert "does not exist" in page
        assert str(mail_root) not in page
        assert "mail-root" not in page


@pytest.mark.django_db
def test_the_settings_page_names_no_server_path_for_an_operator_folder(
    alice: User, mailbox_factory: Callable
) -> None:
    mailbox, _ = mailbox_factory(alice)

    page = client_for(alice).get("/accounts/settings/").content.decode()

    assert "A mail folder set up for you by the site&#x27;s operator" in page
    assert mailbox.location not in page


# The admin


def mailbox_change(client_user: User, mailbox: Mailbox, location: str) -> int:
    client = client_for(client_user)
    page = client.get(f"/admin/emailsync/mailbox/{mailbox.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/emailsync/mailbox/{mailbox.pk}/change/",
        {
            "user": mailbox.user_id,
            "source": Mailbox.Source.LOCAL,
            "location": location,
            "checkpoint": "",
            "state": Mailbox.State.ACTIVE,
            "consecutive_failures": 0,
            "stale_checkpoint_resyncs": 0,
            "last_error": "",
        },
    )
    return response.status_code


@pytest.mark.django_db
def test_a_staff_member_who_is_not_a_superuser_cannot_change_a_mailbox_location(
    alice: User, user_factory: Callable[..., User], mailbox_factory: Callable, bobs_secret: Path
) -> None:
    staff = user_factory("charlie-staff")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="emailsync"))
    mailbox, _ = mailbox_factory(alice)

    status = mailbox_change(staff, mailbox, str(bobs_secret.parent))

    assert status == 302  # saved, but without the location
    assert Mailbox.objects.get(pk=mailbox.pk).location == mailbox.location


@pytest.mark.django_db
def test_a_superuser_can_point_a_mailbox_at_any_folder(
    alice: User, mailbox_factory: Callable, django_user_model: type[User], tmp_path: Path
) -> None:
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    mailbox, _ = mailbox_factory(alice)
    archive = tmp_path / "archive"
    archive.mkdir()

    assert mailbox_change(root, mailbox, f"{tmp_path}/archive/../archive") == 302
    assert Mailbox.objects.get(pk=mailbox.pk).location == str(archive.resolve())
    assert mailbox_change(root, mailbox, str(tmp_path / "missing")) == 200  # the form shows the error
    assert Mailbox.objects.get(pk=mailbox.pk).location == str(archive.resolve())


# Errors stored by older versions


@pytest.mark.django_db
def test_the_migration_takes_server_paths_out_of_stored_errors(
    alice: User, mailbox_factory: Callable
) -> None:
    from django.apps import apps

    scrub = importlib.import_module("emailsync.migrations.0004_scrub_server_paths_from_errors")
    mailbox, _ = mailbox_factory(alice)
    missing = "The mail folder /srv/mail/user-7 does not exist or is not a folder."
    unlistable = (
        "Could not list /srv/mail/user-7: [Errno 13] Permission denied: '/srv/mail/user-7/new' "
        "The mail provider asked us to slow down; the next attempt is after 10:00 UTC."
    )
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_error=f"Disabled after 5 failed syncs in a row. Last error: {missing}"
    )
    runs = [
        SyncRun.objects.create(
            user=alice, trigger="button", state="failed", finished_at=mailbox.created_at, error=e
        )
        for e in (missing, unlistable, "Another sync of this mailbox is still running.")
    ]

    scrub.scrub_rows(apps, None)

    assert [SyncRun.objects.get(pk=run.pk).error for run in runs] == [
        "The mail folder does not exist or is not a folder.",
        "Could not list the mail folder (Permission denied). The mail provider asked us to slow down; the next "
        "attempt is after 10:00 UTC.",
        "Another sync of this mailbox is still running.",
    ]
    assert Mailbox.objects.get(pk=mailbox.pk).last_error == (
        "Disabled after 5 failed syncs in a row. Last error: The mail folder does not exist or is not a folder."
    )
