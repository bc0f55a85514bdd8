"""The whole product on its embedded defaults: the demo mailbox synced by a real qcluster process on
the ORM broker, then the tasks and the ICS feed checked through the web."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from accounts.demo import demo_mailbox_install
from accounts.services import demo_user_ensure
from emailsync.models import MessageReceipt, SyncRun
from emailsync.services import mailbox_connect_local, sync_trigger
from tasks_app.models import LocalCalendarEvent, Task

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    """The URL of the test database this process uses, so the cluster process shares it."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # qcluster on SQLite can ignore SIGTERM for a while (FIELD_NOTES); don't hang the suite.
        process.kill()
        process.wait(timeout=5)


def test_it_syncs_the_demo_mailbox_through_a_real_cluster(tmp_path: Path) -> None:
    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.skip("the cluster process needs a database file it can open")
    user = demo_user_ensure()
    folder = tmp_path / "demo-mailbox"
    count = demo_mailbox_install(target=folder, today=timezone.localdate())
    assert count >= 20
    mailbox_connect_local(user=user, folder=str(folder))

    run, created = sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON)
    assert created

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "scheduler_site.settings",
        "Q_WORKERS": "1",
        "REDIS_URL": "",
        "TASK_EXTRACTOR": "offline",
    }
    log = (tmp_path / "qcluster.log").open("wb")
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if not run.is_active:
                break
            assert cluster.poll() is None, (tmp_path / "qcluster.log").read_text()
            time.sleep(0.5)
    finally:
        _stop(cluster)
        log.close()

    assert run.state == SyncRun.State.SUCCEEDED, run.error or (tmp_path / "qcluster.log").read_text()[-3000:]
    assert run.messages_seen == count
    assert run.messages_skipped >= 4  # the newsletters and notifications of the demo mailbox
    assert MessageReceipt.objects.filter(mailbox__user=user).count() == count

    tasks = Task.objects.filter(user=user)
    assert tasks.count() >= 12
    assert run.tasks_created == tasks.count()
    assert not tasks.filter(source__status=MessageReceipt.Status.SKIPPED).exists()
    events = LocalCalendarEvent.objects.filter(user=user)
    assert events.count() == tasks.filter(event_written=True).count() == run.events_scheduled > 0

    client = Client()
    client.force_login(user)
    listed = client.get("/api/tasks/").json()
    assert {item["title"] for item in listed} == set(tasks.values_list("title", flat=True))

    feed = Client().get(f"/calendar/{user.profile.feed_token}.ics")
    assert feed.status_code == 200
    calendar = Calendar.from_ical(feed.content)
    vevents = calendar.walk("VEVENT")
    assert len(vevents) == events.count()
    assert {str(v["SUMMARY"]) for v in vevents} == set(events.values_list("summary", flat=True))
