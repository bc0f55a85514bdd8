"""Which multilingual date library serves the project's own date phrases best, and how fast.

Scores dateparser's ``search_dates`` and Duckling (the ``pyduckling-native-phihos`` wheel) on
``tasks_app/eval_data/date_phrases.jsonl``, each with the same minimal reading of its answer: the first
date found; a day without a time is the 17:00 deadline of that day (our convention); an interval counts
by its start, or by its end when it only has one ("before Friday"). Both get the phrase's labelled
language and the reference in the reader's zone. Then it scores our resolver (``tasks_app.dates``),
which gets neither the language nor any hint. Prints coverage per half and per language, and the
phrases per second of each.

    python bench/date_libraries.py            # needs: pip install dateparser pyduckling-native-phihos
    python bench/date_libraries.py tasks_app/eval_data/date_phrases2.jsonl   # another phrase set

dateparser is only needed for this comparison (it lost); a library that isn't installed is skipped.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.testing.settings")

import django

django.setup()

from tasks_app.date_evaluation import Answer, DatePhrase, evaluate_date_phrases, load_date_phrases  # noqa: E402
from tasks_app.dates import resolve_due  # noqa: E402

DEADLINE = dt.time(17, 0)


def _dateparser() -> Callable[[DatePhrase], Answer]:
    from dateparser.search import search_dates

    def resolve(row: DatePhrase) -> Answer:
        zone = ZoneInfo(row.timezone)
        base = row.reference.astimezone(zone).replace(tzinfo=None)
        settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "TIMEZONE": row.timezone,
                    "RETURN_AS_TIMEZONE_AWARE": False}  # fmt: skip
        found = search_dates(row.phrase, languages=[row.language], settings=settings)
        if not found:
            return None
        value = found[0][1]
        # search_dates has no grain: a day alone comes back at midnight or at the base's time.
        if value.time() in (dt.time(0, 0), base.time().replace(microsecond=0)):
            return dt.datetime.combine(value.date(), DEADLINE, tzinfo=zone), False
        return value.replace(tzinfo=zone), True

    return resolve


def _duckling() -> Callable[[DatePhrase], Answer]:
    from importlib import resources

    import duckling

    # Duckling reads zone files in the system's layout; the tzdata package's are not found and every
    # zone silently becomes UTC. So it gets the reader's wall clock as if it were UTC, and its answer's
    # wall time is put back in the reader's zone.
    zones = duckling.load_time_zones(str(resources.files("tzdata").joinpath("zoneinfo")))
    dimensions = duckling.parse_dimensions(["time"])

    def resolve(row: DatePhrase) -> Answer:
        zone = ZoneInfo(row.timezone)
        wall = row.reference.astimezone(zone).replace(tzinfo=dt.UTC)
        locale = duckling.default_locale_lang(duckling.parse_lang(row.language.upper()))
        context = duckling.Context(duckling.parse_ref_time(zones, "UTC", int(wall.timestamp())), locale)
        found = duckling.parse(row.phrase, context, dimensions, False)
        if not found:
            return None
        value = found[0]["value"]
        point = value if "value" in value else (value.get("from") or value.get("to"))
        if not point:
            return None
        when = dt.datetime.fromisoformat(point["value"]).replace(tzinfo=zone)
        if point["grain"] in ("day", "week", "month", "quarter", "year"):
            return dt.datetime.combine(when.date(), DEADLINE, tzinfo=zone), False
        return when, True

    return resolve


def _ours(row: DatePhrase) -> Answer:
    resolved = resolve_due(row.phrase, reference=row.reference, timezone=row.timezone)
    return (resolved.due, resolved.has_time, resolved.end) if resolved else None


def main(argv: list[str]) -> None:
    rows = load_date_phrases(*argv[:1])
    candidates: list[tuple[str, Callable[[], Callable[[DatePhrase], Answer]]]] = [
        ("dateparser search_dates", _dateparser),
        ("duckling", _duckling),
        ("ours (tasks_app.dates)", lambda: _ours),
    ]
    print(
        f"{argv[0] if argv else 'date_phrases.jsonl'}: {len(rows)} phrases; correct = same instant and same has_time (null = nothing found)\n"
    )
    for name, build in candidates:
        try:
            resolve = build()
        except ImportError as exc:
            print(f"{name}: not installed ({exc.name}); skipped\n")
            continue
        resolve(rows[0])  # load models and tables before timing
        started = time.perf_counter()
        score = evaluate_date_phrases(resolve, rows)
        elapsed = time.perf_counter() - started
        print(f"{name}: {len(rows) / elapsed:,.0f} phrases/s")
        print(score.render())
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
