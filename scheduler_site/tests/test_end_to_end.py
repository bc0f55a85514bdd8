"""The whole product on its embedded defaults: a demo user's mailbox synced by a real qcluster process on
the ORM broker, then the tasks and the ICS feed checked through the web."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import OrmQ, Schedule
from django_q.scheduler import scheduler
from icalendar import Calendar

from accounts.services import periodic_sync_apply, schedule_name
from emailsync.demo import demo_user_create
from emailsync.models import MessageReceipt, SyncRun
from emailsync.services import sync_trigger
from scheduler_site.tests.cluster import finished_run_of, job_cluster, shared_database_url
from tasks_app.models import LocalCalendarEvent, Task

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_it_syncs_the_demo_mailbox_through_a_real_cluster(tmp_path: Path) -> None:
    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.skip("the cluster process needs a database file it can open")
    user = demo_user_create()
    count = len(list(Path(user.mailbox.location).glob("*.eml")))
    assert count >= 20

    run, created = sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON)
    assert created

    log_path = tmp_path / "qcluster.log"
    with job_cluster(log_path) as cluster:
        run = finished_run_of(user.pk, cluster, log_path)

    assert run.state == SyncRun.State.SUCCEEDED, run.error or log_path.read_text()[-3000:]
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
    assert listed["next"] is None
    assert {item["title"] for item in listed["results"]} == set(tasks.values_list("title", flat=True))

    feed = Client().get(f"/calendar/{user.profile.feed_token}.ics")
    assert feed.status_code == 200
    calendar = Calendar.from_ical(feed.content)
    vevents = calendar.walk("VEVENT")
    assert len(vevents) == events.count()
    assert {str(v["SUMMARY"]) for v in vevents} == set(events.values_list("summary", flat=True))


def test_a_users_periodic_schedule_syncs_them_through_django_q2(tmp_path: Path) -> None:
    """The Schedule row we write must be one django-q2's scheduler can run: due, it enqueues our job and a
    real cluster syncs that one user."""
    user = demo_user_create()
    count = len(list(Path(user.mailbox.location).glob("*.eml")))
    periodic_sync_apply(user=user, minutes=60)
    Schedule.objects.filter(name=schedule_name(user.pk)).update(next_run=timezone.now())

    scheduler(broker=get_broker())

    schedule = Schedule.objects.get(name=schedule_name(user.pk))
    assert schedule.next_run > timezone.now()  # moved on by django-q2: it ran
    log_path = tmp_path / "qcluster.log"
    with job_cluster(log_path) as cluster:
        run = finished_run_of(user.pk, cluster, log_path)
    assert run.trigger == SyncRun.Trigger.SCHEDULE
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.messages_seen == count


@pytest.mark.skipif(not os.environ.get("REDIS_TEST_URL"), reason="REDIS_TEST_URL not set (CI sets it)")
def test_a_sync_queued_on_redis_is_run_by_a_cluster_on_redis(tmp_path: Path) -> None:
    """The production queue: ``sync_user --enqueue`` and the cluster both on the Redis broker (as on several
    worker hosts), sharing only Redis and the database."""
    user = demo_user_create()
    count = len(list(Path(user.mailbox.location).glob("*.eml")))
    on_redis = {"REDIS_URL": os.environ["REDIS_TEST_URL"], "Q_CLUSTER_NAME": f"e2e-{os.getpid()}"}
    env = {**os.environ, "DATABASE_URL": shared_database_url(), "TASK_EXTRACTOR": "offline", **on_redis}

    queued = subprocess.run(
        [sys.executable, "manage.py", "sync_user", "--enqueue", str(user.pk)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert queued.returncode == 0, queued.stderr
    assert not OrmQ.objects.exists()  # it went to Redis, not to the ORM broker
    assert SyncRun.objects.filter(user=user, state=SyncRun.State.QUEUED).exists()
    log_path = tmp_path / "qcluster.log"
    with job_cluster(log_path, **on_redis) as cluster:
        run = finished_run_of(user.pk, cluster, log_path)
    assert run.state == SyncRun.State.SUCCEEDED, run.error or log_path.read_text()[-3000:]
    assert run.trigger == SyncRun.Trigger.COMMAND
    assert run.messages_seen == count
