"""The MIME parser on generated and mutated mail (hypothesis): it reads anything or says why it cannot.

Hand-written failure cases stay in test_mime.py; these add the ones nobody thought to write. Examples are
bounded by the "suite" profile (conftest.py); ``HYPOTHESIS_PROFILE=thorough`` searches longer.
"""

from __future__ import annotations

from hypothesis import example, given

from emailsync.mime import MessageParseError, ParsedMessage, parse_message
from emailsync.mime.message import MAX_TEXT_CHARS
from emailsync.tests.mail_strategies import any_message, messages, mutated, nested_message


def assert_well_formed(message: ParsedMessage) -> None:
    for text in (message.message_id, message.subject, message.sender, message.sender_name, message.full_text):
        assert isinstance(text, str)
    assert "\x00" not in message.subject
    assert isinstance(message.text, str) and len(message.text) <= MAX_TEXT_CHARS
    assert message.date is None or message.date.utcoffset() is not None
    assert all(isinstance(address, str) for address in message.to + message.cc)
    for invite in message.invites:
        assert invite.start is None or invite.start.utcoffset() is not None


def parse_or_reason(raw: bytes) -> ParsedMessage | None:
    """The parsed message, or None when the parser refused it with a reason; any other exception escapes."""
    try:
        return parse_message(raw)
    except MessageParseError as e:
        assert str(e), "a refusal must say why"
        return None


@given(messages())
def test_generated_messages_parse(raw: bytes) -> None:
    message = parse_or_reason(raw)
    if message is not None:
        assert_well_formed(message)


@given(mutated(messages()))
@example(nested_message(100))
@example(b"")
@example(b"\x00" * 4096)
def test_mutated_messages_parse_or_are_refused_with_a_reason(raw: bytes) -> None:
    message = parse_or_reason(raw)
    if message is not None:
        assert_well_formed(message)


@given(any_message)
def test_random_bytes_parse_or_are_refused_with_a_reason(raw: bytes) -> None:
    message = parse_or_reason(raw)
    if message is not None:
        assert_well_formed(message)
