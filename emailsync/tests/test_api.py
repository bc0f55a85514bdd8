"""The sync API: starting a run, polling it, and signing in with a personal token."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from accounts.authentication import LAST_USED_PRECISION
from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke
from emailsync.models import SyncRun
from emailsync.services import mailbox_sync

SYNC_URL = "/api/email/sync"

AuthClient = Callable[[User], APIClient]


def status_url(task_id: object) -> str:
    return f"/api/email/sync/status/{task_id}"


@pytest.fixture
def alice_client(alice: User, auth_client: AuthClient) -> APIClient:
    # Signed in before the mailbox exists, so that signing in does not start a sync of its own.
    return auth_client(alice)


@pytest.fixture
def alice_mailbox(alice: User, alice_client: APIClient, mailbox_factory: Callable) -> object:
    mailbox, folder = mailbox_factory(alice)
    folder.add(subject="Q3", body="Could you send me the Q3 report by Friday EOD?")
    return mailbox


def bearer_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.django_db
def test_it_starts_a_sync_and_answers_202_with_the_documented_keys(
    alice: User, alice_mailbox: object, alice_client: APIClient
) -> None:
    response = alice_client.post(SYNC_URL)

    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"status", "message", "task_id", "user_id", "status_url"}
    run = SyncRun.objects.get(user=alice)
    assert body["task_id"] == str(run.public_id)
    assert body["user_id"] == alice.pk
    assert body["status"] == SyncRun.State.QUEUED
    assert run.trigger == SyncRun.Trigger.API
    assert body["message"]


@pytest.mark.django_db
def test_its_status_url_resolves_to_the_status_endpoint_of_the_run(
    alice: User, alice_mailbox: object, alice_client: APIClient
) -> None:
    client = alice_client
    body = client.post(SYNC_URL).json()

    path = urlparse(body["status_url"]).path
    match = resolve(path)
    assert match.view_name == "api:sync-status"
    assert match.kwargs == {"task_id": body["task_id"]}
    assert client.get(path).json()["task_id"] == body["task_id"]


@pytest.mark.django_db
def test_a_second_start_returns_the_run_already_in_progress(
    alice: User, alice_mailbox: object, alice_client: APIClient
) -> None:
    client = alice_client
    first = client.post(SYNC_URL).json()
    second = client.post(SYNC_URL)

    assert second.status_code == 202
    assert second.json()["task_id"] == first["task_id"]
    assert SyncRun.objects.filter(user=alice).count() == 1


@pytest.mark.django_db
def test_it_answers_409_with_a_message_when_no_mailbox_is_connected(
    alice: User, alice_client: APIClient
) -> None:
    response = alice_client.post(SYNC_URL)

    assert response.status_code == 409
    assert "mailbox" in response.json()["message"].lower()
    assert not SyncRun.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_it_refuses_anonymous_callers(alice_mailbox: object) -> None:
    client = APIClient()

    assert client.post(SYNC_URL).status_code in (401, 403)
    assert client.get(status_url(uuid.uuid4())).status_code in (401, 403)
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_status_reports_state_and_counters_of_a_finished_run(
    alice: User, alice_mailbox: object, alice_client: APIClient
) -> None:
    client = alice_client
    task_id = client.post(SYNC_URL).json()["task_id"]
    # Run the queued job in the foreground, as a worker would.
    mailbox_sync(run=SyncRun.objects.get(public_id=task_id))

    response = client.get(status_url(task_id))

    assert response.status_code == 200
    body = response.json()
    assert body["task_id"] == task_id
    assert body["state"] == SyncRun.State.SUCCEEDED
    assert body["finished"] is True
    assert body["counters"]["messages_found"] == 1
    assert body["counters"]["messages_seen"] == 1
    assert body["counters"]["tasks_created"] == 1
    assert body["counters"]["events_scheduled"] == 1
    assert body["summary"]


@pytest.mark.django_db
def test_status_of_a_queued_run_says_it_waits(
    alice: User, alice_mailbox: object, alice_client: APIClient
) -> None:
    client = alice_client
    task_id = client.post(SYNC_URL).json()["task_id"]

    body = client.get(status_url(task_id)).json()

    assert body["state"] == SyncRun.State.QUEUED
    assert body["finished"] is False
    assert body["counters"]["messages_seen"] == 0


@pytest.mark.django_db
def test_status_of_another_users_run_is_404(
    alice: User,
    charlie: User,
    alice_mailbox: object,
    alice_client: APIClient,
    auth_client: AuthClient,
) -> None:
    task_id = alice_client.post(SYNC_URL).json()["task_id"]

    response = auth_client(charlie).get(status_url(task_id))

    assert response.status_code == 404
    assert "task_id" not in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "12345", str(uuid.uuid4())])
def test_status_of_a_malformed_or_unknown_id_is_404(
    alice: User, auth_client: AuthClient, bad_id: str
) -> None:
    assert auth_client(alice).get(status_url(bad_id)).status_code == 404


@pytest.mark.django_db
def test_a_bearer_token_signs_the_caller_in(alice: User, alice_mailbox: object) -> None:
    _, raw = api_token_create(user=alice, name="script")
    client = bearer_client(raw)

    started = client.post(SYNC_URL)
    polled = client.get(status_url(started.json()["task_id"]))

    assert started.status_code == 202
    assert started.json()["user_id"] == alice.pk
    assert polled.status_code == 200


@pytest.mark.django_db
def test_a_bearer_token_records_when_it_was_last_used(alice: User, alice_mailbox: object) -> None:
    token, raw = api_token_create(user=alice, name="script")
    assert token.last_used_at is None

    bearer_client(raw).post(SYNC_URL)

    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_a_token_polled_often_records_its_last_use_once_a_minute(alice: User) -> None:
    token, raw = api_token_create(user=alice, name="script")
    client = bearer_client(raw)
    client.get("/api/tasks/")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    with CaptureQueriesContext(connection) as polls:
        assert client.get("/api/tasks/").status_code == 200
    token.refresh_from_db()

    assert token.last_used_at == first_use
    assert not [q for q in polls.captured_queries if q["sql"].startswith("UPDATE")]

    # A minute later the next call records itself again.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - LAST_USED_PRECISION)
    client.get("/api/tasks/")
    token.refresh_from_db()
    assert token.last_used_at > first_use


@pytest.mark.django_db
def test_a_revoked_token_is_refused_with_401(alice: User, alice_mailbox: object) -> None:
    token, raw = api_token_create(user=alice, name="script")
    assert api_token_revoke(user=alice, token_id=token.pk)

    response = bearer_client(raw).post(SYNC_URL)

    assert response.status_code == 401
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer isk_garbage", "Bearer", "Bearer two parts"])
def test_a_garbage_token_is_refused_with_401(alice_mailbox: object, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.post(SYNC_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_a_token_of_an_inactive_user_is_refused(alice: User, alice_mailbox: object) -> None:
    _, raw = api_token_create(user=alice, name="script")
    alice.is_active = False
    alice.save()

    assert bearer_client(raw).post(SYNC_URL).status_code == 401


@pytest.mark.django_db
def test_only_the_hash_of_a_token_is_stored(alice: User) -> None:
    token, raw = api_token_create(user=alice, name="script")

    assert raw.startswith(ApiToken.PREFIX)
    assert not ApiToken.objects.filter(token_hash=raw).exists()
    assert raw not in {token.token_hash, token.hint}
    assert raw.startswith(token.hint)


def test_the_named_routes_match_the_documented_paths() -> None:
    assert reverse("api:sync-start") == SYNC_URL
    some_id = uuid.uuid4()
    assert reverse("api:sync-status", args=[some_id]) == status_url(some_id)


@pytest.mark.django_db
def test_status_of_a_finished_run_costs_no_more_queries_than_a_running_one(
    alice: User, alice_mailbox: object, alice_client: APIClient
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task_id = alice_client.post(SYNC_URL).json()["task_id"]
    with CaptureQueriesContext(connection) as queued:
        alice_client.get(status_url(task_id))
    mailbox_sync(run=SyncRun.objects.get(public_id=task_id))

    with CaptureQueriesContext(connection) as finished:
        body = alice_client.get(status_url(task_id)).json()

    assert body["finished"] and body["waiting"]["messages"] == 0
    # What the run left for later was recorded when it ended, not counted again on every poll.
    assert len(finished) == len(queued), [q["sql"][:80] for q in finished.captured_queries]
