"""Mail through the settings page: folders only inside one's own mail area, and uploads of .eml and .mbox."""

from __future__ import annotations

import mailbox
import os
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import Settings

from conftest import client_for, make_email, sync_in_foreground
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import mailbox_connect_gmail
from emailsync.sources.local import local_mail_area
from tasks_app.models import Task

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

CONNECT_URL = "/accounts/settings/mailbox/"
UPLOAD_URL = "/accounts/settings/mailbox/upload/"

WIKI = "Please update the wiki page when you get a chance."
DECK = "Could you review the launch deck by Friday?"
PLANTS = "Please water the office plants when you get a chance."


@pytest.fixture
def bob(user_factory: Callable[..., User]) -> User:
    return user_factory("bob")


@pytest.fixture
def bobs_area(bob: User) -> Path:
    """Bob's area with mail of his in it: what alice must never reach."""
    area = local_mail_area(bob.pk)
    area.mkdir(parents=True)
    (area / "secret.eml").write_bytes(make_email(subject="Bob's secret", body=WIKI))
    return area


def messages_of(response: _MonkeyPatchedWSGIResponse) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def assert_no_server_path(response: _MonkeyPatchedWSGIResponse, *paths: Path) -> None:
    text = response.content.decode() + " ".join(messages_of(response))
    for path in paths:
        assert str(path) not in text
    assert "/etc" not in text


def eml(name: str, **email: object) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_email(**email), content_type="message/rfc822")  # type: ignore[arg-type]


def takeout_mbox(path: Path, bodies: list[str]) -> bytes:
    """An mbox as Google Takeout writes one, built with Python's mailbox module."""
    box = mailbox.mbox(path)
    for number, body in enumerate(bodies):
        box.add(message_from_bytes(make_email(subject=f"Message {number}", body=body)))
    box.close()
    return path.read_bytes()


def upload(client: Client, *files: SimpleUploadedFile) -> _MonkeyPatchedWSGIResponse:
    return client.post(UPLOAD_URL, {"mail": list(files)}, follow=True)


def stored(user: User) -> list[Path]:
    return sorted(local_mail_area(user.pk).rglob("*.eml"))


# Connecting a folder


@pytest.mark.django_db
def test_it_refuses_another_users_area(alice: User, bobs_area: Path, mail_root: Path) -> None:
    for folder in (str(bobs_area), f"../{bobs_area.name}", f"uploads/../../{bobs_area.name}", ".."):
        response = client_for(alice).post(CONNECT_URL, {"folder": folder}, follow=True)

        assert messages_of(response) == [
            "Only folders inside your own mail area can be connected. Nothing was changed."
        ]
        assert_no_server_path(response, mail_root, bobs_area)
    assert not Mailbox.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_it_refuses_an_absolute_path_outside_the_area(alice: User, mail_root: Path) -> None:
    local_mail_area(alice.pk).mkdir()

    response = client_for(alice).post(CONNECT_URL, {"folder": "/etc"}, follow=True)

    assert messages_of(response) == [
        "Only folders inside your own mail area can be connected. Nothing was changed."
    ]
    assert_no_server_path(response, mail_root)
    assert not Mailbox.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_it_refuses_a_folder_name_too_long_for_the_file_system(alice: User, mail_root: Path) -> None:
    local_mail_area(alice.pk).mkdir()

    # 300 characters: within the form's limit, beyond the 255 a file name may have.
    response = client_for(alice).post(CONNECT_URL, {"folder": "a" * 300}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == ["There is no such folder in your mail area. Nothing was changed."]
    assert_no_server_path(response, mail_root)
    assert not Mailbox.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_it_refuses_a_symlink_in_the_area_that_points_outside(
    alice: User, bobs_area: Path, mail_root: Path
) -> None:
    area = local_mail_area(alice.pk)
    area.mkdir()
    (area / "shared").symlink_to(bobs_area, target_is_directory=True)
    (area / "system").symlink_to("/etc", target_is_directory=True)

    for folder in ("shared", "system"):
        response = client_for(alice).post(CONNECT_URL, {"folder": folder}, follow=True)

        assert messages_of(response) == [
            "Only folders inside your own mail area can be connected. Nothing was changed."
        ]
        assert_no_server_path(response, mail_root, bobs_area)
    assert not Mailbox.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_it_refuses_to_repoint_a_connected_mailbox_outside_the_area(
    alice: User, mailbox_factory: Callable, bobs_area: Path
) -> None:
    mailbox, _ = mailbox_factory(alice)

    client_for(alice).post(CONNECT_URL, {"folder": str(bobs_area)})

    assert Mailbox.objects.get(pk=mailbox.pk).location == mailbox.location


@pytest.mark.django_db
def test_an_empty_folder_connects_the_area_itself(alice: User) -> None:
    response = client_for(alice).post(CONNECT_URL, {"folder": ""}, follow=True)

    assert Mailbox.objects.get(user=alice).location == str(local_mail_area(alice.pk))
    assert "Connected your mail area, where uploads go. Press “Sync emails” to read it." in messages_of(
        response
    )
    assert "Your uploaded mail" in response.content.decode()


@pytest.mark.django_db
def test_a_demo_user_cannot_connect_a_folder_but_may_upload(user_factory: Callable[..., User]) -> None:
    demo = user_factory("visitor", is_demo=True)
    client = client_for(demo)

    refused = client.post(CONNECT_URL, {"folder": ""}, follow=True)
    uploaded = upload(client, eml("one.eml", body=WIKI))

    assert messages_of(refused) == [
        "The demo account cannot connect mail folders. Upload .eml or .mbox files instead."
    ]
    assert "Added 1 new message. Press “Sync emails” to read it." in messages_of(uploaded)
    assert Mailbox.objects.get(user=demo).location == str(local_mail_area(demo.pk))
    assert "Use a folder in your mail area" not in uploaded.content.decode()


# Uploads


@pytest.mark.django_db
def test_uploading_several_eml_files_then_syncing_gives_tasks(alice: User, mail_root: Path) -> None:
    client = client_for(alice)

    response = upload(
        client, eml("a.eml", subject="Wiki", body=WIKI), eml("b.eml", subject="Deck", body=DECK)
    )

    assert messages_of(response) == ["Added 2 new messages. Press “Sync emails” to read them."]
    assert len(stored(alice)) == 2
    mailbox = Mailbox.objects.get(user=alice)
    assert (mailbox.source, mailbox.location) == (Mailbox.Source.LOCAL, str(local_mail_area(alice.pk)))
    page = client.get("/accounts/settings/").content.decode()
    assert "Your uploaded mail" in page
    assert str(mail_root) not in page
    run = sync_in_foreground(alice)
    assert run.state == SyncRun.State.SUCCEEDED
    assert sorted(Task.objects.filter(user=alice).values_list("source__subject", flat=True)) == [
        "Deck",
        "Wiki",
    ]


@pytest.mark.django_db
def test_uploading_a_takeout_mbox_stores_each_message_once(alice: User, tmp_path: Path) -> None:
    # A line starting with "From " inside a body must not split the message in two.
    bodies = [WIKI, f"{DECK}\n\nFrom the team, thanks!\n", PLANTS]
    raw = takeout_mbox(tmp_path / "All mail Including Spam and Trash.mbox", bodies)
    assert b"\n>From the team" in raw

    response = upload(client_for(alice), SimpleUploadedFile("All mail Including Spam and Trash.mbox", raw))

    assert messages_of(response) == ["Added 3 new messages. Press “Sync emails” to read them."]
    assert len(stored(alice)) == 3
    assert any(b"From the team, thanks!" in path.read_bytes() for path in stored(alice))
    run = sync_in_foreground(alice)
    assert (run.state, run.messages_seen, run.messages_failed) == (SyncRun.State.SUCCEEDED, 3, 0)
    assert Task.objects.filter(user=alice).count() == 3


@pytest.mark.django_db
def test_uploading_a_large_mbox_streams_it_from_a_temporary_file(
    alice: User, tmp_path: Path, settings: Settings
) -> None:
    # Above this size Django writes the upload to a temporary file; the mbox is read from there.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = takeout_mbox(tmp_path / "big.mbox", [WIKI + " " + "x" * 800, DECK, PLANTS])
    assert len(raw) > 1000

    response = upload(client_for(alice), SimpleUploadedFile("big.mbox", raw))

    assert messages_of(response) == ["Added 3 new messages. Press “Sync emails” to read them."]


@pytest.mark.django_db
def test_uploading_the_same_file_again_adds_nothing(alice: User, tmp_path: Path) -> None:
    raw = takeout_mbox(tmp_path / "takeout.mbox", [WIKI, DECK])
    client = client_for(alice)
    upload(client, SimpleUploadedFile("takeout.mbox", raw))
    first = sync_in_foreground(alice)

    response = upload(client, SimpleUploadedFile("takeout.mbox", raw))
    second = sync_in_foreground(alice)

    assert messages_of(response) == ["No new messages (2 already uploaded)."]
    assert stored(alice) == []  # read once, and not written again
    assert first.tasks_created == 2
    assert (second.messages_seen, second.tasks_created) == (0, 0)
    assert MessageReceipt.objects.filter(mailbox__user=alice).count() == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"just some notes", "“notes.txt” is not an .eml or .mbox file. Nothing was stored."),
        ("photo.eml", b"\x89PNG\r\n\x1a\n\x00\x00binary", "“photo.eml” is not an email. Nothing was stored."),
        ("empty.eml", b"", "“empty.eml” is empty. Nothing was stored."),
        ("empty.mbox", b"", "“empty.mbox” is empty. Nothing was stored."),
        (
            "notes.mbox",
            b"Dear diary,\nnothing to see here.\n",
            "“notes.mbox” holds no emails: it is empty or not an mbox file. Nothing was stored.",
        ),
    ],
)
@pytest.mark.django_db
def test_it_refuses_files_that_are_not_mail(alice: User, name: str, content: bytes, message: str) -> None:
    client = client_for(alice)
    upload(client, eml("kept.eml", body=WIKI))

    response = upload(client, eml("good.eml", body=DECK), SimpleUploadedFile(name, content))

    assert messages_of(response) == [message]
    # What was there stays; nothing of the refused upload (not even its good file) was stored.
    assert len(stored(alice)) == 1


@pytest.mark.django_db
def test_it_refuses_an_upload_above_the_limit(alice: User, settings: Settings) -> None:
    settings.MAIL_UPLOAD_MAX_BYTES = 1500
    client = client_for(alice)

    response = upload(client, eml("a.eml", body=WIKI), eml("b.eml", body=DECK * 30))

    [message] = messages_of(response)
    assert message.startswith("That upload is ")
    assert "the limit is 1 kB per upload" in message
    assert stored(alice) == []
    assert not Mailbox.objects.filter(user=alice).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("limit", "shown"), [(200_000, "200 kB"), (2_500_000, "2.5 MB"), (50_000_000, "50 MB")]
)
def test_the_settings_page_states_the_upload_limit_it_enforces(
    alice: User, settings: Settings, limit: int, shown: str
) -> None:
    settings.MAIL_UPLOAD_MAX_BYTES = limit

    page = client_for(alice).get("/accounts/settings/").content.decode()

    assert f"up to {shown} per upload" in page


@pytest.mark.django_db
def test_it_asks_for_a_file_when_none_was_chosen(alice: User) -> None:
    response = client_for(alice).post(UPLOAD_URL, {}, follow=True)

    assert messages_of(response) == ["Choose one or more .eml files, or one .mbox file."]


@pytest.mark.django_db
def test_it_refuses_an_upload_when_the_mailbox_is_gmail(alice: User) -> None:
    mailbox_connect_gmail(user=alice, address="alice@gmail.com")

    response = upload(client_for(alice), eml("a.eml", body=WIKI))

    assert messages_of(response) == [
        "Your mailbox is your Gmail account; uploaded mail is read only by a local mailbox. Nothing was stored."
    ]
    assert stored(alice) == []
    assert Mailbox.objects.get(user=alice).source == Mailbox.Source.GMAIL


@pytest.mark.django_db
def test_an_upload_moves_an_operator_folder_mailbox_to_the_area(
    alice: User, mailbox_factory: Callable
) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(body=WIKI)

    upload(client_for(alice), eml("a.eml", body=DECK))

    assert Mailbox.objects.get(user=alice).location == str(local_mail_area(alice.pk))


@pytest.mark.django_db
def test_an_upload_goes_into_the_connected_folder_of_the_area(alice: User) -> None:
    work = local_mail_area(alice.pk) / "work"
    work.mkdir(parents=True)
    (work / "old.eml").write_bytes(make_email(subject="Old", body=WIKI))
    client = client_for(alice)
    client.post(CONNECT_URL, {"folder": "work"})
    assert sync_in_foreground(alice).tasks_created == 1

    upload(client, eml("a.eml", subject="New", body=DECK))
    run = sync_in_foreground(alice)

    # The old message keeps its id (no second task for it); the new one is read.
    assert Mailbox.objects.get(user=alice).location == str(work)
    assert (run.messages_seen, run.tasks_created) == (1, 1)


@pytest.mark.django_db
def test_an_upload_re_enables_a_mailbox_disabled_because_its_folder_had_gone(alice: User) -> None:
    client = client_for(alice)
    upload(client, eml("a.eml", body=WIKI))
    Mailbox.objects.filter(user=alice).update(state=Mailbox.State.DISABLED, consecutive_failures=5)

    upload(client, eml("b.eml", body=DECK))

    mailbox = Mailbox.objects.get(user=alice)
    assert (mailbox.state, mailbox.consecutive_failures) == (Mailbox.State.ACTIVE, 0)


@pytest.fixture
def unreadable_area_link(alice: User, bobs_area: Path) -> Iterator[Path]:
    area = local_mail_area(alice.pk)
    area.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(bobs_area, area, target_is_directory=True)
    yield area


@pytest.mark.django_db
def test_an_upload_never_writes_through_a_symlinked_area(
    alice: User, bobs_area: Path, unreadable_area_link: Path
) -> None:
    response = upload(client_for(alice), eml("a.eml", body=DECK))

    assert messages_of(response) == ["Your mail area cannot be written to. Please tell the site's operator."]
    assert not (bobs_area / "uploads").exists()


@pytest.mark.django_db
def test_uploaded_files_are_deleted_once_read_and_bulk_mail_keeps_nothing(alice: User) -> None:
    client = client_for(alice)
    upload(
        client,
        eml("task.eml", subject="Wiki", body=WIKI),
        eml("news.eml", subject="Weekly digest", body=PLANTS, headers={"List-Unsubscribe": "<mailto:u@x>"}),
    )
    assert len(stored(alice)) == 2

    run = sync_in_foreground(alice)

    statuses = sorted(MessageReceipt.objects.filter(mailbox__user=alice).values_list("status", flat=True))
    assert statuses == [MessageReceipt.Status.DONE, MessageReceipt.Status.SKIPPED]
    assert run.tasks_created == 1
    assert stored(alice) == []


@pytest.mark.django_db
def test_the_file_of_a_message_that_failed_stays_for_its_retry(alice: User) -> None:
    upload(
        client_for(alice), eml("a.eml", subject="Wiki", body=WIKI), eml("b.eml", subject="Deck", body=DECK)
    )
    sync_in_foreground(alice)
    failed = MessageReceipt.objects.filter(mailbox__user=alice).first()
    assert failed is not None
    # As if reading it had failed: put its file back and mark it so.
    path = local_mail_area(alice.pk) / failed.message_id
    path.write_bytes(make_email(subject=failed.subject, body=WIKI))
    MessageReceipt.objects.filter(pk=failed.pk).update(status=MessageReceipt.Status.FAILED)

    sync_in_foreground(alice)

    failed.refresh_from_db()
    assert failed.status == MessageReceipt.Status.DONE
    assert not path.exists()  # read on the retry, then deleted


@pytest.mark.django_db
def test_an_operator_folder_is_never_emptied_by_a_sync(alice: User, tmp_path: Path) -> None:
    from emailsync.services import mailbox_connect_local

    folder = tmp_path / "operator-mail"
    (folder / "uploads").mkdir(parents=True)
    (folder / "uploads" / "one.eml").write_bytes(make_email(subject="Wiki", body=WIKI))
    mailbox_connect_local(user=alice, folder=str(folder))

    sync_in_foreground(alice)

    assert Task.objects.filter(user=alice).count() == 1
    assert (folder / "uploads" / "one.eml").exists()


@pytest.mark.django_db(transaction=True)
def test_deleting_the_account_deletes_the_uploaded_mail(alice: User) -> None:
    client = client_for(alice)
    upload(client, eml("a.eml", subject="Wiki", body=WIKI))
    assert local_mail_area(alice.pk).exists()

    client.post("/accounts/settings/delete/")

    assert not User.objects.filter(pk=alice.pk).exists()
    assert not local_mail_area(alice.pk).exists()


@pytest.mark.django_db
def test_uploads_waiting_to_be_read_are_capped_and_a_sync_makes_room(alice: User, settings: Settings) -> None:
    client = client_for(alice)
    first = eml("a.eml", subject="Wiki", body=WIKI)
    settings.MAIL_AREA_MAX_BYTES = (first.size or 0) + 10
    upload(client, first)

    refused = upload(client, eml("b.eml", subject="Deck", body=DECK))
    sync_in_foreground(alice)
    accepted = upload(client, eml("b.eml", subject="Deck", body=DECK))

    assert "still waiting to be read" in messages_of(refused)[0]
    assert messages_of(accepted) == ["Added 1 new message. Press “Sync emails” to read it."]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["", "   ", "\t"])
def test_an_empty_folder_connects_the_area_and_says_so(alice: User, mail_root: Path, typed: str) -> None:
    response = client_for(alice).post(CONNECT_URL, {"folder": typed}, follow=True)

    assert messages_of(response) == [
        "Connected your mail area, where uploads go. Press “Sync emails” to read it."
    ]
    assert "Connected your mail area" in response.content.decode()
    mailbox = Mailbox.objects.get(user=alice)
    assert mailbox.location == str(local_mail_area(alice.pk).resolve())


@pytest.mark.django_db
def test_a_named_folder_is_named_in_the_message(alice: User, mail_root: Path) -> None:
    (local_mail_area(alice.pk) / "work").mkdir(parents=True)

    response = client_for(alice).post(CONNECT_URL, {"folder": "work"}, follow=True)

    assert messages_of(response) == [
        "Connected the folder “work” of your mail area. Press “Sync emails” to read it."
    ]
