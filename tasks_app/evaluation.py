"""Score an extractor on labelled data.

Two sets:

- the Parakweet intent TSV (``label<TAB>sentence``): each sentence becomes the body of one email and
  "the extractor returned at least one task" is the prediction for ``Yes``. Sentences are split into two
  fixed halves by a hash of the text, so rules tuned on one half can be checked on the other.
- labelled emails (JSONL, see ``load_labelled_emails``): expected tasks are matched to extracted ones by
  title keywords; we report email-level has-a-task P/R/F1, task-level P/R/F1 and, for matched tasks, how
  often the due time is right within a tolerance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emailsync.mime import html_to_text, reply_text
from tasks_app.extractors import EmailForExtraction, ExtractedTask, Extractor
from tasks_app.extractors.people import people_from_json

__all__ = [
    "DEFAULT_EMAILS_PATH",
    "DEFAULT_INTENT_PATH",
    "BinaryScore",
    "EmailsResult",
    "ExpectedTask",
    "IntentResult",
    "LabelledEmail",
    "evaluate_emails",
    "evaluate_intent",
    "half_of",
    "load_intent_tsv",
    "load_labelled_emails",
    "render_emails_table",
    "render_intent_table",
]

EVAL_DATA_DIR = Path(__file__).resolve().parent / "eval_data"
DEFAULT_INTENT_PATH = EVAL_DATA_DIR / "parakweet_intent_train.tsv"
DEFAULT_EMAILS_PATH = EVAL_DATA_DIR / "emails.jsonl"

# Any fixed instant works for the intent set: its sentences carry no Date header.
_INTENT_REFERENCE = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)


@dataclass
class BinaryScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.total if self.total else 0.0


def half_of(sentence: str) -> str:
    """ "tune" or "holdout", fixed by a hash of the sentence so the split never moves between runs."""
    return "tune" if hashlib.sha256(sentence.encode("utf-8")).digest()[0] % 2 == 0 else "holdout"


def load_intent_tsv(path: Path | str = DEFAULT_INTENT_PATH) -> list[tuple[bool, str]]:
    rows: list[tuple[bool, str]] = []
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            label, sep, sentence = line.partition("\t")
            if not sep or label.strip() not in ("Yes", "No"):
                raise ValueError(f"{path}:{line_number}: expected 'Yes|No<TAB>sentence'")
            rows.append((label.strip() == "Yes", sentence))
    return rows


@dataclass
class IntentResult:
    extractor: str
    overall: BinaryScore
    halves: dict[str, BinaryScore]
    # A few misclassified sentences for looking at, never used for scoring.
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)


def evaluate_intent(
    extractor: Extractor, path: Path | str = DEFAULT_INTENT_PATH, *, keep_errors: int = 0
) -> IntentResult:
    overall = BinaryScore()
    halves = {"tune": BinaryScore(), "holdout": BinaryScore()}
    result = IntentResult(extractor.name, overall, halves)
    for index, (actual, sentence) in enumerate(load_intent_tsv(path)):
        email = EmailForExtraction(
            id=f"intent-{index}",
            subject="",
            body=sentence,
            sender="someone@example.com",
            sent_at=_INTENT_REFERENCE,
            timezone="UTC",
        )
        predicted = bool(extractor.extract(email))
        overall.add(predicted, actual)
        halves[half_of(sentence)].add(predicted, actual)
        if predicted and not actual and len(result.false_positives) < keep_errors:
            result.false_positives.append(sentence)
        if actual and not predicted and len(result.false_negatives) < keep_errors:
            result.false_negatives.append(sentence)
    return result


# --- labelled emails --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedTask:
    kind: str
    due: dt.datetime | None
    title_keywords: tuple[str, ...]


@dataclass(frozen=True)
class LabelledEmail:
    email: EmailForExtraction
    expected: tuple[ExpectedTask, ...]


def _parse_aware(value: str, what: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{what} must be ISO 8601 with an offset, got {value!r}")
    return parsed


def _body(raw: dict[str, Any]) -> str:
    """The body as the sync hands it to an extractor: ``body`` is already that text; ``html`` is an HTML
    part, rendered and stripped of quotes and signature by the same mail parser functions as synced mail,
    so an ask in a table is scored as the parser presents it."""
    if "body" in raw:
        if not isinstance(raw["body"], str):
            raise ValueError("body must be a string")
        return str(raw["body"])
    if "html" in raw:
        if not isinstance(raw["html"], str):
            raise ValueError("html must be a string")
        return reply_text(html_to_text(raw["html"]))
    raise KeyError("body (or html)")


def load_labelled_emails(path: Path | str = DEFAULT_EMAILS_PATH) -> list[LabelledEmail]:
    """One JSON object per line: id, subject, body (plain text as the parser leaves it) or html (rendered
    by the parser), sender, sent_at (ISO with offset), timezone (IANA), expected: [{kind, due (ISO with
    offset, or null), title_keywords: [...]}]; optionally sender_name, the reader and the To/Cc recipients
    (tasks_app/extractors/people.py), and a free-text ``note`` for people reading the set."""
    emails: list[LabelledEmail] = []
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                email = EmailForExtraction(
                    id=str(raw["id"]),
                    subject=raw.get("subject") or "",
                    body=_body(raw),
                    sender=raw.get("sender") or "",
                    sent_at=_parse_aware(raw["sent_at"], "sent_at"),
                    timezone=raw["timezone"],
                    **people_from_json(raw),
                )
                expected = tuple(
                    ExpectedTask(
                        kind=item.get("kind", "todo"),
                        due=_parse_aware(item["due"], "due") if item.get("due") else None,
                        title_keywords=tuple(str(k) for k in item.get("title_keywords", [])),
                    )
                    for item in raw.get("expected", [])
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{line_number}: {exc}") from exc
            emails.append(LabelledEmail(email, expected))
    return emails


def _matches(expected: ExpectedTask, task: ExtractedTask) -> bool:
    haystack = f"{task.title} {task.evidence}".lower()
    return all(keyword.lower() in haystack for keyword in expected.title_keywords)


@dataclass
class EmailsResult:
    extractor: str
    tolerance: dt.timedelta
    has_task: BinaryScore  # per email: any task expected vs any returned
    expected_tasks: int = 0
    extracted_tasks: int = 0
    matched_tasks: int = 0
    due_checked: int = 0  # matched pairs with an expected due time
    due_correct: int = 0
    kind_correct: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def task_precision(self) -> float:
        return self.matched_tasks / self.extracted_tasks if self.extracted_tasks else 0.0

    @property
    def task_recall(self) -> float:
        return self.matched_tasks / self.expected_tasks if self.expected_tasks else 0.0

    @property
    def task_f1(self) -> float:
        p, r = self.task_precision, self.task_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def due_accuracy(self) -> float:
        return self.due_correct / self.due_checked if self.due_checked else 0.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_correct / self.matched_tasks if self.matched_tasks else 0.0


def evaluate_emails(
    extractor: Extractor,
    emails: Iterable[LabelledEmail],
    *,
    tolerance: dt.timedelta = dt.timedelta(hours=1),
) -> EmailsResult:
    result = EmailsResult(extractor.name, tolerance, BinaryScore())
    for labelled in emails:
        tasks = extractor.extract(labelled.email)
        result.has_task.add(bool(tasks), bool(labelled.expected))
        result.expected_tasks += len(labelled.expected)
        result.extracted_tasks += len(tasks)
        unused = list(tasks)
        for expected in labelled.expected:
            # Greedy one-to-one matching in the order the labeller wrote the tasks.
            match = next((task for task in unused if _matches(expected, task)), None)
            if match is None:
                result.misses.append(f"{labelled.email.id}: {' '.join(expected.title_keywords)}")
                continue
            unused.remove(match)
            result.matched_tasks += 1
            result.kind_correct += match.kind == expected.kind
            if expected.due is not None:
                result.due_checked += 1
                if match.due is not None and abs(match.due - expected.due) <= tolerance:
                    result.due_correct += 1
    return result


# --- rendering --------------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _score_row(name: str, score: BinaryScore) -> list[str]:
    return [
        name,
        str(score.total),
        f"{score.precision:.3f}",
        f"{score.recall:.3f}",
        f"{score.f1:.3f}",
        f"{score.accuracy:.3f}",
        str(score.tp),
        str(score.fp),
        str(score.fn),
        str(score.tn),
    ]


def render_intent_table(result: IntentResult) -> str:
    header = ["intent set", "n", "precision", "recall", "F1", "accuracy", "TP", "FP", "FN", "TN"]
    rows = [_score_row(f"{name} half", score) for name, score in result.halves.items()]
    rows.append(_score_row("all", result.overall))
    return f"Extractor: {result.extractor} — has-a-task on the Parakweet intent set\n" + _table(header, rows)


def render_emails_table(result: EmailsResult) -> str:
    minutes = int(result.tolerance.total_seconds() // 60)
    header = ["labelled emails", "value", "detail"]
    rows = [
        [
            "has-a-task precision",
            f"{result.has_task.precision:.3f}",
            f"TP {result.has_task.tp} FP {result.has_task.fp}",
        ],
        ["has-a-task recall", f"{result.has_task.recall:.3f}", f"FN {result.has_task.fn}"],
        ["has-a-task F1", f"{result.has_task.f1:.3f}", f"{result.has_task.total} emails"],
        [
            "task precision",
            f"{result.task_precision:.3f}",
            f"{result.matched_tasks}/{result.extracted_tasks} extracted matched",
        ],
        [
            "task recall",
            f"{result.task_recall:.3f}",
            f"{result.matched_tasks}/{result.expected_tasks} expected found",
        ],
        ["task F1", f"{result.task_f1:.3f}", ""],
        [
            f"due within {minutes} min",
            f"{result.due_accuracy:.3f}",
            f"{result.due_correct}/{result.due_checked} matched tasks with a due",
        ],
        ["kind accuracy", f"{result.kind_accuracy:.3f}", f"of {result.matched_tasks} matched"],
    ]
    return f"Extractor: {result.extractor} — labelled emails\n" + _table(header, rows)
