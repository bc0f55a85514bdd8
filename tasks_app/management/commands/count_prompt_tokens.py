"""Count the tokens of Claude's cached prompt prefix (the answer tool and the system prompt) with the
count-tokens endpoint, for the configured model, and say whether it reaches the caching minimum (below it,
prompt caching silently does nothing)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks_app.extractors import ExtractionError
from tasks_app.extractors.claude import ClaudeExtractor, count_cached_prefix_tokens


class Command(BaseCommand):
    help = (
        "Count the cached prefix's tokens (answer tool and system prompt) with POST /v1/messages/count_tokens "
        "(ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, ANTHROPIC_MODEL) and fail if it is below --minimum."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", default="", help="Model to count for (default: ANTHROPIC_MODEL).")
        parser.add_argument(
            "--minimum",
            type=int,
            default=4096,
            help="The model's shortest cacheable prefix (default 4096, the strictest published figure).",
        )

    def handle(self, *args: object, **options: Any) -> None:
        if not settings.ANTHROPIC_API_KEY:
            raise CommandError("ANTHROPIC_API_KEY is not set: counting tokens needs the API (or the fake).")
        extractor = ClaudeExtractor.from_settings()
        model = options["model"] or extractor.model
        try:
            tokens = count_cached_prefix_tokens(extractor, model=model)
        except ExtractionError as e:
            raise CommandError(str(e)) from e
        where = settings.ANTHROPIC_BASE_URL or "https://api.anthropic.com"
        self.stdout.write(f"Cached prefix: {tokens:,} tokens for {model} (counted by {where}).")
        if tokens < options["minimum"]:
            raise CommandError(
                f"The prefix is below the caching minimum of {options['minimum']:,} tokens: "
                "prompt caching does nothing for this model."
            )
        self.stdout.write(f"It reaches the caching minimum of {options['minimum']:,} tokens.")
