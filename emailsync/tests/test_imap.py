"""IMAP mailboxes against a real Dovecot server (emailsync/tests/imap_server.py says where it comes from).

Every test works in a folder of its own on the one test account; messages are APPENDed over IMAP."""

from __future__ import annotations

import datetime as dt
import io
import os
import socket
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from imapclient import IMAPClient
from pytest_django import Settings as SettingsWrapper

from conftest import client_for, make_email, sync_in_foreground
from emailsync.mailbox_imap import ImapRefused, mailbox_connect_imap, mailbox_test_imap
from emailsync.models import ImapAccount, Mailbox, MessageReceipt, SyncRun
from emailsync.services import mailbox_sync, sync_trigger, sync_unavailable_reason
from emailsync.sources import FailureKind
from emailsync.sources.imap import Checkpoint, ImapDetails, ImapError, ImapSource, _context, _PinnedClient
from emailsync.tests.imap_server import DovecotServer, dovecot_server
from tasks_app.extractors import EmailForExtraction, ExtractedTask
from tasks_app.extractors.offline import OfflineExtractor
from tasks_app.models import Task


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    yield from dovecot_server()


@pytest.fixture
def imap(dovecot: DovecotServer, settings: SettingsWrapper) -> DovecotServer:
    # The test server is on loopback, which a real site refuses (tested below with the setting off).
    settings.IMAP_ALLOW_PRIVATE_HOSTS = True
    return dovecot


def details_for(server: DovecotServer, folder: str, **changes: Any) -> ImapDetails:
    values: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "security": "tls",
        "username": server.user,
        "password": server.password,
        "folder": folder,
        "allow_self_signed": True,
    }
    return ImapDetails(**{**values, **changes})


def now_email(**fields: Any) -> bytes:
    return make_email(date=timezone.now() - dt.timedelta(hours=1), **fields)


def ask(n: int) -> bytes:
    return now_email(subject=f"Report {n}", body=f"Could you send me the report number {n} by Friday EOD?")


def newsletter() -> bytes:
    return now_email(
        subject="Weekly digest",
        body="Top stories this week. Click here to read more.",
        headers={"List-Unsubscribe": "<mailto:unsub@news.example.com>", "Precedence": "bulk"},
    )


def append(server: DovecotServer, folder: str, *messages: bytes) -> None:
    with server.client() as client:
        for raw in messages:
            client.append(folder, raw)


def all_flags(server: DovecotServer, folder: str) -> dict[int, list[bytes]]:
    with server.client() as client:
        client.select_folder(folder, readonly=True)
        found = client.fetch("1:*", ["FLAGS"])
    return {uid: sorted(f for f in item[b"FLAGS"] if f != b"\\Recent") for uid, item in found.items()}


def connect(user: User, server: DovecotServer, folder: str, **changes: Any) -> Mailbox:
    return mailbox_connect_imap(user=user, details=details_for(server, folder, **changes))


# Syncing


@pytest.mark.django_db
def test_a_first_sync_reads_the_folder_skips_bulk_and_changes_no_flag(
    imap: DovecotServer, alice: User
) -> None:
    folder = imap.new_folder()
    append(imap, folder, ask(1), ask(2), newsletter())
    with imap.client() as client:  # one message the user already read in their mail program
        client.select_folder(folder)
        client.add_flags([1], [b"\\Flagged"])
    before = all_flags(imap, folder)

    connect(alice, imap, folder)
    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert (run.messages_seen, run.messages_skipped) == (3, 1)
    assert set(Task.objects.filter(user=alice).values_list("source__subject", flat=True)) == {
        "Report 1",
        "Report 2",
    }
    after = all_flags(imap, folder)
    assert after == before
    assert all(b"\\Seen" not in flags for flags in after.values())


@pytest.mark.django_db
def test_bulk_mail_is_decided_from_its_headers_and_its_body_never_downloaded(
    imap: DovecotServer, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = imap.new_folder()
    append(imap, folder, newsletter(), ask(1), newsletter())
    connect(alice, imap, folder)
    bodies_read: list[int] = []
    real_fetch = IMAPClient.fetch

    def counted_fetch(self: IMAPClient, messages: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
        if any(item.startswith(b"BODY.PEEK[]") for item in data):
            bodies_read.extend(messages)
        return real_fetch(self, messages, data, *args, **kwargs)

    monkeypatch.setattr(IMAPClient, "fetch", counted_fetch)
    run = sync_in_foreground(alice)

    assert (run.state, run.messages_seen, run.messages_skipped) == (SyncRun.State.SUCCEEDED, 3, 2)
    assert bodies_read == [2]  # only the ask; the two newsletters were judged by their headers


@pytest.mark.django_db
def test_an_incremental_sync_reads_only_new_mail_and_an_unchanged_folder_costs_no_search(
    imap: DovecotServer, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = imap.new_folder()
    append(imap, folder, ask(1), ask(2))
    connect(alice, imap, folder)
    assert sync_in_foreground(alice).messages_seen == 2
    first = Checkpoint.parse(Mailbox.objects.get(user=alice).checkpoint)
    assert first is not None and first.last_uid == 2

    append(imap, folder, ask(3))
    run = sync_in_foreground(alice)
    assert (run.state, run.messages_found, run.messages_seen) == (SyncRun.State.SUCCEEDED, 1, 1)
    second = Checkpoint.parse(Mailbox.objects.get(user=alice).checkpoint)
    assert second is not None and (second.validity, second.last_uid) == (first.validity, 3)
    assert second.modseq > 0  # Dovecot offers CONDSTORE

    searches: list[object] = []
    real_search = IMAPClient.search

    def counted_search(self: IMAPClient, *args: Any, **kwargs: Any) -> Any:
        searches.append(args)
        return real_search(self, *args, **kwargs)

    monkeypatch.setattr(IMAPClient, "search", counted_search)
    run = sync_in_foreground(alice)
    assert (run.state, run.messages_found) == (SyncRun.State.SUCCEEDED, 0)
    assert searches == []  # HIGHESTMODSEQ and UIDNEXT did not move: nothing to look for
    assert Task.objects.filter(user=alice).count() == 3


@pytest.mark.django_db
def test_a_changed_uidvalidity_lists_the_folder_again_without_processing_anything_twice(
    imap: DovecotServer, alice: User
) -> None:
    folder = imap.new_folder()
    old = [ask(1), ask(2)]
    append(imap, folder, *old)
    connect(alice, imap, folder)
    assert sync_in_foreground(alice).messages_seen == 2
    before = Checkpoint.parse(Mailbox.objects.get(user=alice).checkpoint)

    # The folder is recreated (as a server migration does): new UIDVALIDITY, the same messages, one more.
    with imap.client() as client:
        client.delete_folder(folder)
        client.create_folder(folder)
    append(imap, folder, *old, ask(3))

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.messages_found == 1
    after = Checkpoint.parse(Mailbox.objects.get(user=alice).checkpoint)
    assert before is not None and after is not None and after.validity != before.validity
    assert Task.objects.filter(user=alice).count() == 3
    assert MessageReceipt.objects.filter(mailbox__user=alice).count() == 3


@pytest.mark.django_db
def test_deleted_and_moved_messages_leave_the_sync_whole(imap: DovecotServer, alice: User) -> None:
    folder = imap.new_folder()
    elsewhere = imap.new_folder("archive")
    append(imap, folder, ask(1), ask(2))
    mailbox = connect(alice, imap, folder)
    assert sync_in_foreground(alice).messages_seen == 2
    # A message a run listed but never reached, since deleted by the user.
    MessageReceipt.objects.create(mailbox=mailbox, message_id="imap:" + "0" * 40)

    with imap.client() as client:
        client.select_folder(folder)
        client.move([1], elsewhere)
        client.delete_messages([2])
        client.expunge()
    append(imap, folder, ask(3))

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert Task.objects.filter(user=alice).count() == 3
    gone = MessageReceipt.objects.get(mailbox=mailbox, message_id="imap:" + "0" * 40)
    assert gone.status == MessageReceipt.Status.FAILED
    assert "no longer in the folder" in gone.last_error


@pytest.mark.django_db
def test_a_20_mb_message_is_read_only_up_to_the_limit_and_still_gives_its_task(
    imap: DovecotServer, alice: User, settings: SettingsWrapper
) -> None:
    message = EmailMessage()
    message["From"] = "Bob <bob@example.com>"
    message["To"] = "alice@example.com"
    message["Subject"] = "Slides for the board"
    message["Date"] = format_datetime(timezone.now() - dt.timedelta(hours=1))
    message["Message-ID"] = make_msgid(domain="example.com")
    message.set_content("Could you review the attached slides by Friday EOD?")
    message.add_attachment(
        os.urandom(15_000_000), maintype="application", subtype="octet-stream", filename="deck.bin"
    )
    raw = bytes(message)
    assert len(raw) > 20_000_000
    folder = imap.new_folder()
    append(imap, folder, raw)
    mailbox = connect(alice, imap, folder)

    source = ImapSource.for_mailbox(mailbox)
    listing = source.list_new("")
    [fetched] = list(source.fetch(listing.message_ids))
    assert fetched.raw is not None
    assert len(fetched.raw) == settings.IMAP_MAX_MESSAGE_BYTES

    run = sync_in_foreground(alice)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert Task.objects.filter(user=alice, title__icontains="slides").exists()


@pytest.mark.django_db
def test_a_folder_with_a_non_ascii_name_syncs(imap: DovecotServer, alice: User) -> None:
    folder = imap.new_folder("Reçus-Übersicht-日本")
    append(imap, folder, ask(1))
    connect(alice, imap, folder)

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.messages_seen == 1
    assert Mailbox.objects.get(user=alice).location.endswith(folder)


@pytest.mark.django_db
def test_a_wrong_password_means_reconnect_and_no_retries(imap: DovecotServer, alice: User) -> None:
    folder = imap.new_folder()
    append(imap, folder, ask(1))
    with pytest.raises(ImapError) as refused:
        mailbox_test_imap(details=details_for(imap, folder, password="wrong"))
    assert (refused.value.step, refused.value.kind) == ("login", FailureKind.NEEDS_RECONNECT)

    mailbox = connect(alice, imap, folder)
    account = ImapAccount.objects.get(mailbox=mailbox)
    account.password = "changed-on-the-server"
    account.save()

    run = sync_in_foreground(alice)

    assert run.state == SyncRun.State.FAILED
    assert "password" in run.error
    mailbox.refresh_from_db()
    assert mailbox.state == Mailbox.State.NEEDS_RECONNECT
    assert mailbox.next_attempt_at is None
    assert sync_unavailable_reason(mailbox, timezone.now()) is not None
    # Entering the right password again is the reconnect.
    connect(alice, imap, folder)
    assert sync_in_foreground(alice).state == SyncRun.State.SUCCEEDED


class StopsTheServer:
    """The offline extractor, but the first email it reads shuts the IMAP server down mid-sync."""

    metered = False
    name = "offline"

    def __init__(self, server: DovecotServer) -> None:
        self.server = server
        self.inner = OfflineExtractor()
        self.calls = 0

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]:
        self.calls += 1
        if self.calls == 1:
            self.server.stop()
        return self.inner.extract(email)


@pytest.mark.django_db
def test_a_server_stopped_mid_sync_loses_nothing(
    imap: DovecotServer, alice: User, settings: SettingsWrapper
) -> None:
    settings.IMAP_FETCH_BATCH = 1
    settings.IMAP_TIMEOUT_SECONDS = 5
    folder = imap.new_folder()
    append(imap, folder, ask(1), ask(2), ask(3))
    connect(alice, imap, folder)

    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.BUTTON, enqueue=False)
    try:
        run = mailbox_sync(run=run, extractor=StopsTheServer(imap))
    finally:
        imap.start()

    assert run.state == SyncRun.State.FAILED
    mailbox = Mailbox.objects.get(user=alice)
    assert mailbox.state == Mailbox.State.BACKING_OFF  # a network fault: back off, this mailbox only
    assert mailbox.checkpoint == ""  # nothing after the first message was confirmed
    # What was read before the server went away is kept (with extraction running beside the reading, the
    # message after the first may have been read too); the rest waits.
    assert 1 <= Task.objects.filter(user=alice).count() < 3

    Mailbox.objects.filter(pk=mailbox.pk).update(next_attempt_at=None)
    again = sync_in_foreground(alice)

    assert again.state == SyncRun.State.SUCCEEDED, again.error
    assert Task.objects.filter(user=alice).count() == 3
    assert MessageReceipt.objects.filter(mailbox=mailbox, status=MessageReceipt.Status.DONE).count() == 3


# Connecting safely


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.5",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
    ],
)
def test_internal_addresses_are_refused(host: str, settings: SettingsWrapper) -> None:
    settings.IMAP_ALLOW_PRIVATE_HOSTS = False
    from emailsync.sources.imap import resolve_host

    with pytest.raises(ImapError) as refused:
        resolve_host(host, 993)
    assert refused.value.step == "address"
    assert refused.value.kind == FailureKind.PERMANENT


def test_a_public_address_is_allowed_and_a_name_that_also_resolves_inward_is_refused(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emailsync.sources.imap import resolve_host

    settings.IMAP_ALLOW_PRIVATE_HOSTS = False
    assert resolve_host("8.8.8.8", 993) == "8.8.8.8"

    def two_answers(*args: object, **kwargs: object) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 993)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 993)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(ImapError, match="internal address"):
        resolve_host("mail.rebinding.example", 993)


def test_an_unknown_host_is_a_dns_failure(settings: SettingsWrapper) -> None:
    from emailsync.sources.imap import resolve_host

    with pytest.raises(ImapError) as failed:
        resolve_host("no-such-host.invalid", 993)
    assert failed.value.step == "dns"


def test_the_connection_goes_to_the_checked_address_not_to_a_new_lookup(imap: DovecotServer) -> None:
    # The name does not resolve at all: only the pinned address can have been used.
    details = details_for(imap, "INBOX", host="imap.unresolvable.invalid")
    client = _PinnedClient(details, "127.0.0.1", _context(details))
    try:
        client.login(imap.user, imap.password)
    finally:
        client.logout()


@pytest.mark.django_db
def test_a_self_signed_certificate_needs_the_opt_in_and_then_only_that_certificate(
    imap: DovecotServer, alice: User
) -> None:
    folder = imap.new_folder()
    with pytest.raises(ImapError) as untrusted:
        mailbox_test_imap(details=details_for(imap, folder, allow_self_signed=False))
    assert untrusted.value.step == "tls"
    assert "not trusted" in str(untrusted.value)

    mailbox = connect(alice, imap, folder)
    account = ImapAccount.objects.get(mailbox=mailbox)
    assert len(account.tls_fingerprint) == 64

    ImapAccount.objects.filter(pk=account.pk).update(
        tls_fingerprint="0" * 64
    )  # the server's certificate "changed"
    run = sync_in_foreground(alice)
    assert run.state == SyncRun.State.FAILED
    assert "certificate" in run.error and "changed" in run.error


@pytest.mark.django_db
def test_starttls_works_on_the_plain_port_and_implicit_tls_there_fails_clearly(imap: DovecotServer) -> None:
    folder = imap.new_folder()
    assert "holds 0 messages" in mailbox_test_imap(
        details=details_for(imap, folder, security="starttls", port=imap.starttls_port)
    )
    with pytest.raises(ImapError) as failed:
        mailbox_test_imap(details=details_for(imap, folder, security="tls", port=imap.starttls_port))
    assert failed.value.step == "tls"


@pytest.mark.django_db
def test_a_missing_folder_is_named(imap: DovecotServer) -> None:
    with pytest.raises(ImapError) as failed:
        mailbox_test_imap(details=details_for(imap, "No-Such-Folder-x1"))
    assert failed.value.step == "folder"
    assert "No-Such-Folder-x1" in str(failed.value)


@pytest.mark.django_db
def test_the_password_is_stored_encrypted_and_rotates_with_the_token_keys(
    imap: DovecotServer, alice: User, settings: SettingsWrapper
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    folder = imap.new_folder()
    mailbox = connect(alice, imap, folder)
    stored = ImapAccount.objects.get(mailbox=mailbox).password_encrypted
    assert imap.password not in stored
    assert Fernet(old.encode()).decrypt(stored.encode()).decode() == imap.password

    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_token_keys", stdout=out)
    assert "Re-encrypted 1 row(s)" in out.getvalue()
    settings.TOKEN_ENCRYPTION_KEYS = [new]
    assert ImapAccount.objects.get(mailbox=mailbox).password == imap.password
    assert sync_in_foreground(alice).state == SyncRun.State.SUCCEEDED


@pytest.mark.django_db
def test_a_demo_user_cannot_connect_a_server(imap: DovecotServer, alice: User) -> None:
    alice.profile.is_demo = True
    alice.profile.save()
    with pytest.raises(ImapRefused):
        connect(alice, imap, imap.new_folder())
    assert not Mailbox.objects.filter(user=alice).exists()


# The settings page and the command line


@pytest.mark.django_db
def test_the_settings_page_tests_and_connects_and_never_shows_the_password(
    imap: DovecotServer, alice: User
) -> None:
    folder = imap.new_folder()
    append(imap, folder, ask(1))
    client = client_for(alice)
    page = client.get("/accounts/settings/")
    assert "Connect an IMAP mailbox" in page.content.decode()
    form = {
        "host": imap.host,
        "security": "tls",
        "port": imap.port,
        "username": imap.user,
        "password": imap.password,
        "folder": folder,
        "allow_self_signed": "on",
    }

    tested = client.post("/accounts/settings/mailbox/imap/", {**form, "action": "test"}, follow=True)
    assert "holds 1 message" in tested.content.decode()
    assert not Mailbox.objects.filter(user=alice).exists()  # a test stores nothing

    connected = client.post("/accounts/settings/mailbox/imap/", {**form, "action": "connect"}, follow=True)
    html = connected.content.decode()
    assert "Connected tester at 127.0.0.1" in html
    assert Mailbox.objects.get(user=alice).source == Mailbox.Source.IMAP
    assert imap.password not in html

    wrong = client.post(
        "/accounts/settings/mailbox/imap/",
        {**form, "password": "typo-password", "action": "test"},
        follow=True,
    )
    html = wrong.content.decode()
    assert "Signing in failed" in html
    assert "typo-password" not in html
    assert f'value="{folder}"' in html  # the form comes back filled in, but for the password


@pytest.mark.django_db
def test_the_settings_form_refuses_an_internal_host_and_changes_nothing(
    alice: User, settings: SettingsWrapper
) -> None:
    settings.IMAP_ALLOW_PRIVATE_HOSTS = False
    response = client_for(alice).post(
        "/accounts/settings/mailbox/imap/",
        {
            "host": "169.254.169.254",
            "security": "tls",
            "port": 993,
            "username": "a",
            "password": "b",
            "folder": "INBOX",
            "action": "connect",
        },
        follow=True,
    )
    assert "internal address" in response.content.decode()
    assert not ImapAccount.objects.exists()


@pytest.mark.django_db
def test_connect_mailbox_takes_imap_details_on_the_command_line(
    imap: DovecotServer, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = imap.new_folder()
    monkeypatch.setenv("IMAP_PASSWORD", imap.password)
    out = io.StringIO()
    call_command(
        "connect_mailbox",
        str(alice.pk),
        "--imap-host",
        imap.host,
        "--imap-port",
        str(imap.port),
        "--imap-username",
        imap.user,
        "--imap-folder",
        folder,
        "--imap-self-signed",
        stdout=out,
    )
    assert "Connected" in out.getvalue()
    assert ImapAccount.objects.get(mailbox__user=alice).folder == folder


# One run through a real job cluster


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_imap_mailbox_syncs_through_a_real_cluster(
    imap: DovecotServer, user_factory: Callable[..., User], tmp_path: Path
) -> None:
    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.skip("the cluster process needs a database file it can open")
    from scheduler_site.tests.cluster import finished_run_of, job_cluster

    user = user_factory()
    folder = imap.new_folder()
    append(imap, folder, ask(1), ask(2), newsletter())
    connect(user, imap, folder)
    before = all_flags(imap, folder)

    sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON)
    log_path = tmp_path / "qcluster.log"
    with job_cluster(log_path, IMAP_ALLOW_PRIVATE_HOSTS="1") as cluster:
        run = finished_run_of(user.pk, cluster, log_path)

    assert run.state == SyncRun.State.SUCCEEDED, run.error or log_path.read_text()[-3000:]
    assert (run.messages_seen, run.messages_skipped, run.tasks_created) == (3, 1, 2)
    assert all_flags(imap, folder) == before
