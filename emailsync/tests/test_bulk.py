"""Tests for emailsync.bulk. Pure Python: no Django, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from emailsync.bulk import bulk_reason
from emailsync.mime import ParsedMessage, parse_message

FIXTURES = Path(__file__).parent / "fixtures"


def message(sender: str = "bob@example.org", **headers: str) -> ParsedMessage:
    """A parsed message built from raw headers, so the header decoding path is exercised too."""
    lines = [f"From: Someone <{sender}>", "To: alice@example.com", "Subject: Hello"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    raw = "\r\n".join(lines) + "\r\n\r\nLunch tomorrow at noon?\r\n"
    return parse_message(raw.encode())


def test_a_personal_message_is_not_bulk() -> None:
    assert bulk_reason(parse_message((FIXTURES / "personal.eml").read_bytes())) is None


def test_a_newsletter_fixture_is_bulk_because_of_list_unsubscribe() -> None:
    reason = bulk_reason(parse_message((FIXTURES / "newsletter.eml").read_bytes()))
    assert reason == "List-Unsubscribe header"


def test_list_unsubscribe_marks_bulk() -> None:
    assert bulk_reason(message(List_Unsubscribe="<https://x.example/u>")) == "List-Unsubscribe header"


def test_list_id_marks_bulk() -> None:
    assert bulk_reason(message(List_Id="Team list <team.lists.example.org>")) == "List-Id header"


@pytest.mark.parametrize("value", ["bulk", "List", "junk", "bulk (newsletter)"])
def test_bulk_precedence_values_mark_bulk(value: str) -> None:
    reason = bulk_reason(message(Precedence=value))
    assert reason is not None and reason.startswith("Precedence:")


@pytest.mark.parametrize("value", ["first-class", "normal", ""])
def test_other_precedence_values_are_not_bulk(value: str) -> None:
    assert bulk_reason(message(Precedence=value)) is None


@pytest.mark.parametrize(
    "value", ["auto-generated", "auto-replied", "auto-notified", "Auto-Generated; owner-email=x"]
)
def test_auto_submitted_other_than_no_marks_bulk(value: str) -> None:
    reason = bulk_reason(message(Auto_Submitted=value))
    assert reason is not None and "Auto-Submitted" in reason


@pytest.mark.parametrize("value", ["no", "No", " no "])
def test_auto_submitted_no_is_not_bulk(value: str) -> None:
    assert bulk_reason(message(Auto_Submitted=value)) is None


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@github.com",
        "no-reply@accounts.google.com",
        "no_reply@example.com",
        "do-not-reply@bank.example",
        "donotreply@shop.example",
        "MAILER-DAEMON@mx.example.org",
        "noreply-billing@cloud.example",
        "no-reply+abc123@service.example",
    ],
)
def test_robot_senders_mark_bulk(sender: str) -> None:
    reason = bulk_reason(message(sender=sender))
    assert reason is not None and "automated address" in reason


@pytest.mark.parametrize(
    "sender", ["noreen@example.com", "reply@example.com", "norepl@example.com", "daemon@x.org"]
)
def test_senders_that_only_resemble_robots_are_not_bulk(sender: str) -> None:
    assert bulk_reason(message(sender=sender)) is None


@pytest.mark.parametrize(
    "label",
    [
        "CATEGORY_PROMOTIONS",
        "CATEGORY_SOCIAL",
        "CATEGORY_UPDATES",
        "CATEGORY_FORUMS",
        "SPAM",
        "TRASH",
        "spam",
    ],
)
def test_gmail_bulk_labels_mark_bulk(label: str) -> None:
    reason = bulk_reason(message(), labels=["INBOX", label])
    assert reason is not None and "Gmail" in reason


def test_ordinary_gmail_labels_are_not_bulk() -> None:
    assert bulk_reason(message(), labels=["INBOX", "IMPORTANT", "CATEGORY_PERSONAL", "UNREAD"]) is None


def test_bulk_reason_works_on_a_hand_built_parsed_message() -> None:
    base = parse_message((FIXTURES / "personal.eml").read_bytes())
    base.headers = {"List-Unsubscribe": "<mailto:u@x>"}  # header names in any case
    assert bulk_reason(base) == "List-Unsubscribe header"
