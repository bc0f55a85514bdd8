"""The mail the benchmarks sync: personal requests (one task each) and bulk mail, generated.

Of every five messages three are personal requests and two bulk: a newsletter (List-Unsubscribe,
Precedence: bulk, Gmail's Promotions label) and a tracker notification (List-Id, Auto-Submitted, Gmail's
Updates label). A request is a short reply above four quoted earlier messages and a signature; a newsletter
is about 5 KB of text, a notification 1.5 KB. Sized so that the naive baseline spends about what issue 12
measured for it per message (about 800 tokens in and out). ``answer_for`` is how the
fake Claude answers: the one task a request asks for, grounded in its own sentence, and none for the rest.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

VERBS = ["review", "send", "update", "check", "prepare", "sign", "approve", "forward", "draft", "book"]
THINGS = [
    "budget sheet",
    "contract draft",
    "quarterly report",
    "travel plan",
    "hiring memo",
    "vendor invoice",
    "launch checklist",
    "board slides",
    "release notes",
    "meeting room",
    "expense claim",
    "design brief",
    "safety audit",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
PEOPLE = ["Maria Lopez", "Bob Builder", "Chen Wei", "Priya Nair", "Tom Becker", "Aisha Khan"]
REQUEST = re.compile(r"Could you (\w+) the ([a-z ]+?) by (\w+)\?")
NEWSLETTER_PARAGRAPH = (
    "This week in product news: our team shipped a faster search, a new dark theme and better exports. "
    "Read how customers use the new dashboards to plan their quarter, and join our webinar on Thursday "
    "for tips from the support team. Limited offer: upgrade today and save twenty percent on annual plans. "
)


@dataclass(frozen=True)
class Mail:
    raw: bytes
    bulk: bool
    labels: tuple[str, ...]


def is_bulk(index: int) -> bool:
    return index % 5 in (3, 4)


def make_mail(index: int, *, to: str, now: dt.datetime) -> Mail:
    """The ``index``-th message of the corpus; a later index is a newer message (all within 28 hours)."""
    date = now - dt.timedelta(seconds=max(1, 100_000 - 20 * index))
    message = EmailMessage()
    message["To"] = to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = make_msgid(domain="bench.example")
    if index % 5 == 3:
        message["From"] = "Product News <news@updates.example>"
        message["Subject"] = f"Product news, issue {index}"
        message["List-Unsubscribe"] = "<mailto:unsubscribe@updates.example>"
        message["Precedence"] = "bulk"
        message.set_content(f"Hello,\n\n{NEWSLETTER_PARAGRAPH * 16}\nUnsubscribe at any time.\n")
        return Mail(bytes(message), True, ("INBOX", "CATEGORY_PROMOTIONS"))
    if index % 5 == 4:
        message["From"] = "Tracker <notifications@tracker.example>"
        message["Subject"] = f"[tracker] Ticket {index} was updated"
        message["Auto-Submitted"] = "auto-generated"
        message["List-Id"] = "<tickets.tracker.example>"
        message.set_content(
            f"Ticket {index} changed state from open to in progress.\n\n"
            + "Comment: looks good, moving on to the next step of the review. " * 24
            + "\n\nYou receive this because you watch the project.\n"
        )
        return Mail(bytes(message), True, ("INBOX", "CATEGORY_UPDATES"))
    sender = PEOPLE[index % len(PEOPLE)]
    verb, thing, day = (
        VERBS[index % len(VERBS)],
        THINGS[(index // 3) % len(THINGS)],
        DAYS[index % len(DAYS)],
    )
    first = sender.split()[0]
    message["From"] = f"{sender} <{first.lower()}@partner.example>"
    message["Subject"] = f"Re: {thing} ({index})"
    message.set_content(
        f"Hi,\n\nThanks for the notes yesterday. Could you {verb} the {thing} by {day}? "
        "The team meets right after and needs it first.\n\n"
        f"Best,\n{first}\n--\n{sender}\nPartner Example Ltd, 1 Example Street, Springfield\n\n"
        + "".join(
            f"On {format_datetime(date - dt.timedelta(days=days))}, {who} wrote:\n"
            + "> Here are my notes from the planning call, with the open points and their owners.\n" * 6
            for days, who in ((1, "you"), (2, sender), (3, "you"), (4, sender))
        )
    )
    return Mail(bytes(message), False, ("INBOX",))


def make_corpus(count: int, *, to: str, now: dt.datetime, start: int = 0) -> list[Mail]:
    return [make_mail(index, to=to, now=now) for index in range(start, start + count)]


def requests_in(count: int, start: int = 0) -> int:
    """How many of the messages ``start`` .. ``start + count - 1`` are personal requests (one task each)."""
    return sum(not is_bulk(index) for index in range(start, start + count))


def answer_for(prompt: str) -> str:
    """The JSON answer of the fake Claude for a prompt holding one email between ``<email>`` tags."""
    email_part = prompt.partition("<email>")[2].partition("</email>")[0]
    found = REQUEST.search(email_part)
    if found is None:
        return json.dumps({"tasks": []})
    verb, thing, day = found.groups()
    task = {
        "title": f"{verb.capitalize()} the {thing}",
        "kind": "deadline",
        "date_phrase": day,
        "due_iso": None,
        "duration_minutes": 30,
        "priority": "normal",
        "confidence": 0.9,
        "evidence": found.group(0),
        "notes": "",
        "thread_action": "new",
        "thread_ref": None,
    }
    return json.dumps({"tasks": [task]})
