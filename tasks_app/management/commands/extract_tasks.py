"""Extract tasks from emails given as JSON lines on stdin; write one JSON line per email on stdout.

Input:  {"id", "subject", "body", "sender", "sent_at" (ISO 8601 with offset), "timezone" (IANA)}, and
        optionally who the reader is: "sender_name", "reader" {"names", "addresses"}, "to" and "cc"
        (lists of addresses or {"address", "name"} objects); see tasks_app/extractors/people.py.
        The body is a plain-text email body; quoted history and signatures are stripped here, once, as the
        parser does for synced mail.
Output: {"id", "tasks": [{"title", "due", "kind", "duration_minutes", "priority", "evidence"}]}
A line that can't be used yields {"id": <id or null>, "error": "<reason>"} and the run goes on, so one bad
email never hides the results for the rest.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from emailsync.mime import reply_text
from tasks_app.extractors import EmailForExtraction, ExtractedTask, Extractor, get_extractor
from tasks_app.extractors.people import people_from_json


class InputError(ValueError):
    """A line that is not a usable email; the message is shown to the caller."""


def parse_email_line(raw: Any) -> EmailForExtraction:
    if not isinstance(raw, dict):
        raise InputError("expected a JSON object")
    for key in ("id", "body", "sent_at", "timezone"):
        if raw.get(key) is None:
            raise InputError(f"missing field {key!r}")
    for key in ("subject", "body", "sender", "sent_at", "timezone"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise InputError(f"field {key!r} must be a string")
    try:
        sent_at = dt.datetime.fromisoformat(raw["sent_at"])
    except ValueError as exc:
        raise InputError(f"sent_at is not ISO 8601: {raw['sent_at']!r}") from exc
    if sent_at.tzinfo is None or sent_at.utcoffset() is None:
        raise InputError(f"sent_at needs a UTC offset: {raw['sent_at']!r}")
    try:
        ZoneInfo(raw["timezone"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown IANA timezone: {raw['timezone']!r}") from exc
    try:
        people = people_from_json(raw)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    return EmailForExtraction(
        id=str(raw["id"]),
        subject=raw.get("subject") or "",
        body=reply_text(raw["body"]),
        sender=raw.get("sender") or "",
        sent_at=sent_at,
        timezone=raw["timezone"],
        **people,
    )


def task_to_json(task: ExtractedTask) -> dict[str, object]:
    return {
        "title": task.title,
        "due": task.due.isoformat() if task.due else None,
        "kind": task.kind,
        "duration_minutes": task.duration_minutes,
        "priority": task.priority,
        "evidence": task.evidence,
    }


class Command(BaseCommand):
    help = "Read emails as JSON lines on stdin and write the extracted tasks as JSON lines on stdout."
    # Lets tests pass call_command(..., stdin=StringIO(...)), as Django's createsuperuser does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--extractor",
            default=None,
            help="Extractor name (default: settings.TASK_EXTRACTOR, else 'offline').",
        )

    def handle(self, *args: object, **options: Any) -> None:
        name = options.get("extractor") or getattr(settings, "TASK_EXTRACTOR", None) or "offline"
        try:
            extractor = get_extractor(name)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        stdin = options.get("stdin") or sys.stdin
        try:
            for line in stdin:
                if line.strip():
                    self.stdout.write(json.dumps(self._one(line, extractor), ensure_ascii=False))
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"could not read stdin: {exc}") from exc

    @staticmethod
    def _one(line: str, extractor: Extractor) -> dict[str, object]:
        email_id: object = None
        try:
            raw = json.loads(line)
            if isinstance(raw, dict):
                email_id = raw.get("id")
            email = parse_email_line(raw)
        except json.JSONDecodeError as exc:
            return {"id": None, "error": f"invalid JSON: {exc.msg} at column {exc.colno}"}
        except InputError as exc:
            return {"id": email_id, "error": str(exc)}
        try:
            tasks = extractor.extract(email)
        except Exception as exc:
            return {
                "id": email_id,
                "error": f"extractor {extractor.name!r} failed: {type(exc).__name__}: {exc}",
            }
        return {"id": email_id, "tasks": [task_to_json(task) for task in tasks]}
