"""Score an extractor on the bundled labelled data and print plain-text tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks_app.evaluation import (
    DEFAULT_EMAILS_PATH,
    DEFAULT_INTENT_PATH,
    evaluate_emails,
    evaluate_intent,
    load_labelled_emails,
    render_emails_table,
    render_intent_table,
)
from tasks_app.extractors import get_extractor


class Command(BaseCommand):
    help = (
        "Measure an extractor: has-a-task P/R/F1 on the intent set, and task/due accuracy on labelled emails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--extractor", default="offline", help="Extractor name (default: offline).")
        parser.add_argument("--intent", default=str(DEFAULT_INTENT_PATH), help="Intent TSV ('' to skip).")
        parser.add_argument(
            "--emails",
            default=None,
            help="Labelled emails JSONL (default: the bundled emails.jsonl when present; '' to skip).",
        )
        parser.add_argument("--tolerance-minutes", type=int, default=60, help="Due-time tolerance.")

    def handle(self, *args: object, **options: Any) -> None:
        try:
            extractor = get_extractor(options["extractor"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["tolerance_minutes"] < 0:
            raise CommandError("--tolerance-minutes must be 0 or more")

        intent_path = options["intent"]
        emails_path = options["emails"]
        if emails_path is None:
            emails_path = str(DEFAULT_EMAILS_PATH) if DEFAULT_EMAILS_PATH.exists() else ""
        if not intent_path and not emails_path:
            raise CommandError("nothing to evaluate: give --intent or --emails")

        tables: list[str] = []
        if intent_path:
            self._require(intent_path)
            tables.append(render_intent_table(evaluate_intent(extractor, intent_path)))
        if emails_path:
            self._require(emails_path)
            try:
                emails = load_labelled_emails(emails_path)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            tolerance = dt.timedelta(minutes=options["tolerance_minutes"])
            tables.append(render_emails_table(evaluate_emails(extractor, emails, tolerance=tolerance)))
        self.stdout.write("\n\n".join(tables))

    @staticmethod
    def _require(path: str) -> None:
        if not Path(path).is_file():
            raise CommandError(f"no such file: {path}")
