"""A sync with Claude tells the model who the reader is, and its cached prompt is read from the cache from
the second email on (the fake applies the model's caching minimum as the real service does)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from accounts.models import GoogleCredential
from conftest import MailFolder, sync_in_foreground
from emailsync.models import Mailbox, SyncRun
from emailsync.services import _reader
from scheduler_site.testing.fake_anthropic import FakeAnthropic
from tasks_app.extractors import Reader
from tasks_app.extractors import claude as claude_module

MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]


@pytest.fixture
def fake(claude_fake: FakeAnthropic) -> FakeAnthropic:
    return claude_fake


def test_the_second_email_of_a_sync_reads_the_prompt_from_the_cache(
    fake: FakeAnthropic, alice: User, mailbox_factory: MailboxFactory
) -> None:
    _, folder = mailbox_factory(alice)
    folder.add(subject="First")
    folder.add(subject="Second")
    run = sync_in_foreground(alice)
    assert run.state == SyncRun.State.SUCCEEDED and len(fake.message_requests) == 2
    run.refresh_from_db()
    assert run.cache_write_tokens > 0
    assert run.cache_read_tokens == run.cache_write_tokens  # the second email read what the first wrote
    # What is cached is the answer tool as well as the system prompt: the schema is not paid twice.
    extractor = claude_module.ClaudeExtractor.from_settings()
    assert run.cache_write_tokens == claude_module.count_cached_prefix_tokens(
        extractor, model=extractor.model
    )
    assert "tools" in fake.message_requests[1].body and "format" not in fake.message_requests[1].body.get(
        "output_config", {}
    )


def test_a_prompt_below_the_models_minimum_is_never_cached(
    fake: FakeAnthropic,
    alice: User,
    mailbox_factory: MailboxFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The prompt as it was before the worked examples: about 650 tokens, below every published minimum.
    short = claude_module.SYSTEM_PROMPT.split("# Who the reader is")[0]
    monkeypatch.setattr(claude_module, "SYSTEM_PROMPT", short)
    _, folder = mailbox_factory(alice)
    folder.add(subject="First")
    folder.add(subject="Second")
    run = sync_in_foreground(alice)
    assert fake.message_requests[0].system_text == short
    run.refresh_from_db()
    assert run.state == SyncRun.State.SUCCEEDED and run.input_tokens > 0
    assert run.cache_read_tokens == run.cache_write_tokens == 0


def test_the_sync_tells_claude_the_reader_is_only_in_cc_and_who_else_is_on_the_email(
    fake: FakeAnthropic, user_factory: Callable[..., User], mailbox_factory: MailboxFactory
) -> None:
    sam = user_factory("sam")
    sam.first_name, sam.last_name = "Sam", "Okafor"
    sam.save()
    _, folder = mailbox_factory(sam)
    folder.add(
        body="Marco, please send the travel budget by Thursday.",
        to='"Marco Li" <marco@example.com>, priya@example.com',
        headers={"Cc": '"Sam Okafor" <SAM@example.com>'},
    )
    sync_in_foreground(sam)
    text = fake.message_requests[0].user_text
    assert "The reader: Sam Okafor (also: Sam); addresses: sam@example.com." in text
    assert "The reader's place in the headers: only in Cc." in text
    assert "To: Marco Li <marco@example.com>, priya@example.com\nCc: Sam Okafor <sam@example.com>" in text
    assert "From: Bob Builder <bob@example.com>" in text


def test_a_gmail_readers_addresses_include_the_mailbox_address(
    alice: User, mailbox_factory: MailboxFactory
) -> None:
    mailbox, _ = mailbox_factory(alice)
    assert _reader(alice.profile, mailbox) == Reader(names=(), addresses=("alice@example.com",))
    GoogleCredential.objects.create(user=alice, subject="g-alice", email="Alice.M@gmail.com")
    mailbox.source = Mailbox.Source.GMAIL
    assert _reader(alice.profile, mailbox).addresses == ("alice@example.com", "alice.m@gmail.com")
