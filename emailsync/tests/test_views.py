"""The dashboard's sync button, the sync history page and retrying a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_q.models import OrmQ
from pytest_django import DjangoCaptureOnCommitCallbacks

from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.services import mailbox_sync, sync_trigger
from tasks_app.models import Task

if TYPE_CHECKING:
    # Only in django-stubs: the test client's response, with .context and .wsgi_request.
    from django.test.client import _MonkeyPatchedWSGIResponse

SYNC_URL = "/sync/sync/"
HISTORY_URL = "/sync/history/"
JSON: dict[str, Any] = {"HTTP_ACCEPT": "application/json"}


def messages_of(response: _MonkeyPatchedWSGIResponse) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def alice_client(alice: User) -> Client:
    # Signed in before the mailbox exists, so that signing in does not start a sync of its own.
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def alice_mailbox(alice: User, alice_client: Client, mailbox_factory: Callable) -> Mailbox:
    mailbox, folder = mailbox_factory(alice)
    folder.add("wiki.eml", subject="Wiki", body="Please update the wiki page when you get a chance.")
    return mailbox


@pytest.mark.django_db
def test_the_sync_button_answers_json_with_the_run(
    alice: User, alice_client: Client, alice_mailbox: Mailbox
) -> None:
    response = alice_client.post(SYNC_URL, **JSON)

    assert response.status_code == 202
    body = response.json()
    run = SyncRun.objects.get(user=alice)
    assert body["task_id"] == str(run.public_id)
    assert body["trigger"] == SyncRun.Trigger.BUTTON
    assert body["state"] == SyncRun.State.QUEUED
    assert body["finished"] is False


@pytest.mark.django_db
def test_the_sync_button_queues_a_job_once_the_run_is_committed(
    alice: User,
    alice_client: Client,
    alice_mailbox: Mailbox,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alice_client.post(SYNC_URL, **JSON)
        assert OrmQ.objects.count() == 0

    for callback in callbacks:
        callback()
    [queued] = OrmQ.objects.all()
    assert queued.task["func"] == "emailsync.jobs.run_sync"
    assert queued.task["args"] == (SyncRun.objects.get(user=alice).pk,)


@pytest.mark.django_db
def test_pressing_the_button_twice_returns_the_same_run(alice_client: Client, alice_mailbox: Mailbox) -> None:
    first = alice_client.post(SYNC_URL, **JSON).json()
    second = alice_client.post(SYNC_URL, **JSON).json()

    assert second["task_id"] == first["task_id"]
    assert SyncRun.objects.count() == 1


@pytest.mark.django_db
def test_the_sync_button_without_json_redirects_to_the_dashboard(
    alice_client: Client, alice_mailbox: Mailbox
) -> None:
    response = alice_client.post(SYNC_URL)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert SyncRun.objects.count() == 1
    again = alice_client.post(SYNC_URL, follow=True)
    assert messages_of(again) == ["Sync started.", "A sync is already running."]
    assert SyncRun.objects.count() == 1


@pytest.mark.django_db
def test_the_sync_button_without_a_mailbox_explains_why(alice_client: Client) -> None:
    as_json = alice_client.post(SYNC_URL, **JSON)
    as_page = alice_client.post(SYNC_URL, follow=True)

    assert as_json.status_code == 409
    assert "No mailbox is connected yet" in as_json.json()["error"]
    assert any("No mailbox is connected yet" in text for text in messages_of(as_page))
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_the_sync_button_requires_login_and_post(
    client: Client, alice_client: Client, alice_mailbox: Mailbox
) -> None:
    anonymous = client.post(SYNC_URL)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert alice_client.get(SYNC_URL).status_code == 405
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_the_history_page_lists_the_users_runs(
    alice: User, charlie: User, alice_client: Client, alice_mailbox: Mailbox
) -> None:
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.COMMAND, enqueue=False)
    mailbox_sync(run=run)
    alice_client.post(SYNC_URL)
    SyncRun.objects.create(user=charlie, trigger=SyncRun.Trigger.API)

    response = alice_client.get(HISTORY_URL)

    assert response.status_code == 200
    assert [r.trigger for r in response.context["runs"]] == [SyncRun.Trigger.BUTTON, SyncRun.Trigger.COMMAND]
    html = response.content.decode()
    assert "Command line" in html
    assert "Dashboard button" in html
    assert "Succeeded" in html
    assert "API" not in html.split("<main", 1)[-1]


@pytest.mark.django_db
def test_the_history_page_lists_messages_that_failed_with_a_retry_button(
    alice: User, alice_client: Client, alice_mailbox: Mailbox
) -> None:
    broken = MessageReceipt.objects.create(
        mailbox=alice_mailbox,
        message_id="wiki.eml",
        subject="Broken one",
        status=MessageReceipt.Status.QUARANTINED,
        attempts=3,
        last_error="UnicodeDecodeError: boom",
    )
    MessageReceipt.objects.create(
        mailbox=alice_mailbox, message_id="ok.eml", subject="Fine one", status="done"
    )

    response = alice_client.get(HISTORY_URL)

    assert list(response.context["problems"]) == [broken]
    html = response.content.decode()
    assert "Broken one" in html
    assert "UnicodeDecodeError: boom" in html
    assert f'action="/sync/messages/{broken.pk}/retry/"' in html
    assert "Fine one" not in html


@pytest.mark.django_db
def test_a_retried_message_is_read_on_the_next_sync(
    alice: User, alice_client: Client, alice_mailbox: Mailbox
) -> None:
    broken = MessageReceipt.objects.create(
        mailbox=alice_mailbox, message_id="wiki.eml", status=MessageReceipt.Status.QUARANTINED, attempts=3
    )
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.COMMAND, enqueue=False)
    assert mailbox_sync(run=run).messages_seen == 0  # quarantined: left alone

    response = alice_client.post(f"/sync/messages/{broken.pk}/retry/", follow=True)

    assert messages_of(response) == ["The message will be read again on the next sync."]
    broken.refresh_from_db()
    assert (broken.status, broken.attempts, broken.last_error) == (MessageReceipt.Status.FAILED, 0, "")
    run, _ = sync_trigger(user=alice, trigger=SyncRun.Trigger.COMMAND, enqueue=False)
    assert mailbox_sync(run=run).messages_processed == 1
    broken.refresh_from_db()
    assert broken.status == MessageReceipt.Status.DONE
    assert Task.objects.filter(user=alice, source=broken).count() == 1


@pytest.mark.django_db
def test_retrying_another_users_message_is_404(alice: User, charlie: User, alice_mailbox: Mailbox) -> None:
    broken = MessageReceipt.objects.create(
        mailbox=alice_mailbox, message_id="wiki.eml", status=MessageReceipt.Status.QUARANTINED, attempts=3
    )
    client = Client()
    client.force_login(charlie)

    assert client.post(f"/sync/messages/{broken.pk}/retry/").status_code == 404
    broken.refresh_from_db()
    assert broken.status == MessageReceipt.Status.QUARANTINED
    assert broken.attempts == 3
