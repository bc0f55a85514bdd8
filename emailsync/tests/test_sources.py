"""The local folder source: which files are messages, what their ids are, and how it fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils.module_loading import import_string

from conftest import make_email
from emailsync.models import Mailbox
from emailsync.sources import SOURCES, FailureKind, SourceError, source_for
from emailsync.sources.gmail import GmailSource
from emailsync.sources.local import LocalFolderSource


def write(path: Path, raw: bytes | None = None, *, mtime: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw if raw is not None else make_email())
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_it_finds_eml_files_in_subfolders_by_relative_path(tmp_path: Path) -> None:
    write(tmp_path / "top.eml")
    write(tmp_path / "2026" / "11" / "deep.eml")
    write(tmp_path / "notes.txt", b"not mail")
    write(tmp_path / "attachment.pdf", b"%PDF-1.4")

    listing = LocalFolderSource(tmp_path).list_new("")

    assert sorted(listing.message_ids) == ["2026/11/deep.eml", "top.eml"]


def test_it_lists_oldest_files_first(tmp_path: Path) -> None:
    write(tmp_path / "b.eml", mtime=1_700_000_300)
    write(tmp_path / "a.eml", mtime=1_700_000_200)
    write(tmp_path / "c.eml", mtime=1_700_000_100)

    listing = LocalFolderSource(tmp_path).list_new("")

    assert listing.message_ids == ["c.eml", "a.eml", "b.eml"]


def test_it_hands_over_the_bytes_of_each_message(tmp_path: Path) -> None:
    raw = make_email(subject="The bytes")
    write(tmp_path / "sub" / "one.eml", raw)

    fetched = list(LocalFolderSource(tmp_path).fetch(["sub/one.eml"]))

    assert len(fetched) == 1
    assert fetched[0].message_id == "sub/one.eml"
    assert fetched[0].raw == raw
    assert fetched[0].error == ""


def test_a_file_gone_since_listing_is_reported_for_that_message_only(tmp_path: Path) -> None:
    write(tmp_path / "kept.eml")
    gone = write(tmp_path / "gone.eml")
    source = LocalFolderSource(tmp_path)
    assert set(source.list_new("").message_ids) == {"kept.eml", "gone.eml"}
    gone.unlink()

    fetched = {message.message_id: message for message in source.fetch(["gone.eml", "kept.eml"])}

    assert fetched["gone.eml"].raw is None
    assert "no longer in the folder" in fetched["gone.eml"].error
    assert fetched["kept.eml"].raw is not None


def test_a_maildir_message_keeps_its_id_when_its_flags_change(tmp_path: Path) -> None:
    raw = make_email(subject="In the Maildir")
    write(tmp_path / "new" / "1700000000.M1P2.host", raw)
    (tmp_path / "cur").mkdir()
    (tmp_path / "tmp").mkdir()
    source = LocalFolderSource(tmp_path)

    assert source.list_new("").message_ids == ["1700000000.M1P2.host"]

    # The mail client reads it: it moves from new/ to cur/ and gains the "seen" flag.
    os.rename(tmp_path / "new" / "1700000000.M1P2.host", tmp_path / "cur" / "1700000000.M1P2.host:2,S")

    assert source.list_new("").message_ids == ["1700000000.M1P2.host"]
    fetched = list(source.fetch(["1700000000.M1P2.host"]))
    assert fetched[0].raw == raw


def test_a_maildir_reads_new_and_cur_but_not_tmp_or_dotfiles(tmp_path: Path) -> None:
    write(tmp_path / "cur" / "1.M1.host:2,RS")
    write(tmp_path / "new" / "2.M2.host")
    write(tmp_path / "new" / ".hidden")
    write(tmp_path / "tmp" / "3.M3.host")
    # A Maildir is recognised by its layout, not by file names: .eml files beside it are not messages.
    write(tmp_path / "stray.eml")

    listing = LocalFolderSource(tmp_path).list_new("")

    assert sorted(listing.message_ids) == ["1.M1.host", "2.M2.host"]


def test_a_missing_folder_is_a_permanent_error(tmp_path: Path) -> None:
    source = LocalFolderSource(tmp_path / "nowhere")

    with pytest.raises(SourceError) as listing_error:
        source.list_new("")
    with pytest.raises(SourceError) as fetch_error:
        list(source.fetch(["a.eml"]))

    assert listing_error.value.kind == FailureKind.PERMANENT
    assert fetch_error.value.kind == FailureKind.PERMANENT
    assert "does not exist" in str(listing_error.value)


def test_a_file_in_place_of_the_folder_is_a_permanent_error(tmp_path: Path) -> None:
    not_a_folder = write(tmp_path / "mail")

    with pytest.raises(SourceError) as error:
        LocalFolderSource(not_a_folder).list_new("")

    assert error.value.kind == FailureKind.PERMANENT


def test_every_mailbox_source_names_a_class_that_builds_from_a_mailbox() -> None:
    assert set(SOURCES) == set(Mailbox.Source.values)
    for path in SOURCES.values():
        assert callable(import_string(path).for_mailbox)


@pytest.mark.django_db
def test_source_for_picks_the_implementation_by_the_mailboxs_source(alice: User, tmp_path: Path) -> None:
    local = Mailbox(user=alice, source=Mailbox.Source.LOCAL, location=str(tmp_path))
    gmail = Mailbox(user=alice, source=Mailbox.Source.GMAIL, location="alice@example.com")

    assert isinstance(source_for(local), LocalFolderSource)
    assert isinstance(source_for(gmail), GmailSource)


@pytest.mark.django_db
def test_an_unknown_mail_source_is_a_permanent_error(alice: User) -> None:
    mailbox = Mailbox(user=alice, source="pop3", location="pop.example.com")

    with pytest.raises(SourceError, match="Unknown mail source 'pop3'") as caught:
        source_for(mailbox)
    assert caught.value.kind == FailureKind.PERMANENT
