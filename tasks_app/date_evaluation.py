"""Score a date resolver on the labelled date phrases (``eval_data/date_phrases.jsonl``).

One JSON object per line: ``phrase``, ``language`` (en/es/fr/de), ``reference`` (the email's Date
header, ISO 8601 with the sender's offset), ``timezone`` (the reader's IANA zone), ``due`` (the expected
instant, ISO with offset, or null when the phrase holds no date), ``has_time`` and optionally ``end``.
A resolver is right when it finds nothing for a null phrase, or the same instant and the same
``has_time`` (and the same end, when one is labelled). Phrases split into tune and holdout halves by
``tasks_app.evaluation.half_of``, the same fixed hash as the intent set.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tasks_app.evaluation import EVAL_DATA_DIR, half_of

__all__ = [
    "DEFAULT_DATE_PHRASES_PATH",
    "Answer",
    "DatePhrase",
    "DateScore",
    "evaluate_date_phrases",
    "load_date_phrases",
]

DEFAULT_DATE_PHRASES_PATH = EVAL_DATA_DIR / "date_phrases.jsonl"


@dataclass(frozen=True)
class DatePhrase:
    phrase: str
    language: str
    reference: dt.datetime
    timezone: str
    due: dt.datetime | None
    has_time: bool
    end: dt.datetime | None = None

    @property
    def half(self) -> str:
        return half_of(self.phrase)


# (due, has_time) or (due, has_time, end); None when the resolver found no date.
Answer = tuple[dt.datetime, bool] | tuple[dt.datetime, bool, dt.datetime | None] | None


@dataclass
class DateScore:
    # (half or language) -> [right, total]
    cells: dict[str, list[int]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    def add(self, keys: Sequence[str], right: bool) -> None:
        for key in keys:
            cell = self.cells.setdefault(key, [0, 0])
            cell[0] += right
            cell[1] += 1

    def rate(self, key: str) -> float:
        right, total = self.cells.get(key, [0, 0])
        return right / total if total else 0.0

    def render(self) -> str:
        order = ["tune", "holdout", "all", "en", "es", "fr", "de"]
        lines = ["| set | right | n | coverage |", "|---|---|---|---|"]
        for key in [k for k in order if k in self.cells]:
            right, total = self.cells[key]
            lines.append(f"| {key} | {right} | {total} | {right / total:.1%} |")
        return "\n".join(lines)


def _aware(value: str, what: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{what} must be ISO 8601 with an offset, got {value!r}")
    return parsed


def load_date_phrases(path: Path | str = DEFAULT_DATE_PHRASES_PATH) -> list[DatePhrase]:
    rows: list[DatePhrase] = []
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                rows.append(
                    DatePhrase(
                        phrase=raw["phrase"],
                        language=raw["language"],
                        reference=_aware(raw["reference"], "reference"),
                        timezone=raw["timezone"],
                        due=_aware(raw["due"], "due") if raw.get("due") else None,
                        has_time=bool(raw.get("has_time")),
                        end=_aware(raw["end"], "end") if raw.get("end") else None,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{line_number}: {exc}") from exc
    return rows


def _right(row: DatePhrase, answer: Answer) -> bool:
    if row.due is None or answer is None:
        return row.due is None and answer is None
    due, has_time = answer[0], answer[1]
    if due != row.due or has_time != row.has_time:
        return False
    return row.end is None or (len(answer) > 2 and answer[2] == row.end)


def evaluate_date_phrases(resolve: Callable[[DatePhrase], Answer], rows: Sequence[DatePhrase]) -> DateScore:
    score = DateScore()
    for row in rows:
        answer = resolve(row)
        right = _right(row, answer)
        score.add([row.half, "all", row.language], right)
        if not right:
            score.misses.append(f"{row.language} {row.half}: {row.phrase!r} -> {answer} (expected {row.due})")
    return score
