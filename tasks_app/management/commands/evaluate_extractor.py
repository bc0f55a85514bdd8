"""Score an extractor on the bundled labelled data and print plain-text tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks_app.evaluation import (
    DEFAULT_EMAILS_PATH,
    DEFAULT_INTENT_PATH,
    DEFAULT_MAILBOX2_PATH,
    DEFAULT_MAILBOX3_PATH,
    DEFAULT_MAILBOX4_PATH,
    DEFAULT_MAILBOX_PATH,
    EmailsResult,
    evaluate_emails,
    evaluate_intent,
    load_labelled_emails,
    render_emails_table,
    render_halves_table,
    render_intent_table,
)
from tasks_app.extractors import get_extractor


class Command(BaseCommand):
    help = (
        "Measure an extractor: has-a-task P/R/F1 on the intent set, and task/due accuracy on the labelled "
        "emails and the labelled mailboxes, per tune/holdout half."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--extractor", default="offline", help="Extractor name (default: offline).")
        parser.add_argument("--intent", default=str(DEFAULT_INTENT_PATH), help="Intent TSV ('' to skip).")
        parser.add_argument(
            "--emails",
            default=None,
            help="Labelled emails JSONL (default: the bundled emails.jsonl when present; '' to skip).",
        )
        parser.add_argument(
            "--mailbox",
            default=None,
            help="The realistic labelled mailbox JSONL (default: the bundled mailbox.jsonl; '' to skip).",
        )
        parser.add_argument(
            "--mailbox2",
            default=None,
            help="A second held-out labelled mailbox JSONL, by another labeller (default: the bundled "
            "mailbox2.jsonl; '' to skip).",
        )
        parser.add_argument(
            "--mailbox3",
            default=None,
            help="A third held-out labelled mailbox JSONL, by a third labeller, scored and never read while "
            "rules change (default: the bundled mailbox3.jsonl when present; '' to skip).",
        )
        parser.add_argument(
            "--mailbox4",
            default=None,
            help="A fourth held-out labelled mailbox JSONL, by a fourth labeller (default: the bundled "
            "mailbox4.jsonl when present; '' to skip).",
        )
        parser.add_argument("--tolerance-minutes", type=int, default=60, help="Due-time tolerance.")
        parser.add_argument(
            "--misses",
            choices=["tune", "holdout", "all"],
            default=None,
            help="Also list each expected task that was not right, and each task from a no-task email, for "
            "that half. Tune rules on the tune half only, or the holdout figures stop meaning anything.",
        )

    def handle(self, *args: object, **options: Any) -> None:
        try:
            extractor = get_extractor(options["extractor"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["tolerance_minutes"] < 0:
            raise CommandError("--tolerance-minutes must be 0 or more")

        intent_path = options["intent"]
        # Naming one set scores only the sets named: a paid extractor is never run over every bundled set
        # by surprise.
        named_any = any(
            options[option] for option in ("emails", "mailbox", "mailbox2", "mailbox3", "mailbox4")
        )
        sets = {
            name: self._path(options[option], bundled, named_any)
            for name, option, bundled in (
                ("labelled emails", "emails", DEFAULT_EMAILS_PATH),
                ("mailbox", "mailbox", DEFAULT_MAILBOX_PATH),
                ("second mailbox", "mailbox2", DEFAULT_MAILBOX2_PATH),
                ("third mailbox", "mailbox3", DEFAULT_MAILBOX3_PATH),
                ("fourth mailbox", "mailbox4", DEFAULT_MAILBOX4_PATH),
            )
        }
        if not intent_path and not any(sets.values()):
            raise CommandError(
                "nothing to evaluate: give --intent, --emails, --mailbox, --mailbox2, --mailbox3 or --mailbox4"
            )

        tables: list[str] = []
        if intent_path:
            self._require(intent_path)
            tables.append(render_intent_table(evaluate_intent(extractor, intent_path)))
        tolerance = dt.timedelta(minutes=options["tolerance_minutes"])
        for name, path in sets.items():
            if not path:
                continue
            self._require(path)
            try:
                emails = load_labelled_emails(path)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            result = evaluate_emails(extractor, emails, tolerance=tolerance)
            tables.append(render_emails_table(result, name))
            tables.append(render_halves_table(result, name))
            if options["misses"]:
                tables.append(self._misses(result, name, options["misses"]))
        self.stdout.write("\n\n".join(tables))

    @staticmethod
    def _path(given: str | None, bundled: Path, named_any: bool) -> str:
        """None means the bundled file when there is one and no set was named; "" means skip the set."""
        if given is None:
            return str(bundled) if bundled.exists() and not named_any else ""
        return given

    @staticmethod
    def _misses(result: EmailsResult, name: str, half: str) -> str:
        misses = result.halves[half].misses
        where = "all" if half == "all" else f"the {half} half"
        lines = [f"Not right in {where} of the {name} ({len(misses)}):", *misses]
        return "\n".join(lines)

    @staticmethod
    def _require(path: str) -> None:
        if not Path(path).is_file():
            raise CommandError(f"no such file: {path}")
