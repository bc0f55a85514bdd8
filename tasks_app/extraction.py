"""The extractor seam: turns one email into at most a few task candidates.

Every extractor (the offline rule-based one shipped here, Claude later) takes an
``EmailForExtraction`` and returns ``ExtractedTask`` objects. Nothing here touches
the database; the sync service decides what to store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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


# --- registry ---------------------------------------------------------------------------------------------
# Extractors are registered by name and built lazily, so importing this module never pulls in a network
# client; the "claude" extractor registers itself here when it lands.
DEFAULT_EXTRACTOR = "offline"
_FACTORIES: dict[str, Callable[[], Extractor]] = {}


def register_extractor(name: str, factory: Callable[[], Extractor]) -> None:
    """Make ``get_extractor(name)`` build an extractor with ``factory``; a later call replaces it."""
    _FACTORIES[name.strip().lower()] = factory


def _offline() -> Extractor:
    from .offline_extractor import OfflineExtractor  # local import: offline_extractor imports this module

    return OfflineExtractor()


register_extractor(DEFAULT_EXTRACTOR, _offline)


def available_extractors() -> list[str]:
    return sorted(_FACTORIES)


def get_extractor(name: str | None = None) -> Extractor:
    """The extractor called ``name``; None or "" means the offline one. Unknown names raise ValueError."""
    key = (name or DEFAULT_EXTRACTOR).strip().lower()
    factory = _FACTORIES.get(key)
    if factory is None:
        known = ", ".join(available_extractors())
        raise ValueError(f"Unknown task extractor {name!r}; available extractors: {known}")
    return factory()
