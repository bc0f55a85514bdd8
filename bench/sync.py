"""The sync scenarios: no new mail, N new messages (against the naive pipeline), and the first sync of a
large mailbox in a worker process of its own (for its peak memory)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from bench.corpus import make_corpus, requests_in
from bench.fakes import API_KEY, LatentAnthropic, LatentGoogle
from bench.naive import NaiveResult, naive_sync
from bench.report import Figure, Results, ratio, say
from bench.users import gmail_user_create, local_user_create, sync_now
from emailsync.models import SyncRun
from scheduler_site.testing.fake_google import LoggedRequest
from tasks_app.models import Task

# One calendar batch carries at most this many writes (issue 12).
CALENDAR_BATCH = 50
GMAIL_BATCH = 50


def extraction_concurrency() -> tuple[int, bool]:
    """The configured number of LLM calls in flight, and whether this commit has the setting at all."""
    value = getattr(settings, "EXTRACTION_CONCURRENCY", None)
    return (int(value), True) if value else (1, False)


def _google_counts(google: LatentGoogle) -> dict[str, Any]:
    trips = google.http_requests()
    return {
        "requests": len(trips),
        "gmail_requests": sum(r.path.startswith(("/gmail/", "/batch/gmail")) for r in trips),
        "calendar_requests": sum(_is_calendar(r) for r in trips),
        "calls_by_endpoint": dict(google.calls_by_endpoint()),
    }


def _is_calendar(request: LoggedRequest) -> bool:
    return request.path.startswith(("/calendar/", "/batch/calendar"))


def calendar_passes(google: LatentGoogle) -> list[list[LoggedRequest]]:
    """The Calendar round trips of each placement pass, in order. A sync places its tasks after it read its
    mail, and the next sync reads mail again before it places anything, so each stretch of Calendar requests
    between Gmail requests is one pass (a pass with nothing to place makes none and is not listed)."""
    passes: list[list[LoggedRequest]] = []
    in_pass = False
    for request in google.http_requests():
        if not _is_calendar(request):
            in_pass = False
            continue
        if not in_pass:
            passes.append([])
            in_pass = True
        passes[-1].append(request)
    return passes


def busy_reads(requests: list[LoggedRequest]) -> int:
    """How many times these requests began reading the calendar: an ``events.list`` without a page token
    (the busy read, or the time zone read of a pass that places nothing); the pages after it continue it."""
    return sum(r.endpoint == "calendar.events.list" and "pageToken" not in r.query for r in requests)


def _llm_counts(claude: LatentAnthropic) -> dict[str, int]:
    usage = claude.usage
    return {
        "llm_calls": usage["calls"],
        "input_tokens": usage["input_tokens"],
        "output_tokens": usage["output_tokens"],
        "cache_read_tokens": usage["cache_read_input_tokens"],
        "cache_write_tokens": usage["cache_creation_input_tokens"],
    }


def _run_summary(run: SyncRun) -> dict[str, Any]:
    return {
        "state": run.state,
        "error": run.error,
        "messages_found": run.messages_found,
        "messages_seen": run.messages_seen,
        "messages_processed": run.messages_processed,
        "messages_skipped": run.messages_skipped,
        "messages_failed": run.messages_failed,
        "tasks_created": run.tasks_created,
    }


def _naive(google: LatentGoogle, claude: LatentAnthropic, address: str, last: int) -> dict[str, Any]:
    google.clear_requests()
    claude.reset()
    tokens = google.grant(address)
    outcome: NaiveResult = naive_sync(
        access_token=tokens.access_token,
        gmail_endpoint=google.gmail_api_endpoint,
        calendar_endpoint=google.calendar_api_endpoint,
        anthropic_base_url=claude.base_url,
        anthropic_api_key=API_KEY,
        model=settings.ANTHROPIC_MODEL,
        last=last,
    )
    return {
        "seconds": outcome.seconds,
        "messages": outcome.messages,
        "tasks": outcome.tasks,
        "errors": outcome.errors,
        **_google_counts(google),
        **_llm_counts(claude),
    }


def sync_scenarios(
    results: Results, *, google: LatentGoogle, claude: LatentAnthropic, messages: int, tag: str, quick: bool
) -> None:
    """No new mail, then ``messages`` new ones, for the product and for the naive pipeline."""
    now = dt.datetime.now(dt.UTC)
    say("product: no new mail")
    user, fake_user = gmail_user_create(google, f"sync-{tag}")
    first = sync_now(user)  # an empty inbox: takes the checkpoint
    assert first.state == SyncRun.State.SUCCEEDED, first.error

    google.clear_requests()
    claude.reset()
    idle = sync_now(user)
    no_new = {**_run_summary(idle), **_google_counts(google), **_llm_counts(claude)}

    corpus = make_corpus(messages, to=fake_user.email, now=now)
    for mail in corpus:
        fake_user.add_message(mail.raw, labels=mail.labels)
    say(f"product: {messages} new messages")
    google.clear_requests()
    claude.reset()
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        run = sync_now(user)
        wall = time.monotonic() - started
    new = {
        "seconds": wall,
        "statements": len(queries),
        **_run_summary(run),
        **_google_counts(google),
        **_llm_counts(claude),
        "tasks_saved": Task.objects.filter(user=user).count(),
        "events_in_calendar": len(fake_user.calendar_events()),
    }

    naive_user = google.add_user(f"naive-{tag}@gmail.example")
    for mail in make_corpus(messages, to=naive_user.email, now=now):
        naive_user.add_message(mail.raw, labels=mail.labels)
    say(f"naive: {messages} new messages, then the same again")
    naive_new = _naive(google, claude, naive_user.email, messages)
    naive_idle = _naive(google, claude, naive_user.email, messages)
    results.details["sync"] = {
        "product_no_new_mail": no_new,
        "product_new_messages": new,
        "naive_new_messages": naive_new,
        "naive_no_new_mail": naive_idle,
    }

    wanted_calls = requests_in(messages)
    concurrency, _ = extraction_concurrency()
    google_latency = results.settings["google_latency_ms"] / 1000
    claude_latency = results.settings["claude_latency_ms"] / 1000
    # The least a sync of these messages can wait for: its LLM calls, `concurrency` at a time, and the
    # round trips no pipeline avoids (list, read the bodies in batches, one busy read, batched writes).
    round_trips = 1 + math.ceil(messages / GMAIL_BATCH) + 1 + math.ceil(wanted_calls / CALENDAR_BATCH)
    lower_bound = math.ceil(wanted_calls / concurrency) * claude_latency + round_trips * google_latency
    timed = not quick and lower_bound > 0

    results.add(
        Figure(
            "no new mail (Gmail)",
            "Google requests",
            no_new["requests"],
            target="keep (1 request)",
            passed=no_new["requests"] <= 1,
            note=f"naive: {naive_idle['requests']} requests",
        )
    )
    results.add(
        Figure(
            "no new mail (Gmail)",
            "LLM calls",
            no_new["llm_calls"],
            target="keep (0)",
            passed=no_new["llm_calls"] == 0,
            note=f"naive: {naive_idle['llm_calls']} calls",
        )
    )
    results.add(
        Figure(
            f"{messages} new messages",
            "wall time",
            wall,
            "s",
            target="≤ 1.5× the lower bound",
            ratio=ratio(wall, lower_bound) if timed else None,
            ratio_of=f"lower bound {lower_bound:.1f} s",
            passed=(wall <= 1.5 * lower_bound) if timed else None,
            note=(
                f"lower bound: {wanted_calls} LLM calls {concurrency} at a time × {claude_latency * 1000:.0f} ms "
                f"+ {round_trips} Google round trips × {google_latency * 1000:.0f} ms"
            ),
        )
    )
    results.add(
        Figure(
            f"{messages} new messages",
            "wall time vs naive",
            wall,
            "s",
            target="≤ 0.2× naive",
            ratio=ratio(wall, naive_new["seconds"]) if timed else None,
            ratio_of=f"naive {naive_new['seconds']:.1f} s",
            passed=(wall <= 0.2 * naive_new["seconds"]) if timed else None,
        )
    )
    product_tokens = new["input_tokens"] + new["output_tokens"]
    naive_tokens = naive_new["input_tokens"] + naive_new["output_tokens"]
    results.add(
        Figure(
            f"{messages} new messages",
            "LLM input+output tokens",
            product_tokens,
            target="≤ 0.5× naive",
            ratio=ratio(product_tokens, naive_tokens),
            ratio_of=f"naive {naive_tokens:,}",
            passed=product_tokens <= 0.5 * naive_tokens,
            note=(
                f"uncached input plus output, as the API's usage reports them; the product also read "
                f"{new['cache_read_tokens']:,} and wrote {new['cache_write_tokens']:,} cached prompt tokens "
                f"(naive: {naive_new['cache_read_tokens']:,} and {naive_new['cache_write_tokens']:,}). "
                f"LLM calls: {new['llm_calls']} (naive {naive_new['llm_calls']})"
            ),
        )
    )
    per_message = len(queries) / messages
    results.add(
        Figure(
            "SQL statements per synced message",
            f"{len(queries):,} statements / {messages} messages",
            per_message,
            target="≤ 5",
            passed=per_message <= 5,
            note="counted on the sync's own connection (CaptureQueriesContext), the run's fixed work included",
        )
    )

    expected_tasks = wanted_calls
    results.check(
        "no new mail: at most 1 Google request and no LLM call",
        no_new["requests"] <= 1 and no_new["llm_calls"] == 0,
        f"{no_new['requests']} requests, {no_new['llm_calls']} LLM calls",
    )
    results.check(
        f"{messages} new messages: one LLM call per personal message, none for bulk",
        new["llm_calls"] == wanted_calls,
        f"{new['llm_calls']} calls for {wanted_calls} personal of {messages}",
    )
    results.check(
        f"{messages} new messages: every task saved once and on the calendar once",
        run.state == SyncRun.State.SUCCEEDED
        and new["tasks_saved"] == expected_tasks
        and new["events_in_calendar"] == expected_tasks,
        f"run {run.state}, {new['tasks_saved']} tasks, {new['events_in_calendar']} events, "
        f"{expected_tasks} expected",
    )
    results.check(
        "naive baseline: one LLM call per message, bulk included",
        naive_new["llm_calls"] == messages and naive_idle["llm_calls"] == messages,
        f"{naive_new['llm_calls']} and {naive_idle['llm_calls']} calls for {messages} messages",
    )


def _worker(user_id: int, timeout: float) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.worker", "first-sync", str(user_id)],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=settings.BASE_DIR,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the bench worker failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def first_sync_scenarios(
    results: Results,
    *,
    google: LatentGoogle,
    claude: LatentAnthropic,
    messages: int,
    tag: str,
    workdir: Path,
) -> None:
    """A first sync of ``messages`` messages in a process of its own, from Gmail and from a local folder,
    until a sync finds nothing more (the per-run cap may split it)."""
    now = dt.datetime.now(dt.UTC)
    wanted_tasks = requests_in(messages)
    details: dict[str, Any] = {}

    folder = workdir / f"first-sync-{tag}"
    local = local_user_create(f"first-local-{tag}", folder)
    for index, mail in enumerate(make_corpus(messages, to=local.email, now=now)):
        (folder / f"{index:05d}.eml").write_bytes(mail.raw)
    say(f"local folder: {messages} messages written; worker process starts")
    details["local"] = _worker(local.pk, timeout=3600)

    user, fake_user = gmail_user_create(google, f"first-gmail-{tag}")
    for mail in make_corpus(messages, to=fake_user.email, now=now):
        fake_user.add_message(mail.raw, labels=mail.labels)
    google.clear_requests()
    claude.reset()
    say(f"Gmail: {messages} messages at the fake; worker process starts")
    gmail = _worker(user.pk, timeout=3600)
    gmail.update(_google_counts(google))
    passes_seen = calendar_passes(google)
    gmail["calendar_requests_per_pass"] = [len(requests) for requests in passes_seen]
    gmail["busy_reads_per_pass"] = [busy_reads(requests) for requests in passes_seen]
    gmail["events_in_calendar"] = len(fake_user.calendar_events())
    tasks_of_user = Task.objects.filter(user=user)
    gmail["events_written"] = tasks_of_user.filter(event_written=True).count()
    # Placed although no working time was left before the deadline (the first free block after it).
    gmail["events_after_due"] = tasks_of_user.filter(event_written=True, event_end__gt=F("due_at")).count()
    # The horizon's working time was all taken: no event, and the task says why.
    gmail["tasks_without_room"] = tasks_of_user.filter(
        event_start__isnull=True, calendar_error__startswith="No free block"
    ).count()
    details["gmail"] = gmail
    results.details["first_sync"] = details

    for source in ("local", "gmail"):
        peak = details[source]["peak_rss_mb"]
        results.add(
            Figure(
                f"{messages:,}-message first sync ({source})",
                "worker peak memory",
                peak,
                "MB",
                target="< 300 MB",
                passed=peak < 300,
                note=(
                    f"{details[source]['runs']} runs in one process, {details[source]['tasks']:,} tasks, "
                    f"{details[source]['seconds']:.0f} s; peak RSS (ru_maxrss), Django and the libraries included"
                ),
            )
        )
    passes = gmail["runs"]
    tasks = gmail["tasks"]
    written = gmail["events_written"]
    bound = passes + math.ceil(written / CALENDAR_BATCH)
    calls = gmail["calls_by_endpoint"]
    results.add(
        Figure(
            f"{messages:,}-message first sync (gmail)",
            "calendar requests",
            gmail["calendar_requests"],
            target="≤ 1 busy read per pass + ⌈events/50⌉ batches",
            ratio=ratio(gmail["calendar_requests"], bound),
            ratio_of=f"bound {bound:,}",
            passed=gmail["calendar_requests"] <= bound,
            note=(
                f"{tasks:,} tasks, {written:,} of them placed ({gmail['events_after_due']:,} of those after "
                f"their due date, no working time being left before it), {gmail['tasks_without_room']:,} told "
                f"there is no free block in the {settings.SCHEDULING_HORIZON_DAYS}-day horizon; {passes} syncs; "
                f"calendar requests per placement pass {gmail['calendar_requests_per_pass']}, busy reads per pass "
                f"{gmail['busy_reads_per_pass']}; events.list {calls.get('calendar.events.list', 0):,} "
                f"(pages included), events.insert {calls.get('calendar.events.insert', 0):,} (in batches), "
                f"events.get {calls.get('calendar.events.get', 0):,}"
            ),
        )
    )
    results.check(
        f"first sync of {messages} messages (gmail): at most one busy read per placement pass",
        bool(gmail["busy_reads_per_pass"]) and max(gmail["busy_reads_per_pass"]) <= 1,
        f"busy reads per pass {gmail['busy_reads_per_pass']} in {len(passes_seen)} passes that placed tasks",
    )
    for source in ("local", "gmail"):
        got = details[source]
        results.check(
            f"first sync of {messages} messages ({source}): every message read once, every task saved",
            got["failed_runs"] == 0 and got["messages_done"] == messages and got["tasks"] == wanted_tasks,
            f"{got['messages_done']} of {messages} messages final, {got['tasks']} tasks of {wanted_tasks}, "
            f"{got['failed_runs']} failed runs",
        )
    results.check(
        f"first sync of {messages} messages (gmail): one calendar event per placed task, none twice",
        0 < written == gmail["events_in_calendar"],
        f"{gmail['events_in_calendar']} events in the calendar for {written} tasks placed of {tasks}",
    )
