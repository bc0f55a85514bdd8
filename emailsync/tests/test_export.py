"""Export my data: the settings page download and GET /api/export, on the real database."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from conftest import MailFolder, client_for, sync_in_foreground
from emailsync.export import EXPORT_SCHEMA_VERSION, user_data_export
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from tasks_app.models import Task

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]
ASK = "Could you send me the Q3 report by Friday EOD?"
PRIVATE = "The alarm code for the back door is 4711, keep it to yourself."


def download(response: Any) -> dict[str, Any]:
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("application/json")
    data: dict[str, Any] = json.loads(response.getvalue())
    return data


@pytest.fixture
def synced_alice(alice: User, mailbox_factory: MailboxFactory, settings: Settings) -> User:
    settings.SYNC_ON_LOGIN = False  # exactly one run per user, the one below
    _, folder = mailbox_factory(alice)
    folder.add(subject="Q3 report", body=f"Hi Alice,\n\n{PRIVATE}\n\n{ASK}\n\nBob")
    folder.add(subject="Weekly deals", body=PRIVATE, headers={"List-Unsubscribe": "<mailto:off@x.example>"})
    sync_in_foreground(alice)
    return alice


def test_the_export_holds_the_profile_tasks_runs_and_message_metadata(synced_alice: User) -> None:
    alice = synced_alice
    before = timezone.now()
    data = download(client_for(alice).get(reverse("accounts:export")))

    assert data["schema_version"] == EXPORT_SCHEMA_VERSION
    assert (
        before - dt.timedelta(seconds=1) <= dt.datetime.fromisoformat(data["generated_at"]) <= timezone.now()
    )
    profile = data["profile"]
    assert (profile["username"], profile["email"], profile["timezone"]) == (
        "alice",
        "alice@example.com",
        "America/New_York",
    )
    assert profile["work_start"] == "09:00:00" and profile["work_days"] == [1, 2, 3, 4, 5]
    assert data["mailbox"]["source"] == "local" and data["mailbox"]["address"] == ""
    [task] = data["tasks"]
    stored = Task.objects.get(user=alice)
    assert (task["id"], task["title"], task["evidence"], task["status"]) == (
        stored.pk,
        stored.title,
        ASK,
        stored.status,
    )
    assert (task["source_subject"], task["source_sender"]) == ("Q3 report", "bob@example.com")
    [run] = data["sync_runs"]
    stored_run = SyncRun.objects.get(user=alice)
    assert run["public_id"] == str(stored_run.public_id)
    assert (run["state"], run["messages_processed"], run["messages_skipped"]) == ("succeeded", 1, 1)
    messages = {m["subject"]: m for m in data["messages"]}
    assert set(messages) == {"Q3 report", "Weekly deals"}
    assert messages["Weekly deals"]["status"] == "skipped"
    assert messages["Q3 report"]["status"] == "done" and messages["Q3 report"]["sender"] == "bob@example.com"
    receipt = MessageReceipt.objects.get(subject="Q3 report")
    assert messages["Q3 report"]["message_id"] == receipt.message_id
    assert messages["Q3 report"]["sent_at"] is not None
    # Metadata only: the text of the email is stored (for the task page) but never exported.
    assert PRIVATE in receipt.body_text
    assert PRIVATE not in json.dumps(data) and "body_text" not in json.dumps(data)


def test_api_tokens_appear_by_name_and_hint_never_by_value_or_hash(synced_alice: User) -> None:
    token, raw = api_token_create(user=synced_alice, name="laptop script")
    data = download(client_for(synced_alice).get(reverse("accounts:export")))
    assert data["api_tokens"] == [
        {
            "name": "laptop script",
            "hint": token.hint,
            "created_at": data["api_tokens"][0]["created_at"],
            "last_used_at": None,
            "revoked_at": None,
        }
    ]
    text = json.dumps(data)
    assert raw not in text and token.token_hash not in text
    assert synced_alice.profile.feed_token not in text


def test_another_users_data_is_not_in_the_export(
    synced_alice: User, charlie: User, mailbox_factory: MailboxFactory
) -> None:
    _, folder = mailbox_factory(charlie)
    folder.add(subject="Charlie's secret plan", body="Can you book the room for the offsite?")
    sync_in_foreground(charlie)
    api_token_create(user=charlie, name="charlie's token")

    data = download(client_for(synced_alice).get(reverse("accounts:export")))
    text = json.dumps(data)
    assert "Charlie" not in text and "charlie" not in text and "offsite" not in text
    assert {t["id"] for t in data["tasks"]} == set(
        Task.objects.filter(user=synced_alice).values_list("pk", flat=True)
    )
    alice_runs = {
        str(run) for run in SyncRun.objects.filter(user=synced_alice).values_list("public_id", flat=True)
    }
    assert {run["public_id"] for run in data["sync_runs"]} == alice_runs and len(alice_runs) == 1


def test_the_download_is_an_attachment_with_a_json_filename_and_no_cache(synced_alice: User) -> None:
    response = client_for(synced_alice).get(reverse("accounts:export"))
    disposition = response["Content-Disposition"]
    day = timezone.localdate()
    assert disposition == (
        f'attachment; filename="intelligent-scheduler-export-{synced_alice.pk}-{day:%Y-%m-%d}.json"'
    )
    assert "no-store" in response["Cache-Control"]


def test_the_api_gives_the_same_export_with_a_bearer_token(synced_alice: User) -> None:
    _, raw = api_token_create(user=synced_alice, name="script")
    client = APIClient()
    response = client.get("/api/export", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="intelligent-scheduler-export-\d+-[\d-]+\.json"',
        response["Content-Disposition"],
    )
    data = download(response)
    assert data["profile"]["username"] == "alice" and len(data["tasks"]) == 1
    assert ApiToken.objects.get(name="script").last_used_at is not None


def test_anonymous_callers_are_refused(synced_alice: User) -> None:
    page = Client().get(reverse("accounts:export"))
    assert page.status_code == 302 and reverse("accounts:login") in page["Location"]
    api = APIClient().get(reverse("api:export"))
    assert api.status_code in (401, 403)
    assert b"alice" not in api.content
    bad_token = APIClient().get(reverse("api:export"), HTTP_AUTHORIZATION="Bearer isk_not-a-token")
    assert bad_token.status_code == 401


def test_the_export_only_answers_get(synced_alice: User) -> None:
    assert client_for(synced_alice).post(reverse("accounts:export")).status_code == 405


def test_the_number_of_queries_does_not_grow_with_the_data(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, _ = mailbox_factory(alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            "".join(user_data_export(user=alice))
        return len(captured)

    few = queries()
    for number in range(40):
        receipt = MessageReceipt.objects.create(
            mailbox=mailbox, message_id=f"m{number}", subject=f"S{number}"
        )
        Task.objects.create(user=alice, source=receipt, position=0, title=f"Task {number}")
        SyncRun.objects.create(
            user=alice, trigger=SyncRun.Trigger.API, state="succeeded", finished_at=timezone.now()
        )
    many = queries()
    assert many == few <= 8


def test_the_settings_page_offers_the_download(alice: User) -> None:
    page = client_for(alice).get(reverse("accounts:settings")).content.decode()
    assert f'action="{reverse("accounts:export")}"' in page and "Download my data (JSON)" in page
