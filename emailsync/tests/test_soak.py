"""A soak: 50 Gmail users synced again and again through two real clusters while the fake Google and the
fake Anthropic inject random faults (5xx, 429, timeouts, dropped batches, stale history, one user's grant
revoked and then reconnected). Afterwards every message was read exactly once, every task has exactly one
event, and no mailbox ever had two syncs at once (from the run records). PostgreSQL only.

About 90 s of faults in CI; SOAK_SECONDS=600 (say) soaks longer. SOAK_SEED replays a run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.google.grant import google_account_connect
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.pipeline import mailbox_connect_google
from emailsync.services import SyncUnavailable, sync_trigger
from emailsync.tests.test_crash_recovery import ASK, request_body
from scheduler_site.testing.fake_anthropic import FakeAnthropic, RecordedRequest, Reply, answer_task
from scheduler_site.testing.fake_google import FakeGoogle, FakeUser
from scheduler_site.tests.cluster import killable_cluster, requires_postgres
from scheduler_site.tests.google_support import connect, mail
from tasks_app.models import Task

pytestmark = [
    pytest.mark.slow,
    requires_postgres,
    pytest.mark.skipif(
        "redis" in settings.Q_CLUSTER, reason="the test enqueues on the ORM broker; unset REDIS_URL"
    ),
    pytest.mark.django_db(transaction=True),
]

USERS = 50
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "90"))
SEED = int(os.environ.get("SOAK_SEED", str(random.randrange(1_000_000))))


class Mail:
    """The messages the soak delivers to one fake account; every fourth one asks for a report."""

    def __init__(self, account: FakeUser) -> None:
        self.account = account
        self.sent = 0

    def deliver(self) -> None:
        number = self.sent
        self.sent += 1
        age = dt.timedelta(minutes=1)
        if number % 4 == 0:
            self.account.add_message(mail(f"Report {number}", request_body(number), age=age))
        else:
            self.account.add_message(
                mail(f"Offer {number}", "Big sale this week", age=age),
                labels=["INBOX", "CATEGORY_PROMOTIONS"],
            )


class ClaudeFaults:
    """The fake Anthropic's answers: right ones, and now and then a 500, a 529, a 429 or no answer in time."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lock = threading.Lock()
        self.on = True
        self.injected: Counter[str] = Counter()

    def __call__(self, request: RecordedRequest) -> Reply:
        asked = ASK.search(request.user_text)
        answer = Reply.tasks(answer_task(f"Send report {asked[1]}", asked[0])) if asked else Reply.tasks()
        with self.lock:
            roll = self.rng.random() if self.on else 1.0
            fault = (
                "500"
                if roll < 0.04
                else "529"
                if roll < 0.07
                else "429"
                if roll < 0.10
                else "timeout"
                if roll < 0.12
                else ""
            )
            if fault:
                self.injected[fault] += 1
        if fault == "500":
            return Reply.server_error()
        if fault == "529":
            return Reply.overloaded()
        if fault == "429":
            return Reply.rate_limited(retry_after=1)
        if fault == "timeout":
            return Reply.slow(5, then=answer)  # the extractor gives up after 2 s
        return answer


def google_fault(google: FakeGoogle, account: FakeUser, rng: random.Random) -> str:
    """One random fault of Google, for one account, the next time the call is made."""
    user = account.email
    kind = rng.choice(
        ["list 5xx", "part 5xx", "429", "timeout", "dropped batch", "stale history", "calendar 5xx"]
    )
    if kind == "list 5xx":
        google.fail("gmail.users.history.list", status=503, times=3, user=user)  # more than the retries
    elif kind == "part 5xx":
        google.fail("gmail.users.messages.get", status=500, times=2, user=user)
    elif kind == "429":
        google.fail(
            "gmail.users.history.list", status=429, retry_after=1, user=user, reason="rateLimitExceeded"
        )
    elif kind == "timeout":
        google.delay("gmail.users.history.list", 3, times=1, user=user)
    elif kind == "dropped batch":
        google.drop("batch", times=2, user=user)  # httplib2 sends again once on its own
    elif kind == "stale history":
        account.prune_history()
    else:
        google.fail("calendar.events.insert", status=503, times=3, user=user)
    return kind


def reconnect(google: FakeGoogle, user: User, account: FakeUser) -> None:
    """The user signs in with Google again (a fresh grant), which is how a lost grant is reconnected."""
    tokens = google.grant(account.email)
    google_account_connect(
        user=user,
        subject=account.sub,
        email=account.email,
        token_response={
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": tokens.expires_in,
            "scope": " ".join(tokens.scopes),
        },
    )
    mailbox_connect_google(user=user)


def trigger(user: User) -> bool:
    try:
        return sync_trigger(user=user, trigger=SyncRun.Trigger.SCHEDULE)[1]
    except SyncUnavailable:
        return False


def all_read(user: User, account: FakeUser) -> bool:
    """Every message of the account has a final receipt and every task is on the calendar."""
    final = set(
        MessageReceipt.objects.filter(
            mailbox__user=user, status__in=MessageReceipt.FINAL_STATUSES
        ).values_list("message_id", flat=True)
    )
    waiting = Task.objects.filter(user=user).exclude(event_written=True, calendar_pending=False).exists()
    return final >= set(account.messages) and not waiting


def test_fifty_users_synced_through_two_clusters_under_random_faults_keep_every_guarantee(
    tmp_path: Path, user_factory: Callable[..., User]
) -> None:
    rng = random.Random(SEED)
    print(f"\nsoak: SOAK_SEED={SEED}, {SOAK_SECONDS:.0f} s of faults")
    claude = ClaudeFaults(random.Random(SEED + 1))
    google_faults: Counter[str] = Counter()
    with FakeGoogle() as google, FakeAnthropic(api_key="test-key", default=claude) as anthropic:
        users = [user_factory(f"soak{n}") for n in range(USERS)]
        accounts = [connect(google, user) for user in users]
        mails = [Mail(account) for account in accounts]
        for box in mails:
            for _ in range(4):
                box.deliver()
        revoked_user, revoked_account = users[0], accounts[0]
        env = {
            **google.settings(),
            "GOOGLE_HTTP_TIMEOUT_SECONDS": "2",
            "GOOGLE_NUM_RETRIES": "2",
            "GOOGLE_RETRY_BASE_MS": "50",
            "TASK_EXTRACTOR": "claude",
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": anthropic.base_url,
            "ANTHROPIC_MAX_RETRIES": "0",
            "ANTHROPIC_TIMEOUT_SECONDS": "2",
            "SYNC_LEASE_SECONDS": "30",
            "SYNC_BACKOFF_BASE_SECONDS": "1",
            "SYNC_BACKOFF_MAX_SECONDS": "3",
            # Faults are frequent here by design: no mailbox may be disabled and no message quarantined for
            # them, so the end state can be checked message by message.
            "SYNC_DISABLE_AFTER_FAILURES": "100000",
            "SYNC_MESSAGE_MAX_ATTEMPTS": "1000",
            "Q_WORKERS": "2",
        }
        log_a, log_b = tmp_path / "cluster-a.log", tmp_path / "cluster-b.log"
        with killable_cluster(log_a, **env) as a, killable_cluster(log_b, **env) as b:
            started = time.monotonic()
            revoked = reconnected = False
            triggered = 0
            while (elapsed := time.monotonic() - started) < SOAK_SECONDS:
                assert a.poll() is None and b.poll() is None, (log_a.read_text() + log_b.read_text())[-4000:]
                if not revoked and elapsed > SOAK_SECONDS / 3:
                    # invalid_grant: the user removed the app at Google; refreshing fails from now on.
                    google.revoke(revoked_account.email)
                    google.expire_access_tokens(revoked_account.email)
                    mails[
                        0
                    ].deliver()  # mail that arrives while the grant is gone must be read after reconnecting
                    revoked = True
                if revoked and not reconnected and elapsed > SOAK_SECONDS * 2 / 3:
                    reconnect(google, revoked_user, revoked_account)
                    reconnected = True
                for _ in range(2):
                    triggered += trigger(rng.choice(users))
                if rng.random() < 0.5:
                    rng.choice(mails).deliver()
                if rng.random() < 0.3:
                    google_faults[google_fault(google, rng.choice(accounts[1:]), rng)] += 1
                time.sleep(0.25)

            # Calm: no more faults; everyone syncs until all their mail is read.
            google.reset_faults()
            claude.on = False
            drain_deadline = time.monotonic() + 180
            pending = list(range(USERS))
            while pending and time.monotonic() < drain_deadline:
                for n in list(pending):
                    if (
                        all_read(users[n], accounts[n])
                        and not SyncRun.objects.filter(
                            user=users[n], state__in=SyncRun.ACTIVE_STATES
                        ).exists()
                    ):
                        pending.remove(n)
                    else:
                        trigger(users[n])
                time.sleep(0.5)
            drained = time.monotonic() - started - SOAK_SECONDS
            assert not pending, (
                f"not read to the end: {[users[n].username for n in pending]}\n"
                + (log_a.read_text() + log_b.read_text())[-4000:]
            )

    runs = SyncRun.objects.all()
    outcomes = Counter(runs.values_list("state", flat=True))
    print(
        f"soak: {triggered} syncs triggered, {runs.count()} runs {dict(outcomes)}, {sum(m.sent for m in mails)} "
        f"messages; Google faults {dict(google_faults)}, Claude faults {dict(claude.injected)}; "
        f"calm after {drained:.0f} s"
    )
    assert not runs.filter(state__in=SyncRun.ACTIVE_STATES).exists()
    assert sum(google_faults.values()) >= SOAK_SECONDS / 4 * 0.1 and claude.injected
    # The revoked user was told to reconnect, and after reconnecting got everything.
    assert runs.filter(user=revoked_user, error__contains="Reconnect your account").exists()
    assert Mailbox.objects.get(user=revoked_user).state == Mailbox.State.ACTIVE
    for user, account in zip(users, accounts, strict=True):
        # Every message exactly once: one receipt each (a unique constraint), read or skipped, never given up.
        receipts = MessageReceipt.objects.filter(mailbox__user=user)
        assert sorted(receipts.values_list("message_id", flat=True)) == sorted(account.messages)
        assert set(receipts.values_list("status", flat=True)) <= {
            MessageReceipt.Status.DONE,
            MessageReceipt.Status.SKIPPED,
        }
        asks = {m.id for m in account.messages.values() if b"report number" in m.raw}
        tasks = Task.objects.filter(user=user)
        assert sorted(tasks.values_list("source__message_id", flat=True)) == sorted(asks)
        # Every task exactly one event, and no event without its task.
        assert sorted(account.events) == sorted(tasks.values_list("event_id", flat=True))
        # Single flight: no two runs of this mailbox overlap in time.
        spans: list[tuple[dt.datetime, dt.datetime]] = sorted(
            (run.started_at, run.finished_at or timezone.now())
            for run in runs.filter(user=user)
            if run.started_at is not None
        )
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, f"two syncs of {user.username}'s mailbox at once"
