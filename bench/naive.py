"""The naive pipeline the product replaces, as the baseline of the sync benchmarks.

It does what a first script against these APIs does: list the newest N inbox messages, read each one
with its own ``messages.get``, ask the model about every one of them (newsletters included) with the
whole text as it came (quoted history and signature too), and insert one calendar event per task. It
keeps no checkpoint, so a second run repeats all of it. It uses the same client libraries as the product
(google-api-python-client with google-auth, the Anthropic SDK) against the same fakes.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import json
import time
from dataclasses import dataclass, field
from typing import Any

import anthropic
import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

SYSTEM_PROMPT = (
    "You read one email and list the tasks it asks of the reader. Answer with JSON only: "
    '{"tasks": [{"title", "kind", "date_phrase", "due_iso", "duration_minutes", "priority", '
    '"confidence", "evidence", "notes", "thread_action", "thread_ref"}]}. '
    'The evidence is the sentence of the email that asks for the task. No tasks: {"tasks": []}.'
)


@dataclass
class NaiveResult:
    seconds: float = 0.0
    messages: int = 0
    llm_calls: int = 0
    tasks: int = 0
    events_inserted: int = 0
    errors: list[str] = field(default_factory=list)


def _text_of(raw: bytes) -> tuple[str, str, str, str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    return str(message["From"] or ""), str(message["Subject"] or ""), str(message["Date"] or ""), text


def naive_sync(
    *,
    access_token: str,
    gmail_endpoint: str,
    calendar_endpoint: str,
    anthropic_base_url: str,
    anthropic_api_key: str,
    model: str,
    last: int,
) -> NaiveResult:
    """List the newest ``last`` inbox messages and process every one of them."""
    result = NaiveResult()
    started = time.monotonic()
    credentials = Credentials(token=access_token)

    def service(api: str, version: str, endpoint: str) -> Any:
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=30))
        return build(
            api,
            version,
            http=http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": endpoint},
        )

    gmail = service("gmail", "v1", gmail_endpoint)
    calendar = service("calendar", "v3", calendar_endpoint)
    claude = anthropic.Anthropic(api_key=anthropic_api_key, base_url=anthropic_base_url, max_retries=0)
    listing = gmail.users().messages().list(userId="me", labelIds=["INBOX"], maxResults=last).execute()
    next_slot = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    for entry in listing.get("messages", []):
        message = gmail.users().messages().get(userId="me", id=entry["id"], format="raw").execute()
        raw = base64.urlsafe_b64decode(message["raw"] + "=" * (-len(message["raw"]) % 4))
        sender, subject, date, text = _text_of(raw)
        result.messages += 1
        response = claude.messages.create(
            model=model,
            max_tokens=1024,
            system=SYSTEM_PROMPT,
            messages=[
                {
                    "role": "user",
                    "content": f"<email>\nFrom: {sender}\nDate: {date}\nSubject: {subject}\n\n{text}\n</email>",
                }
            ],
        )
        result.llm_calls += 1
        answer = "".join(block.text for block in response.content if block.type == "text")
        try:
            tasks = json.loads(answer).get("tasks", [])
        except ValueError as e:
            result.errors.append(f"message {entry['id']}: {e}")
            continue
        for task in tasks:
            result.tasks += 1
            start, next_slot = next_slot, next_slot + dt.timedelta(minutes=30)
            calendar.events().insert(
                calendarId="primary",
                body={
                    "summary": str(task.get("title", "Task")),
                    "start": {"dateTime": start.isoformat()},
                    "end": {"dateTime": (start + dt.timedelta(minutes=30)).isoformat()},
                },
            ).execute()
            result.events_inserted += 1
    result.seconds = time.monotonic() - started
    return result
