"""Relating a new email's tasks to the open tasks of its thread, for both extractors.

A later email in a thread often moves, repeats or cancels what an earlier one asked. Matching is kept
conservative, because merging two different tasks loses one of them while a duplicate only costs a click:

- an extractor that saw the thread (Claude) may name the task it updates or cancels (``thread_ref``);
- otherwise a task matches an open thread task of the same kind with a similar title (most of the
  content words of the shorter one are shared), or one due the same day when the email is a reminder;
- a reschedule phrase ("moved to", "push it to", "postponed") with a new date matches the thread's only
  open dated task of the same kind (meeting or deadline);
- a cancellation stated by the author ("the call is cancelled", "let's call it off", "never mind")
  cancels the task it names by title, or the thread's only open task when the sentence points at it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast
from zoneinfo import ZoneInfo

from emailsync.models import MessageReceipt
from tasks_app.extractors import ExtractedTask, TaskKind, ThreadTask
from tasks_app.models import Task

__all__ = [
    "ThreadMatch",
    "cancellation_in",
    "match_thread_task",
    "thread_open_tasks",
    "thread_tasks_for_prompt",
    "threads_with_open_tasks",
]

_FLAGS = re.IGNORECASE
# Said by the author about something already arranged; "please cancel X" (a request to the reader) is not.
CANCEL = re.compile(
    r"\bcancel(?:l)?ed\b|\bcalled off\b|\bcall(?:ing)? (?:it|this|that|the \w+) off\b"
    r"|\b(?:let'?s|we(?:'ll| will| can| should| have to| need to)"
    r"|i(?:'ll| will| have to| need to|'m going to))"
    r"\s+(?:have to\s+|need to\s+)?cancel\b"
    r"|\bno longer (?:need(?:ed)?|necessary|required|happening|going ahead)\b|\bis off\b|\bnever ?mind\b"
    r"|\bscratch that\b|\bwon'?t be (?:needed|necessary|happening)\b|\bnot (?:needed|happening) any ?more\b",
    _FLAGS,
)
RESCHEDULE = re.compile(
    r"\b(?:move[ds]?|moving)\b.{0,40}\b(?:to|until|till)\b|\breschedul\w*|\bpostpon\w*|\bpush(?:ed|ing)?\b.{0,30}"
    r"\b(?:to|back|out)\b|\bbring(?:ing)?\b.{0,30}\bforward\b"
    r"|\bchange[ds]? (?:the )?(?:time|date|day|deadline)\b"
    r"|\bnew (?:time|date|deadline)\b|\b(?:is|are) now (?:due|at|on)\b|\bnow (?:due|happening)\b"
    r"|\bextend(?:ed|ing)? (?:the )?deadline\b|\binstead\b",
    _FLAGS,
)
REMINDER = re.compile(
    r"\bremind(?:er|ing)?\b|\bnudge\b|\bfollow(?:ing)?[- ]up\b|\bdon'?t forget\b|\bstill (?:need|waiting)\b"
    r"|\bany update\b|\bchecking in\b|\bjust checking\b",
    _FLAGS,
)
_MEETING_WORDS = re.compile(
    r"\b(?:meeting|call|sync|chat|session|lunch|dinner|coffee|appointment|interview)\b", _FLAGS
)
_POINTER = re.compile(
    r"\b(?:it|this|that)(?:'s| is| has been| was)? (?:cancel|off|no longer)|\bnever ?mind\b", _FLAGS
)
_STOPWORDS = {
    "the", "a", "an", "and", "or", "to", "of", "for", "on", "in", "at", "by", "with", "from", "about", "me",
    "us", "you", "your", "our", "my", "we", "i", "it", "is", "are", "be", "this", "that", "please", "can",
    "could", "would", "will", "just", "reminder", "remind", "send", "get", "do", "make", "have", "has",
    "still", "up", "so", "all", "any", "some", "before", "after", "due", "today", "tomorrow",
}  # fmt: skip

ThreadActionTaken = Literal["update", "cancel"]


@dataclass(frozen=True)
class ThreadMatch:
    task: Task
    action: ThreadActionTaken


def thread_open_tasks(*, receipt: MessageReceipt) -> list[Task]:
    """Open tasks that earlier emails of the receipt's thread produced, oldest first."""
    if not receipt.thread_id:
        return []
    return list(
        Task.objects.filter(
            source__mailbox_id=receipt.mailbox_id,
            source__thread_id=receipt.thread_id,
            status__in=Task.OPEN_STATUSES,
        )
        .exclude(source_id=receipt.pk)
        .select_related("source")
        .order_by("created_at", "id")
    )


def threads_with_open_tasks(*, mailbox_id: int) -> set[str]:
    """The threads of a mailbox that have open tasks, in one query: a message of any other thread has no
    thread tasks to look up."""
    return set(
        Task.objects.filter(source__mailbox_id=mailbox_id, status__in=Task.OPEN_STATUSES)
        .exclude(source__thread_id="")
        .values_list("source__thread_id", flat=True)
        .distinct()
    )


def thread_tasks_for_prompt(tasks: Sequence[Task]) -> tuple[ThreadTask, ...]:
    """The open thread tasks as the extractor sees them, with refs T1, T2… in the order of ``tasks``."""
    return tuple(
        # Task.Kind's values are exactly TaskKind's.
        ThreadTask(ref=f"T{index}", title=task.title, kind=cast(TaskKind, task.kind), due=task.due_at)
        for index, task in enumerate(tasks, 1)
    )


def _words(text: str) -> set[str]:
    words = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if len(word) < 2 or word in _STOPWORDS:
            continue
        words.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return words


def similar(title: str, text: str) -> bool:
    """Most of the content words of ``title`` occur in ``text`` (at least two, or the only one)."""
    wanted = _words(title)
    shared = wanted & _words(text)
    if not wanted:
        return False
    return len(shared) >= min(2, len(wanted)) and len(shared) / len(wanted) >= 0.6


def _same_day(a: dt.datetime | None, b: dt.datetime | None, zone: ZoneInfo) -> bool:
    return a is not None and b is not None and a.astimezone(zone).date() == b.astimezone(zone).date()


def match_thread_task(
    item: ExtractedTask, candidates: Sequence[Task], *, zone: ZoneInfo, refs: dict[str, Task] | None = None
) -> ThreadMatch | None:
    """The open thread task ``item`` is about, if any, and whether it updates or cancels it."""
    if not candidates:
        return None
    if item.thread_action != "new" and refs and item.thread_ref in refs:
        return ThreadMatch(refs[item.thread_ref], item.thread_action)
    evidence = item.evidence
    cancelling = bool(CANCEL.search(evidence))
    action: ThreadActionTaken = "cancel" if cancelling else "update"
    text = f"{item.title} {evidence}"
    for task in candidates:
        if similar(task.title, text) and (
            task.kind == item.kind or cancelling or RESCHEDULE.search(evidence)
        ):
            return ThreadMatch(task, action)
    if REMINDER.search(evidence):
        for task in candidates:
            if _same_day(task.due_at, item.due, zone):
                return ThreadMatch(task, "update")
    if item.due is not None and RESCHEDULE.search(evidence) and item.kind in ("meeting", "deadline"):
        dated = [task for task in candidates if task.kind == item.kind and task.due_at is not None]
        if len(dated) == 1:
            return ThreadMatch(dated[0], "update")
    if cancelling:
        return _cancel_target(evidence, candidates)
    return None


def _cancel_target(sentence: str, candidates: Sequence[Task]) -> ThreadMatch | None:
    named = [task for task in candidates if similar(task.title, sentence)]
    if len(named) == 1:
        return ThreadMatch(named[0], "cancel")
    if len(candidates) == 1:
        only = candidates[0]
        if _POINTER.search(sentence) or (only.kind == Task.Kind.MEETING and _MEETING_WORDS.search(sentence)):
            return ThreadMatch(only, "cancel")
    return None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def cancellation_in(
    body: str, candidates: Sequence[Task], *, skip: Sequence[str] = ()
) -> list[tuple[Task, str]]:
    """Thread tasks that sentences of ``body`` cancel, with the sentence; ``skip`` lists sentences already
    used as a task's evidence. Quoted lines are ignored: they repeat the earlier email."""
    found: list[tuple[Task, str]] = []
    used = {" ".join(s.split()) for s in skip}
    lines = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))
    for sentence in _sentences(lines):
        if " ".join(sentence.split()) in used or not CANCEL.search(sentence):
            continue
        match = _cancel_target(sentence, [t for t in candidates if all(t is not f for f, _ in found)])
        if match is not None:
            found.append((match.task, sentence))
    return found
