"""The extractor seam: turns one email into at most a few task candidates.

Every extractor (the offline rule-based one shipped here, Claude later) takes an
``EmailForExtraction`` and returns ``ExtractedTask`` objects. Nothing here touches
the database; the sync service decides what to store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, Protocol

TaskKind = Literal["deadline", "meeting", "todo"]
Priority = Literal["low", "normal", "high"]

# An email is untrusted input: whatever it says, it never yields more than this.
MAX_TASKS_PER_EMAIL = 5
MAX_TITLE_LENGTH = 120


@dataclass(frozen=True)
class EmailForExtraction:
    id: str
    subject: str
    body: str  # clean text: quoted history and signature already removed
    sender: str
    sent_at: dt.datetime  # aware; the email's Date header
    timezone: str  # IANA name of the reader's home zone


@dataclass
class ExtractedTask:
    title: str
    kind: TaskKind
    evidence: str  # the sentence of the email the task came from, verbatim
    due: dt.datetime | None = None  # aware
    due_phrase: str = ""  # the date/time words as written ("Friday EOD")
    duration_minutes: int | None = None
    priority: Priority = "normal"
    confidence: float = 0.5
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)


class Extractor(Protocol):
    name: str

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]: ...
