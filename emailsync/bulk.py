"""Recognise bulk mail (newsletters, notifications, auto-replies) so it is not mined for tasks."""

from __future__ import annotations

import re
from collections.abc import Sequence

from emailsync.mime import ParsedMessage

__all__ = ["BULK_LABELS", "bulk_reason"]

# Gmail system labels whose messages are never personal requests.
BULK_LABELS: dict[str, str] = {
    "CATEGORY_PROMOTIONS": "Gmail Promotions category",
    "CATEGORY_SOCIAL": "Gmail Social category",
    "CATEGORY_UPDATES": "Gmail Updates category",
    "CATEGORY_FORUMS": "Gmail Forums category",
    "SPAM": "Gmail Spam label",
    "TRASH": "Gmail Trash label",
}

# Local parts of robot senders: "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
# "mailer-daemon", optionally with a suffix such as "noreply-billing" or "no-reply+123".
_ROBOT_LOCAL_PART = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon)(?:$|[-_.+])", re.IGNORECASE
)
_BULK_PRECEDENCE = {"bulk", "list", "junk"}


def _robot_sender(address: str) -> bool:
    local = address.rpartition("@")[0] if "@" in address else address
    return bool(_ROBOT_LOCAL_PART.match(local.strip()))


def bulk_reason(message: ParsedMessage, labels: Sequence[str] = ()) -> str | None:
    """Why this message is bulk mail (a short human sentence such as "List-Unsubscribe header"), or None.

    ``labels`` are the provider's labels for the message (Gmail label ids); matching is case-insensitive.
    """
    for label in labels:
        reason = BULK_LABELS.get(label.strip().upper())
        if reason:
            return reason

    headers = {name.lower(): value.strip() for name, value in message.headers.items()}
    if headers.get("list-unsubscribe"):
        return "List-Unsubscribe header"
    if headers.get("list-id"):
        return "List-Id header"
    # Precedence may carry comments or odd casing ("Bulk", "list (mailing)").
    precedence = headers.get("precedence", "").lower().split()
    if precedence and precedence[0].strip(";") in _BULK_PRECEDENCE:
        return f"Precedence: {precedence[0].strip(';')} header"
    auto_submitted = headers.get("auto-submitted", "")
    # RFC 3834: anything but "no" (auto-generated, auto-replied, auto-notified) is machine mail.
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        return f"Auto-Submitted: {auto_submitted.split(';')[0].strip()} header"
    if message.sender and _robot_sender(message.sender):
        return f"sent from an automated address ({message.sender})"
    return None
