"""``accounts.google.client.execute``: every Google failure graded once into a ``GoogleApiError``, with the
real googleapiclient and google-auth against the fake Google."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Iterator
from typing import Any

import httplib2
import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest
from pytest_django import Settings

from accounts.google.client import execute, google_service
from accounts.google.errors import GoogleApiError, GoogleErrorKind, grade
from accounts.google.grant import google_disconnect
from accounts.models import GoogleCredential
from accounts.signals import GOOGLE_DISCONNECTED, google_access_ended
from scheduler_site.testing.fake_google import FakeGoogle, FakeUser
from scheduler_site.tests.google_support import (  # noqa: F401
    connect,
    fast_password_hashing_fixture,
    google_fixture,
    mail,
)

pytestmark = pytest.mark.django_db


def gmail(user: User, settings: Settings) -> Any:
    return google_service(user=user, api="gmail", version="v1", endpoint=settings.GMAIL_API_ENDPOINT)


def calendar(user: User, settings: Settings) -> Any:
    return google_service(
        user=user, api="calendar", version="v3", endpoint=settings.GOOGLE_CALENDAR_API_ENDPOINT
    )


def failure(request: Any, **kwargs: Any) -> GoogleApiError:
    with pytest.raises(GoogleApiError) as caught:
        execute(request, **kwargs)
    return caught.value


@pytest.fixture(name="account")
def account_fixture(google: FakeGoogle, alice: User) -> FakeUser:
    return connect(google, alice)


@pytest.fixture(name="ended")
def ended_fixture() -> Iterator[list[dict[str, Any]]]:
    """Every ``google_access_ended`` sent during the test."""
    sent: list[dict[str, Any]] = []

    def receive(sender: Any, **kwargs: Any) -> None:
        sent.append({"sender": sender, "user": kwargs["user"], "reason": kwargs["reason"]})

    google_access_ended.connect(receive, dispatch_uid="test_google_client")
    yield sent
    google_access_ended.disconnect(dispatch_uid="test_google_client")


def test_it_returns_the_answer_of_a_request_that_succeeds(
    account: FakeUser, alice: User, settings: Settings
) -> None:
    profile = execute(gmail(alice, settings).users().getProfile(userId="me"))

    assert profile["emailAddress"] == account.email


def test_a_429_is_rate_limited_with_retry_after_after_the_retries(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings
) -> None:
    google.fail("gmail.users.getProfile", status=429, retry_after=120, times=None)

    error = failure(gmail(alice, settings).users().getProfile(userId="me"))

    assert (error.kind, error.status, error.reason) == (
        GoogleErrorKind.RATE_LIMITED,
        429,
        "rateLimitExceeded",
    )
    assert error.retry_after == 120
    assert "rate-limited" in str(error) and "HTTP 429" in str(error)
    assert len(google.requests_to("gmail.users.getProfile")) == 1 + settings.GOOGLE_NUM_RETRIES


@pytest.mark.parametrize("reason", ["userRateLimitExceeded", "quotaExceeded"])
def test_a_rate_limit_403_is_rate_limited_for_gmail_and_calendar_alike(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings, reason: str
) -> None:
    google.fail("gmail.*", status=403, reason=reason, times=None)
    google.fail("calendar.*", status=403, reason=reason, times=None)

    from_gmail = failure(gmail(alice, settings).users().getProfile(userId="me"))
    from_calendar = failure(calendar(alice, settings).events().list(calendarId="primary"))

    assert {from_gmail.kind, from_calendar.kind} == {GoogleErrorKind.RATE_LIMITED}
    assert (from_gmail.status, from_gmail.reason) == (403, reason)


def test_a_server_error_is_unavailable_after_the_retries(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings
) -> None:
    google.fail("gmail.users.getProfile", status=503, times=None)

    error = failure(gmail(alice, settings).users().getProfile(userId="me"))

    assert (error.kind, error.status, error.reason) == (GoogleErrorKind.UNAVAILABLE, 503, "backendError")
    assert error.retryable and error.retry_after is None
    assert len(google.requests_to("gmail.users.getProfile")) == 1 + settings.GOOGLE_NUM_RETRIES


def test_a_dropped_connection_is_no_answer(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings
) -> None:
    google.drop("gmail.users.getProfile", times=None)

    error = failure(gmail(alice, settings).users().getProfile(userId="me"))

    assert (error.kind, error.status) == (GoogleErrorKind.NO_ANSWER, None)
    assert "could not be reached" in str(error)


def test_a_404_is_not_found_and_is_not_retried(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings
) -> None:
    google.fail("gmail.users.history.list", status=404, times=None)

    error = failure(gmail(alice, settings).users().history().list(userId="me", startHistoryId="1"))

    assert (error.kind, error.status, error.reason) == (GoogleErrorKind.NOT_FOUND, 404, "notFound")
    assert not error.retryable
    assert len(google.requests_to("gmail.users.history.list")) == 1


def test_an_event_id_that_is_taken_is_a_conflict_and_a_deleted_event_is_gone(
    account: FakeUser, alice: User, settings: Settings
) -> None:
    events = calendar(alice, settings).events()
    body = {
        "id": "abcdef12345",
        "summary": "Review",
        "start": {"dateTime": "2030-06-03T09:00:00Z"},
        "end": {"dateTime": "2030-06-03T10:00:00Z"},
    }
    execute(events.insert(calendarId="primary", body=body))
    execute(events.delete(calendarId="primary", eventId="abcdef12345"))

    taken = failure(events.insert(calendarId="primary", body=body))
    gone = failure(events.delete(calendarId="primary", eventId="abcdef12345"))

    assert (taken.kind, taken.status, taken.reason) == (GoogleErrorKind.CONFLICT, 409, "duplicate")
    assert (gone.kind, gone.status, gone.reason) == (GoogleErrorKind.GONE, 410, "deleted")


@pytest.mark.parametrize(
    ("status", "reason"), [(401, None), (403, "insufficientPermissions")], ids=["401", "missing scope"]
)
def test_refused_access_is_unauthorized(
    google: FakeGoogle,
    account: FakeUser,
    alice: User,
    settings: Settings,
    status: int,
    reason: str | None,
) -> None:
    google.fail("gmail.users.getProfile", status=status, reason=reason, times=None)

    error = failure(gmail(alice, settings).users().getProfile(userId="me"))

    assert (error.kind, error.status) == (GoogleErrorKind.UNAUTHORIZED, status)


def test_any_other_4xx_is_refused(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings
) -> None:
    google.fail("gmail.users.getProfile", status=400, times=None)

    error = failure(gmail(alice, settings).users().getProfile(userId="me"))

    assert (error.kind, error.status, error.reason) == (GoogleErrorKind.REFUSED, 400, "badRequest")
    assert len(google.requests_to("gmail.users.getProfile")) == 1


def test_invalid_grant_is_grant_lost_and_ends_google_access(
    google: FakeGoogle,
    account: FakeUser,
    alice: User,
    settings: Settings,
    ended: list[dict[str, Any]],
) -> None:
    service = gmail(alice, settings)
    google.revoke(account.email)

    error = failure(service.users().getProfile(userId="me"))

    assert (error.kind, error.reason) == (GoogleErrorKind.GRANT_LOST, "invalid_grant")
    assert ended == [{"sender": GoogleCredential, "user": alice, "reason": "invalid_grant"}]
    assert GoogleCredential.objects.get(user=alice).grant_lost_at is not None
    # The next client is refused before any call reaches Google.
    google.clear_requests()
    with pytest.raises(GoogleApiError) as building:
        gmail(alice, settings)
    assert building.value.kind == GoogleErrorKind.GRANT_LOST
    assert google.requests == [] and len(ended) == 1


def test_disconnecting_ends_google_access(
    account: FakeUser, alice: User, ended: list[dict[str, Any]]
) -> None:
    google_disconnect(user=alice)

    assert ended == [{"sender": GoogleCredential, "user": alice, "reason": GOOGLE_DISCONNECTED}]


def test_a_token_endpoint_refusal_other_than_invalid_grant_is_token_refused(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings, ended: list[dict[str, Any]]
) -> None:
    settings.GOOGLE_CLIENT_SECRET = "wrong"
    GoogleCredential.objects.filter(user=alice).update(
        access_token_expires_at=timezone.now() - dt.timedelta(hours=1)
    )

    error = failure(gmail(alice, settings).users().getProfile(userId="me"))

    assert error.kind == GoogleErrorKind.TOKEN_REFUSED and "invalid_client" in str(error)
    assert ended == [] and GoogleCredential.objects.get(user=alice).grant_lost_at is None


def batch_of_reads(service: Any, ids: list[str], results: dict[str, Any], settings: Settings) -> Any:
    def collect(request_id: str, response: Any, exception: Exception | None) -> None:
        results[request_id] = grade(exception) if exception is not None else response

    batch = BatchHttpRequest(callback=collect, batch_uri=settings.GMAIL_BATCH_URI)
    for message_id in ids:
        batch.add(
            service.users().messages().get(userId="me", id=message_id, format="raw"), request_id=message_id
        )
    return batch


def test_a_failing_batch_is_sent_again_then_graded(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings
) -> None:
    message = account.add_message(mail())
    service = gmail(alice, settings)
    google.fail("batch", status=503, times=None)
    results: dict[str, Any] = {}

    error = failure(batch_of_reads(service, [message.id], results, settings), http=service._http)

    assert (error.kind, error.status) == (GoogleErrorKind.UNAVAILABLE, 503)
    assert len(google.requests_to("batch")) == 1 + settings.GOOGLE_NUM_RETRIES
    assert results == {}


def test_a_batch_that_fails_once_succeeds_on_the_next_attempt(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings
) -> None:
    message = account.add_message(mail())
    service = gmail(alice, settings)
    google.fail("batch", status=500, times=1)
    results: dict[str, Any] = {}

    execute(batch_of_reads(service, [message.id], results, settings), http=service._http)

    assert results[message.id]["id"] == message.id
    assert len(google.requests_to("batch")) == 2


def test_a_batch_told_to_wait_long_is_not_sent_again_in_the_worker(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings
) -> None:
    message = account.add_message(mail())
    service = gmail(alice, settings)
    google.fail("batch", status=429, retry_after=600, times=None)

    error = failure(batch_of_reads(service, [message.id], {}, settings), http=service._http)

    assert (error.kind, error.retry_after) == (GoogleErrorKind.RATE_LIMITED, 600)
    assert len(google.requests_to("batch")) == 1


def test_a_part_that_fails_inside_a_batch_is_graded_on_its_own(
    google: FakeGoogle, account: FakeUser, alice: User, settings: Settings
) -> None:
    kept = account.add_message(mail("Kept"))
    limited = account.add_message(mail("Limited"))
    service = gmail(alice, settings)
    google.fail(f"/gmail/v1/users/me/messages/{limited.id}", status=429, retry_after=3, times=None)
    results: dict[str, Any] = {}

    execute(batch_of_reads(service, [kept.id, limited.id], results, settings), http=service._http)

    assert results[kept.id]["id"] == kept.id
    part = results[limited.id]
    assert (part.kind, part.status, part.retry_after) == (GoogleErrorKind.RATE_LIMITED, 429, 3)


def http_error(status: int, body: bytes, **headers: str) -> HttpError:
    return HttpError(httplib2.Response({"status": status, **headers}), body)


def test_the_reason_of_newer_apis_is_read_from_the_details() -> None:
    body = b'{"error": {"code": 403, "status": "PERMISSION_DENIED", "details": [{"reason": "RATE_LIMIT_EXCEEDED"}]}}'

    error = grade(http_error(403, body))

    assert (error.kind, error.reason) == (GoogleErrorKind.RATE_LIMITED, "RATE_LIMIT_EXCEEDED")


def test_retry_after_may_be_an_http_date() -> None:
    when = email.utils.format_datetime(timezone.now() + dt.timedelta(seconds=90), usegmt=True)

    error = grade(http_error(429, b"", **{"retry-after": when}))

    assert error.kind == GoogleErrorKind.RATE_LIMITED
    assert error.retry_after is not None and 80 < error.retry_after <= 90


def test_an_error_that_is_not_googles_is_not_graded() -> None:
    with pytest.raises(ZeroDivisionError):
        grade(ZeroDivisionError("a bug of ours"))
