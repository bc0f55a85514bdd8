"""The fake Google, driven by the real google-api-python-client and google-auth: if these pass, the
product's Google code sees the URLs, payloads and errors it would see from Google."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient import http as googleapiclient_http
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from scheduler_site.testing import fake_google_pytest
from scheduler_site.testing.fake_google import FakeGoogle, IssuedTokens
from scheduler_site.testing.fake_google_state import SCOPE_GMAIL_READONLY, SCOPE_OPENID

ALICE = "alice@example.com"
CHARLIE = "charlie@example.com"  # should have no access to Alice's stuff
NOW = dt.datetime.now(dt.UTC)
POPUP = {"method": "popup", "minutes": 10}

fake_google = fake_google_pytest.fake_google
fake_google_settings = fake_google_pytest.fake_google_settings


@pytest.fixture
def google(fake_google: FakeGoogle) -> FakeGoogle:
    fake_google.add_user(ALICE, name="Alice Liddell", time_zone="Europe/Madrid")
    fake_google.add_user(CHARLIE)
    return fake_google


def credentials(google: FakeGoogle, tokens: IssuedTokens) -> Credentials:
    return Credentials(
        tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_uri=google.token_uri,
        client_id=google.client_id,
        client_secret=google.client_secret,
    )


def gmail(google: FakeGoogle, who: str = ALICE, *, timeout: float | None = None) -> Any:
    http = google_auth_httplib2.AuthorizedHttp(
        credentials(google, google.grant(who)), http=httplib2.Http(timeout=timeout)
    )
    return build(
        "gmail",
        "v1",
        http=http,
        static_discovery=True,
        client_options={"api_endpoint": google.gmail_api_endpoint},
    )


def calendar(google: FakeGoogle, who: str = ALICE) -> Any:
    creds = credentials(google, google.grant(who))
    return build(
        "calendar",
        "v3",
        credentials=creds,
        static_discovery=True,
        client_options={"api_endpoint": google.calendar_api_endpoint},
    )


def mail(subject: str, *, days_ago: float = 0, body: str = "Please send the report.") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Bob <bob@example.com>"
    message["To"] = ALICE
    message["Subject"] = subject
    message["Date"] = format_datetime(NOW - dt.timedelta(days=days_ago))
    message.set_content(body)
    return message


def event(
    event_id: str,
    start: str = "2026-03-02T10:00:00+01:00",
    end: str = "2026-03-02T11:00:00+01:00",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "summary": "Write report",
        "start": {"dateTime": start},
        "end": {"dateTime": end},
        **extra,
    }


def http_error_reason(error: HttpError) -> str:
    return json.loads(error.content)["error"]["errors"][0]["reason"]


def post_form(url: str, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def profile_status(google: FakeGoogle, access_token: str | None) -> int:
    """One API call with a bare token, so that no library refreshes it behind our back."""
    response, _ = httplib2.Http().request(
        google.gmail_api_endpoint + "gmail/v1/users/me/profile",
        headers={"Authorization": f"Bearer {access_token}"},
    )
    return response.status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def open_without_redirect(url: str, data: bytes | None = None) -> tuple[int, dict[str, str], str]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, data=data) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_profile_reports_the_mailbox_counts_and_history_id(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    first = alice.add_message(mail("One"))
    alice.add_message(mail("Re: One"), thread_id=first.thread_id)

    profile = gmail(google).users().getProfile(userId="me").execute()

    assert profile == {
        "emailAddress": ALICE,
        "messagesTotal": 2,
        "threadsTotal": 1,
        "historyId": str(alice.history_id),
    }


def test_it_lists_messages_newest_first_in_pages(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    ids = [alice.add_message(mail(f"Message {n}", days_ago=7 - n)).id for n in range(7)]
    service = gmail(google)

    seen, token, pages = [], None, 0
    while True:
        page = service.users().messages().list(userId="me", maxResults=3, pageToken=token).execute()
        seen += [m["id"] for m in page["messages"]]
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break

    assert seen == list(reversed(ids))
    assert pages == 3


def test_it_filters_messages_by_labels_and_query(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    fresh = alice.add_message(mail("Fresh", days_ago=1)).id
    old = alice.add_message(mail("Old", days_ago=30)).id
    promo = alice.add_message(mail("Sale", days_ago=1), labels=["INBOX", "CATEGORY_PROMOTIONS"]).id
    spam = alice.add_message(mail("Spam", days_ago=1), labels=["SPAM"]).id
    archived = alice.add_message(mail("Archived", days_ago=1), labels=["CATEGORY_PERSONAL"]).id
    messages = gmail(google).users().messages()

    def ids(**kwargs: Any) -> set[str]:
        return {m["id"] for m in messages.list(userId="me", **kwargs).execute().get("messages", [])}

    assert ids(
        q="in:inbox newer_than:7d -category:promotions", fields="messages(id,threadId),nextPageToken"
    ) == {fresh}
    assert ids(labelIds=["INBOX"]) == {fresh, old, promo}
    assert ids(labelIds=["INBOX", "CATEGORY_PROMOTIONS"]) == {promo}
    assert ids() == {fresh, old, promo, archived}
    assert ids(includeSpamTrash=True) == {fresh, old, promo, archived, spam}
    assert ids(q="in:spam") == {spam}
    week_ago = int((NOW - dt.timedelta(days=7)).timestamp())
    assert ids(q=f"after:{week_ago} in:inbox") == {fresh, promo}
    assert ids(q=f"before:{week_ago}") == {old}
    assert ids(q=f"before:{(NOW - dt.timedelta(days=20)):%Y/%m/%d}") == {old}
    assert messages.list(userId="me", q="in:trash").execute() == {"resultSizeEstimate": 0}


def test_it_refuses_query_terms_it_cannot_answer(google: FakeGoogle) -> None:
    with pytest.raises(HttpError) as caught:
        gmail(google).users().messages().list(userId="me", q="from:bob").execute()
    assert caught.value.resp.status == 400


def test_get_raw_returns_the_message_bytes(google: FakeGoogle) -> None:
    stored = google.user(ALICE).add_message(mail("Raw one", body="Café at 10?\n"))

    got = gmail(google).users().messages().get(userId="me", id=stored.id, format="raw").execute()

    raw = base64.urlsafe_b64decode(got["raw"])
    assert raw == stored.raw and b"\r\n" in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Raw one"
    assert parsed.get_content() == "Café at 10?\r\n"  # Gmail hands out CRLF line ends
    assert got["threadId"] == stored.thread_id
    assert got["internalDate"] == str(stored.internal_date_ms)
    assert "payload" not in got


def test_get_full_returns_the_mime_tree_with_decoded_bodies(google: FakeGoogle) -> None:
    message = mail("Agenda", body="Plain agenda: it's at 3pm")
    message.add_alternative("<p>HTML agenda</p>", subtype="html")
    message.add_attachment(b"%PDF-1.4 data", maintype="application", subtype="pdf", filename="agenda.pdf")
    stored = google.user(ALICE).add_message(message)
    messages = gmail(google).users().messages()

    got = messages.get(userId="me", id=stored.id).execute()

    payload = got["payload"]
    assert payload["mimeType"] == "multipart/mixed" and payload["partId"] == ""
    assert {"name": "Subject", "value": "Agenda"} in payload["headers"]
    alternative, attachment = payload["parts"]
    plain, html_part = alternative["parts"]
    assert (plain["partId"], html_part["partId"]) == ("0.0", "0.1")
    assert base64.urlsafe_b64decode(plain["body"]["data"]).decode() == "Plain agenda: it's at 3pm\r\n"
    assert base64.urlsafe_b64decode(html_part["body"]["data"]).decode() == "<p>HTML agenda</p>\r\n"
    assert attachment["filename"] == "agenda.pdf" and "data" not in attachment["body"]
    assert got["snippet"] == "Plain agenda: it&#39;s at 3pm"
    body = (
        messages.attachments()
        .get(userId="me", messageId=stored.id, id=attachment["body"]["attachmentId"])
        .execute()
    )
    assert base64.urlsafe_b64decode(body["data"]) == b"%PDF-1.4 data"


def test_get_metadata_returns_only_the_headers_asked_for(google: FakeGoogle) -> None:
    stored = google.user(ALICE).add_message(mail("Heads up"))

    got = (
        gmail(google)
        .users()
        .messages()
        .get(userId="me", id=stored.id, format="metadata", metadataHeaders=["subject", "From"])
        .execute()
    )

    assert got["payload"]["headers"] == [
        {"name": "From", "value": "Bob <bob@example.com>"},
        {"name": "Subject", "value": "Heads up"},
    ]
    assert "parts" not in got["payload"] and "raw" not in got


def test_get_of_a_missing_message_is_404(google: FakeGoogle) -> None:
    with pytest.raises(HttpError) as caught:
        gmail(google).users().messages().get(userId="me", id="18f3a1c2d4e5ffff").execute()
    assert caught.value.resp.status == 404
    assert http_error_reason(caught.value) == "notFound"


def test_history_lists_inbox_additions_after_the_checkpoint_in_pages(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    alice.add_message(mail("Before the checkpoint"))
    service = gmail(google)
    checkpoint = service.users().getProfile(userId="me").execute()["historyId"]
    new = [alice.add_message(mail(f"New {n}")).id for n in range(5)]
    alice.add_message(mail("Spam"), labels=["SPAM"])
    archived = alice.add_message(mail("Archived then moved"), labels=["CATEGORY_PERSONAL"]).id
    alice.add_labels(archived, ["INBOX"])

    added, token, pages = [], None, []
    while True:
        page = (
            service.users()
            .history()
            .list(
                userId="me",
                startHistoryId=checkpoint,
                historyTypes=["messageAdded"],
                labelId="INBOX",
                maxResults=2,
                pageToken=token,
            )
            .execute()
        )
        pages.append(page)
        added += [item["message"]["id"] for record in page["history"] for item in record["messagesAdded"]]
        token = page.get("nextPageToken")
        if not token:
            break

    assert added == new
    assert len(pages) == 3
    assert all(page["historyId"] == str(alice.history_id) for page in pages)
    label_changes = (
        service.users().history().list(userId="me", startHistoryId=checkpoint, historyTypes="labelAdded")
    )
    assert [r["labelsAdded"][0]["labelIds"] for r in label_changes.execute()["history"]] == [["INBOX"]]


def test_history_with_nothing_new_still_reports_the_history_id(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    alice.add_message(mail("Old news"))

    reply = gmail(google).users().history().list(userId="me", startHistoryId=str(alice.history_id)).execute()

    assert reply == {"historyId": str(alice.history_id)}


def test_a_stale_history_id_is_404(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    alice.add_message(mail("One"))
    checkpoint = alice.history_id
    alice.add_message(mail("Two"))
    alice.prune_history()

    with pytest.raises(HttpError) as caught:
        gmail(google).users().history().list(userId="me", startHistoryId=str(checkpoint)).execute()

    assert caught.value.resp.status == 404
    assert json.loads(caught.value.content)["error"]["message"] == "Requested entity was not found."
    assert json.loads(caught.value.content)["error"]["status"] == "NOT_FOUND"


def _batch_get(google: FakeGoogle, service: Any, ids: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}

    def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
        results[request_id] = exception or response

    batch = BatchHttpRequest(callback=collect, batch_uri=google.gmail_batch_uri)
    for message_id in ids:
        batch.add(
            service.users().messages().get(userId="me", id=message_id, format="raw"), request_id=message_id
        )
    batch.execute()
    return results


def test_a_batch_gets_60_messages_in_one_request(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    ids = [alice.add_message(mail(f"Batch {n}")).id for n in range(60)]

    results = _batch_get(google, gmail(google), ids)

    assert {message_id: results[message_id]["id"] for message_id in ids} == {m: m for m in ids}
    assert len(google.requests_to("batch")) == 1
    inner = google.requests_to("gmail.users.messages.get")
    assert len(inner) == 60 and all(r.batch and r.user == ALICE for r in inner)


def test_a_part_of_a_batch_fails_on_its_own_with_retry_after(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    ids = [alice.add_message(mail(f"Batch {n}")).id for n in range(3)]
    google.fail(f"/gmail/v1/users/me/messages/{ids[1]}", status=429, retry_after=2)
    service = gmail(google)

    first = _batch_get(google, service, ids)
    again = _batch_get(google, service, [ids[1]])

    failed = first[ids[1]]
    assert isinstance(failed, HttpError) and failed.resp.status == 429
    assert failed.resp["retry-after"] == "2"
    assert http_error_reason(failed) == "rateLimitExceeded"
    assert failed.reason == "Too many concurrent requests for user."
    assert first[ids[0]]["id"] == ids[0] and first[ids[2]]["id"] == ids[2]
    assert again[ids[1]]["id"] == ids[1]


def test_batch_answers_carry_response_content_ids_like_google(google: FakeGoogle) -> None:
    stored = google.user(ALICE).add_message(mail("Raw batch"))
    token = google.grant(ALICE).access_token
    body = (
        "--b1\r\nContent-Type: application/http\r\nContent-ID: <item1>\r\n\r\n"
        f"GET /gmail/v1/users/me/messages/{stored.id}?format=minimal\r\nAuthorization: Bearer {token}\r\n\r\n"
        "--b1\r\nContent-Type: application/http\r\nContent-ID: <item2>\r\n\r\n"
        "GET /gmail/v1/users/me/profile\r\n\r\n"
        "--b1\r\nContent-Type: application/http\r\nContent-ID: <item3>\r\n\r\n"
        "nonsense\r\n\r\n"
        "--b1--\r\n"
    )
    response, content = httplib2.Http().request(
        f"{google.base_url}/batch",
        "POST",
        body=body,
        headers={"Content-Type": "multipart/mixed; boundary=b1"},
    )

    text = content.decode()
    assert response.status == 200 and response["content-type"].startswith("multipart/mixed; boundary=batch_")
    first, rest = text.split("Content-ID: <response-item1>")[1].split("Content-ID: <response-item2>")
    second, third = rest.split("Content-ID: <response-item3>")
    assert first.lstrip().startswith("HTTP/1.1 200 OK") and f'"id": "{stored.id}"' in first
    assert second.lstrip().startswith("HTTP/1.1 401 Unauthorized")  # each part carries its own token
    assert third.lstrip().startswith("HTTP/1.1 400 Bad Request")


def test_a_batch_of_more_than_100_calls_is_refused(google: FakeGoogle) -> None:
    service = gmail(google)
    batch = BatchHttpRequest(batch_uri=google.gmail_batch_uri)
    for _ in range(101):
        batch.add(service.users().messages().get(userId="me", id="18f3a1c2d4e50000"))

    with pytest.raises(HttpError) as caught:
        batch.execute()

    assert caught.value.resp.status == 400
    assert google.requests_to("gmail.users.messages.get") == []


def test_batch_parts_with_an_expired_token_are_refreshed_and_sent_again(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    ids = [alice.add_message(mail(f"Batch {n}")).id for n in range(2)]
    service = gmail(google)
    google.expire_access_tokens(ALICE)

    results = _batch_get(google, service, ids)

    assert [results[m]["id"] for m in ids] == ids
    assert [r.status for r in google.requests_to("gmail.users.messages.get")] == [401, 401, 200, 200]
    assert len(google.requests_to("oauth.token")) == 1


def test_the_batch_endpoint_carries_calendar_writes_with_their_bodies(google: FakeGoogle) -> None:
    events = calendar(google).events()
    results: dict[str, Any] = {}
    batch = BatchHttpRequest(
        callback=lambda request_id, response, exception: results.__setitem__(
            request_id, exception or response
        ),
        batch_uri=f"{google.base_url}/batch/calendar/v3",
    )
    batch.add(events.insert(calendarId="primary", body=event("batch00001")), request_id="first")
    batch.add(events.insert(calendarId="primary", body=event("batch00001")), request_id="again")

    batch.execute()

    assert results["first"]["summary"] == "Write report"
    assert isinstance(results["again"], HttpError) and results["again"].resp.status == 409
    assert [e["id"] for e in google.user(ALICE).calendar_events()] == ["batch00001"]


def test_one_users_token_never_reaches_another_users_data(google: FakeGoogle) -> None:
    secret = google.user(ALICE).add_message(mail("Alice's secret")).id
    calendar(google, ALICE).events().insert(calendarId="primary", body=event("alice00001")).execute()
    charlie_mail, charlie_calendar = gmail(google, CHARLIE), calendar(google, CHARLIE)

    assert charlie_mail.users().messages().list(userId="me").execute() == {"resultSizeEstimate": 0}
    with pytest.raises(HttpError) as not_his:
        charlie_mail.users().messages().get(userId="me", id=secret).execute()
    with pytest.raises(HttpError) as delegation:
        charlie_mail.users().messages().list(userId=ALICE).execute()
    with pytest.raises(HttpError) as other_calendar:
        charlie_calendar.events().list(calendarId=ALICE).execute()
    with pytest.raises(HttpError) as not_his_event:
        charlie_calendar.events().get(calendarId="primary", eventId="alice00001").execute()

    assert (not_his.value.resp.status, delegation.value.resp.status) == (404, 403)
    assert (other_calendar.value.resp.status, not_his_event.value.resp.status) == (404, 404)
    assert charlie_calendar.events().list(calendarId="primary").execute()["items"] == []


def test_insert_with_a_client_id_then_again_is_409_duplicate(google: FakeGoogle) -> None:
    events = calendar(google).events()
    body = event(
        "task0000000001",
        extendedProperties={"private": {"taskId": "1"}},
        visibility="private",
        reminders={"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]},
    )

    created = events.insert(calendarId="primary", body=body, sendUpdates="none").execute()
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=body, sendUpdates="none").execute()

    assert created["id"] == "task0000000001" and created["status"] == "confirmed"
    assert created["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert created["extendedProperties"] == {"private": {"taskId": "1"}}
    assert caught.value.resp.status == 409 and http_error_reason(caught.value) == "duplicate"
    assert events.get(calendarId=ALICE, eventId="task0000000001").execute() == created


@pytest.mark.parametrize("bad_id", ["TASK00001", "taskw0001", "abcd", "task_0001"])
def test_insert_refuses_ids_that_are_not_base32hex(google: FakeGoogle, bad_id: str) -> None:
    with pytest.raises(HttpError) as caught:
        calendar(google).events().insert(calendarId="primary", body=event(bad_id)).execute()
    assert caught.value.resp.status == 400
    assert google.user(ALICE).calendar_events() == []


def test_a_deleted_event_stays_cancelled_keeps_its_id_and_is_410_when_deleted_again(
    google: FakeGoogle,
) -> None:
    events = calendar(google).events()
    events.insert(calendarId="primary", body=event("gone000001")).execute()

    events.delete(calendarId="primary", eventId="gone000001", sendUpdates="none").execute()

    assert events.get(calendarId="primary", eventId="gone000001").execute()["status"] == "cancelled"
    with pytest.raises(HttpError) as again:
        events.delete(calendarId="primary", eventId="gone000001").execute()
    with pytest.raises(HttpError) as reused:
        events.insert(calendarId="primary", body=event("gone000001")).execute()
    with pytest.raises(HttpError) as never:
        events.delete(calendarId="primary", eventId="never00001").execute()
    assert (again.value.resp.status, http_error_reason(again.value)) == (410, "deleted")
    assert (reused.value.resp.status, never.value.resp.status) == (409, 404)


def test_patch_merges_and_update_replaces(google: FakeGoogle) -> None:
    events = calendar(google).events()
    events.insert(
        calendarId="primary",
        body=event("edit000001", description="From email", extendedProperties={"private": {"taskId": "9"}}),
    ).execute()

    patched = events.patch(
        calendarId="primary",
        eventId="edit000001",
        body={"summary": "Write the report", "extendedProperties": {"private": {"state": "approved"}}},
    ).execute()
    replaced = events.update(
        calendarId="primary", eventId="edit000001", body=event("edit000001", start="2026-03-03T09:00:00Z",
                                                              end="2026-03-03T09:30:00Z")
    ).execute()  # fmt: skip

    assert patched["summary"] == "Write the report" and patched["description"] == "From email"
    assert patched["extendedProperties"]["private"] == {"taskId": "9", "state": "approved"}
    assert "description" not in replaced and "extendedProperties" not in replaced
    assert replaced["start"] == {"dateTime": "2026-03-03T09:00:00Z"} and replaced["sequence"] == 1


def test_list_filters_by_window_and_private_property_and_carries_the_time_zone(google: FakeGoogle) -> None:
    events = calendar(google).events()
    for n, day in enumerate((2, 3, 9)):
        body = event(
            f"list00000{n}",
            start=f"2026-03-0{day}T10:00:00+01:00",
            end=f"2026-03-0{day}T11:00:00+01:00",
            extendedProperties={"private": {"taskId": str(n)}},
        )
        events.insert(calendarId="primary", body=body).execute()
    events.insert(calendarId="primary", body={"id": "datebased1", "start": {"date": "2026-03-04"},
                                             "end": {"date": "2026-03-05"}}).execute()  # fmt: skip
    events.delete(calendarId="primary", eventId="list000001").execute()

    def ids(**kwargs: Any) -> list[str]:
        reply = events.list(calendarId="primary", singleEvents=True, **kwargs).execute()
        assert reply["timeZone"] == "Europe/Madrid"
        return [item["id"] for item in reply["items"]]

    window = {"timeMin": "2026-03-02T10:30:00+01:00", "timeMax": "2026-03-09T10:00:00+01:00"}
    assert ids(**window, orderBy="startTime") == ["list000000", "datebased1"]
    assert ids(**window, showDeleted=True) == ["list000000", "list000001", "datebased1"]
    assert ids(privateExtendedProperty="taskId=2") == ["list000002"]
    assert ids(privateExtendedProperty=["taskId=2", "taskId=0"]) == []
    first = events.list(calendarId="primary", maxResults=2).execute()
    rest = events.list(calendarId="primary", maxResults=2, pageToken=first["nextPageToken"]).execute()
    assert [e["id"] for e in first["items"] + rest["items"]] == ["list000000", "datebased1", "list000002"]
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary", orderBy="startTime").execute()
    assert caught.value.resp.status == 400


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (event("bad0000001", start="2026-03-02T11:00:00Z", end="2026-03-02T10:00:00Z"), "timeRangeEmpty"),
        (event("bad0000002", start="2026-03-02T11:00:00", end="2026-03-02T12:00:00"), "required"),
        ({"id": "bad0000003", "start": {"dateTime": "2026-03-02T11:00:00Z"}}, "required"),
        (
            event("bad0000004", reminders={"useDefault": False, "overrides": [POPUP] * 6}),
            "invalid",
        ),
        (
            event("bad0000005", reminders={"useDefault": True, "overrides": [POPUP]}),
            "cannotUseDefaultRemindersAndSpecifyOverride",
        ),
    ],
)  # fmt: skip
def test_insert_validates_times_and_reminders(google: FakeGoogle, body: dict[str, Any], reason: str) -> None:
    with pytest.raises(HttpError) as caught:
        calendar(google).events().insert(calendarId="primary", body=body).execute()
    assert (caught.value.resp.status, http_error_reason(caught.value)) == (400, reason)


def test_a_token_without_the_scope_is_403(google: FakeGoogle) -> None:
    creds = credentials(google, google.grant(ALICE, scopes=[SCOPE_OPENID, SCOPE_GMAIL_READONLY]))
    service = build(
        "calendar", "v3", credentials=creds, client_options={"api_endpoint": google.calendar_api_endpoint}
    )

    with pytest.raises(HttpError) as caught:
        service.events().insert(calendarId="primary", body=event("scope00001")).execute()

    assert (caught.value.resp.status, http_error_reason(caught.value)) == (403, "insufficientPermissions")


def _authorize(google: FakeGoogle, **params: str) -> dict[str, str]:
    query = {
        "client_id": google.client_id,
        "redirect_uri": "http://testserver/complete/google-oauth2/",
        "response_type": "code",
        "scope": "openid email profile " + SCOPE_GMAIL_READONLY,
        "state": "xyz",
        **params,
    }
    status, headers, _ = open_without_redirect(google.auth_uri + "?" + urllib.parse.urlencode(query))
    assert status == 302
    location = urllib.parse.urlsplit(headers["Location"])
    assert location.path == "/complete/google-oauth2/"
    return dict(urllib.parse.parse_qsl(location.query))


def _exchange(google: FakeGoogle, code: str) -> tuple[int, dict[str, Any]]:
    return post_form(
        google.token_uri,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://testserver/complete/google-oauth2/",
            "client_id": google.client_id,
            "client_secret": google.client_secret,
        },
    )


def test_the_code_flow_issues_tokens_an_id_token_and_userinfo(google: FakeGoogle) -> None:
    answer = _authorize(google, auto_approve_as=ALICE, access_type="offline", prompt="consent")
    status, tokens = _exchange(google, answer["code"])
    reused_status, reused = _exchange(google, answer["code"])

    assert answer["state"] == "xyz"
    assert status == 200 and tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    claims = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[1] + "=="))
    assert (claims["email"], claims["aud"], claims["email_verified"]) == (ALICE, google.client_id, True)
    assert (reused_status, reused["error"]) == (400, "invalid_grant")
    request = urllib.request.Request(
        google.userinfo_url, headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    with urllib.request.urlopen(request) as response:
        info = json.loads(response.read())
    assert info == {
        "sub": google.user(ALICE).sub,
        "name": "Alice Liddell",
        "given_name": "Alice",
        "family_name": "Liddell",
        "picture": info["picture"],
        "email": ALICE,
        "email_verified": True,
    }


def test_a_refresh_token_comes_only_offline_on_first_consent_or_with_prompt_consent(
    google: FakeGoogle,
) -> None:
    google.auto_approve(ALICE)

    online = _exchange(google, _authorize(google)["code"])[1]
    first = _exchange(google, _authorize(google, access_type="offline")["code"])[1]
    second = _exchange(google, _authorize(google, access_type="offline")["code"])[1]
    forced = _exchange(google, _authorize(google, access_type="offline", prompt="consent")["code"])[1]

    assert "refresh_token" not in online
    assert "refresh_token" not in first  # the online sign-in above was the first consent
    assert "refresh_token" not in second
    assert forced["refresh_token"]


def test_after_a_revocation_the_next_sign_in_is_a_first_consent_again(google: FakeGoogle) -> None:
    google.auto_approve(ALICE)
    _exchange(google, _authorize(google, access_type="offline")["code"])
    google.revoke(ALICE)

    again = _exchange(google, _authorize(google, access_type="offline")["code"])[1]

    assert again["refresh_token"]


def test_the_consent_form_approves_or_denies(google: FakeGoogle) -> None:
    query = {
        "client_id": google.client_id,
        "redirect_uri": "http://testserver/cb",
        "response_type": "code",
        "scope": "email",
        "state": "s1",
    }
    status, _, page = open_without_redirect(google.auth_uri + "?" + urllib.parse.urlencode(query))
    hidden = re.search(r'name="request" value="([^"]+)"', page)
    assert status == 200 and hidden and ALICE in page
    request_field = hidden.group(1).replace("&amp;", "&")

    def submit(decision: str, who: str) -> dict[str, str]:
        data = urllib.parse.urlencode({"request": request_field, "email": who, "decision": decision}).encode()
        status, headers, _ = open_without_redirect(f"{google.base_url}/o/oauth2/approve", data)
        assert status == 302
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["Location"]).query))

    assert submit("deny", ALICE) == {"error": "access_denied", "state": "s1"}
    approved = submit("allow", "newcomer@example.com")
    assert approved["state"] == "s1" and approved["code"]
    assert "newcomer@example.com" in google.users


def test_auto_cancel_answers_like_the_cancel_button(google: FakeGoogle) -> None:
    google.auto_approve(ALICE)
    google.auto_cancel()

    answer = _authorize(google, access_type="offline")

    assert answer == {"error": "access_denied", "state": "xyz"}
    assert not google.oauth.codes


def test_the_authorize_endpoint_refuses_an_unknown_client(google: FakeGoogle) -> None:
    query = {
        "client_id": "someone-else",
        "redirect_uri": "http://x/cb",
        "response_type": "code",
        "scope": "email",
    }
    status, _, page = open_without_redirect(google.auth_uri + "?" + urllib.parse.urlencode(query))
    assert status == 401 and "invalid_client" in page


def test_an_expired_access_token_is_refreshed_by_google_auth(google: FakeGoogle) -> None:
    google.user(ALICE).add_message(mail("Hello"))
    tokens = google.grant(ALICE)
    creds = credentials(google, tokens)
    service = build(
        "gmail", "v1", credentials=creds, client_options={"api_endpoint": google.gmail_api_endpoint}
    )
    google.expire_access_tokens(ALICE)

    profile = service.users().getProfile(userId="me").execute()

    assert profile["emailAddress"] == ALICE
    assert [r.status for r in google.requests_to("gmail.users.getProfile")] == [401, 200]
    assert creds.token != tokens.access_token
    assert creds.refresh_token == tokens.refresh_token  # Google's refresh reply has no new refresh token


def test_a_revoked_grant_refreshes_to_invalid_grant(google: FakeGoogle) -> None:
    creds = credentials(google, google.grant(ALICE))
    assert profile_status(google, creds.token) == 200
    google.revoke(ALICE)

    with pytest.raises(RefreshError) as caught:
        creds.refresh(google_auth_httplib2.Request(httplib2.Http()))
    assert caught.value.args[0] == "invalid_grant: Token has been expired or revoked."
    assert profile_status(google, creds.token) == 401


def test_the_revoke_endpoint_ends_the_grant(google: FakeGoogle) -> None:
    tokens = google.grant(ALICE)

    revoked = post_form(google.revoke_uri, {"token": tokens.access_token})
    again = post_form(google.revoke_uri, {"token": tokens.refresh_token or ""})
    refresh = post_form(
        google.token_uri,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token or "",
            "client_id": google.client_id,
            "client_secret": google.client_secret,
        },
    )

    assert revoked == (200, {})
    assert again == (400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
    assert refresh == (
        400,
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    assert profile_status(google, tokens.access_token) == 401


def test_the_token_endpoint_refuses_a_wrong_client_secret(google: FakeGoogle) -> None:
    tokens = google.grant(ALICE)
    creds = Credentials(
        None, refresh_token=tokens.refresh_token, token_uri=google.token_uri, client_id=google.client_id,
        client_secret="wrong",
    )  # fmt: skip

    with pytest.raises(RefreshError) as caught:
        creds.refresh(google_auth_httplib2.Request(httplib2.Http()))

    assert "invalid_client" in str(caught.value)


def test_fail_answers_in_googles_shape_for_one_user_then_recovers(google: FakeGoogle) -> None:
    google.fail("gmail.users.getProfile", status=429, retry_after=2, user=ALICE)
    google.fail("gmail.users.messages.*", status=403, times=None, user=ALICE)
    alice, charlie = gmail(google, ALICE), gmail(google, CHARLIE)

    assert charlie.users().getProfile(userId="me").execute()["emailAddress"] == CHARLIE
    with pytest.raises(HttpError) as limited:
        alice.users().getProfile(userId="me").execute()
    assert alice.users().getProfile(userId="me").execute()["emailAddress"] == ALICE
    for _ in range(2):
        with pytest.raises(HttpError) as forbidden:
            alice.users().messages().list(userId="me").execute()
    google.reset_faults()
    assert alice.users().messages().list(userId="me").execute() == {"resultSizeEstimate": 0}

    assert (limited.value.resp.status, limited.value.resp["retry-after"]) == (429, "2")
    assert http_error_reason(limited.value) == "rateLimitExceeded"
    assert (forbidden.value.resp.status, http_error_reason(forbidden.value)) == (403, "userRateLimitExceeded")
    assert [r.injected for r in google.requests_to("gmail.users.getProfile", user=ALICE)] == [True, False]


def test_the_real_client_retries_an_injected_500(google: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(googleapiclient_http.time, "sleep", lambda seconds: None)
    google.fail("gmail.users.getProfile", status=500, times=2)

    profile = gmail(google).users().getProfile(userId="me").execute(num_retries=2)

    assert profile["emailAddress"] == ALICE
    assert [r.status for r in google.requests_to("gmail.users.getProfile")] == [500, 500, 200]


def test_delay_lets_a_client_timeout_fire(google: FakeGoogle) -> None:
    google.delay("gmail.users.getProfile", 0.5, times=1)
    service = gmail(google, timeout=0.1)

    with pytest.raises(TimeoutError):
        service.users().getProfile(userId="me").execute()


def test_a_delay_tells_when_a_call_began_waiting(google: FakeGoogle) -> None:
    held = google.delay("gmail.users.getProfile", 1.0, times=1)
    other = google.delay("gmail.users.labels.list", 1.0)
    service = gmail(google)
    assert held.taken == 0
    answered = threading.Event()

    def call() -> None:
        service.users().getProfile(userId="me").execute()
        answered.set()

    caller = threading.Thread(target=call, daemon=True)
    caller.start()

    deadline = time.monotonic() + 5
    while held.taken == 0 and time.monotonic() < deadline:
        time.sleep(0.01)

    assert held.taken == 1 and not answered.is_set()  # held: counted before the answer
    assert not google.requests_to("gmail.users.getProfile")
    caller.join(timeout=5)
    assert answered.is_set()
    assert other.taken == 0


def test_drop_closes_the_connection_and_httplib2_resends_once(google: FakeGoogle) -> None:
    service = gmail(google)
    google.drop("gmail.users.getProfile", times=1)
    assert service.users().getProfile(userId="me").execute()["emailAddress"] == ALICE

    google.drop("gmail.users.getProfile", times=2)
    with pytest.raises(ConnectionError):
        service.users().getProfile(userId="me").execute()

    assert [r.status for r in google.requests_to("gmail.users.getProfile")] == [None, 200, None, None]


def test_a_drop_inside_a_batch_drops_the_whole_batch(google: FakeGoogle) -> None:
    alice = google.user(ALICE)
    ids = [alice.add_message(mail(f"Batch {n}")).id for n in range(2)]
    google.drop(f"/gmail/v1/users/me/messages/{ids[1]}", times=2)

    with pytest.raises(ConnectionError):
        _batch_get(google, gmail(google), ids)


def test_the_request_log_is_complete_under_concurrent_callers(google: FakeGoogle) -> None:
    google.user(ALICE).add_message(mail("Hello"))
    services = [gmail(google, ALICE if n % 2 else CHARLIE) for n in range(8)]

    def work(service: Any) -> None:
        for _ in range(10):
            service.users().getProfile(userId="me").execute()

    threads = [threading.Thread(target=work, args=(service,)) for service in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    log = google.requests_to("gmail.users.getProfile")
    assert len(log) == 80 and {r.status for r in log} == {200}
    assert len(google.requests_to("gmail.users.getProfile", user=ALICE)) == 40


def test_it_runs_by_hand_and_prints_the_settings() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler_site.testing.fake_google", "--port", str(port), "--user", ALICE],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(11)]
        settings = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines if "=" in line)
        assert settings["GOOGLE_TOKEN_URL"] == f"http://127.0.0.1:{port}/token"
        assert settings["GMAIL_BATCH_URI"] == f"http://127.0.0.1:{port}/batch/gmail/v1"
        status = post_form(
            settings["GOOGLE_TOKEN_URL"], {"grant_type": "refresh_token", "refresh_token": "x"}
        )[0]
        assert status == 401  # no client credentials: the server answers like Google
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_a_crash_inside_the_fake_is_a_500_and_is_kept(
    google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("bug in the fake")

    monkeypatch.setattr(google, "_call", broken)

    assert profile_status(google, google.grant(ALICE).access_token) == 500
    assert "RuntimeError: bug in the fake" in google.internal_errors[0]
    google.internal_errors.clear()  # else the fixture fails this test, as it should any other


def test_the_settings_fixture_points_django_at_the_fake(fake_google_settings: FakeGoogle) -> None:
    from django.conf import settings

    assert settings.GOOGLE_TOKEN_URL == fake_google_settings.token_uri
    assert settings.GMAIL_BATCH_URI == fake_google_settings.gmail_batch_uri
    assert settings.SOCIAL_AUTH_GOOGLE_OAUTH2_KEY == fake_google_settings.client_id
