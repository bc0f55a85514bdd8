"""The dashboard in a real browser: a throwaway demo user from "Try the demo account" to sync, week,
review, dismiss and working hours; API tokens on the named demo account; and a second user who must see
none of it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone
from pytest_django import Settings

from accounts.services import profile_for
from conftest import make_email
from emailsync.models import SyncRun
from scheduler_site.tests.browser.conftest import sign_in_with_password, sync_now
from scheduler_site.tests.cluster import job_cluster
from tasks_app.models import LocalCalendarEvent, Task
from tasks_app.selectors import week_start_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def job_cluster_running(tmp_path: Path) -> Iterator[None]:
    """A real django-q2 cluster on the test database, so the sync runs apart from the web server and the
    page sees it move."""
    with job_cluster(tmp_path / "qcluster.log"):
        yield


def block_week(task: Task, user: User) -> str:
    assert task.event_start is not None
    return week_start_for(timezone.localtime(task.event_start, profile_for(user).zone).date()).isoformat()


def busiest_week(user: User) -> str:
    """The Monday (ISO date) of the week holding most of the user's blocks."""
    weeks = [block_week(t, user) for t in Task.objects.filter(user=user, event_written=True)]
    assert weeks
    return max(set(weeks), key=weeks.count)


@pytest.mark.slow
def test_the_demo_user_syncs_and_the_progress_bar_reaches_the_end(
    page: Any, demo_user: User, job_cluster_running: None, screenshot: Callable
) -> None:
    page.get_by_text("What happens when you press “Sync emails”").wait_for()
    page.evaluate("window.__samePage = true")

    page.get_by_role("button", name="Sync emails").click()

    bar = page.get_by_role("progressbar", name="Sync progress")
    bar.wait_for()
    page.wait_for_function(
        "document.getElementById('sync-progressbar').getAttribute('aria-valuenow') === '100'", timeout=60_000
    )
    result = page.locator("#sync-result")
    assert re.match(
        r"Read 28 new messages, found \d+ new tasks, placed \d+ events on your calendar", result.inner_text()
    )
    assert page.locator("#sync-progress .phases li[data-phase=done]").get_attribute("class") == "is-done"
    assert page.locator('[data-counter="read"]').inner_text() == "28 of 28"
    run = SyncRun.objects.get(user=demo_user)
    assert run.state == SyncRun.State.SUCCEEDED
    assert page.locator('[data-counter="tasks_created"]').inner_text() == str(run.tasks_created)
    # The task lists filled in without a reload.
    page.locator("#task-region .task").first.wait_for()
    assert page.evaluate("window.__samePage") is True
    assert page.locator("#first-sync-help").count() == 0
    # Let the bar's width transition finish so the picture shows it full.
    page.wait_for_function(
        "document.getElementById('sync-bar').offsetWidth"
        " >= document.getElementById('sync-progressbar').clientWidth - 1"
    )
    screenshot(page, "dashboard")


def test_synced_tasks_appear_in_the_week_view(page: Any, demo_user: User, screenshot: Callable) -> None:
    sync_now(demo_user)
    placed = Task.objects.filter(user=demo_user, event_written=True)
    start = busiest_week(demo_user)

    page.get_by_role("link", name="Week", exact=True).click()
    page.goto(f"/week/?start={start}")

    blocks = page.locator(".wk-block")
    in_week = [t for t in placed if block_week(t, demo_user) == start]
    assert blocks.count() == len(in_week) > 5
    screenshot(page, "week")
    # A block opens the task with its sentence highlighted in the email.
    first = blocks.first.locator("a")
    title = first.locator(".wk-title").inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/tasks/\d+/$"))
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.locator("mark#evidence").is_visible()
    screenshot(page, "task-detail")
    # Keyboard: "j" goes to the next week.
    page.goto(f"/week/?start={start}")
    page.keyboard.press("j")
    page.wait_for_url(f"**/week/?start={(dt.date.fromisoformat(start) + dt.timedelta(days=7)).isoformat()}")
    # On a phone the week becomes a list of days.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/week/?start={start}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "week-phone")


def test_approving_one_from_the_review_queue(page: Any, demo_user: User, screenshot: Callable) -> None:
    profile = profile_for(demo_user)
    profile.approval_required = True
    profile.save()
    sync_now(demo_user)
    waiting = Task.objects.filter(user=demo_user, status=Task.Status.PROPOSED).count()
    assert waiting > 5 and not LocalCalendarEvent.objects.filter(user=demo_user).exists()

    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Review")).click()
    screenshot(page, "review")
    first = page.locator(".review-item").first
    title = first.locator(".task-title").inner_text()
    first.get_by_role("button", name=f"Approve “{title}”").click()

    page.get_by_text("Approved: it goes on your calendar.").wait_for()
    assert page.locator(".review-item").count() == waiting - 1
    task = Task.objects.get(user=demo_user, title=title)
    assert task.status == Task.Status.SCHEDULED
    assert LocalCalendarEvent.objects.filter(user=demo_user, event_id=task.event_id).exists()


def test_dismissing_a_task_takes_it_out_of_the_week_and_the_feed(
    page: Any, demo_user: User, screenshot: Callable
) -> None:
    sync_now(demo_user)
    start = busiest_week(demo_user)
    feed = f"/calendar/{profile_for(demo_user).feed_token}.ics"
    page.goto(f"/week/?start={start}")
    link = page.locator(".wk-block a").first
    title = link.locator(".wk-title").inner_text()
    assert f"SUMMARY:{title[:40]}" in page.request.get(feed).text().replace("\r\n ", "")

    link.click()
    page.get_by_role("button", name="Dismiss").click()

    page.get_by_text("Dismissed and taken off your calendar.").wait_for()
    page.goto(f"/week/?start={start}")
    assert title not in [t.strip() for t in page.locator(".wk-title").all_inner_texts()]
    assert f"SUMMARY:{title[:40]}" not in page.request.get(feed).text().replace("\r\n ", "")
    screenshot(page, "week-after-dismiss")


def test_a_new_task_is_placed_inside_changed_working_hours(
    page: Any, demo_user: User, inline_jobs: None, screenshot: Callable
) -> None:
    sync_now(demo_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()

    page.get_by_label("Working day starts").fill("13:00")
    page.get_by_label("Working day ends").fill("15:00")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Settings saved.").wait_for()
    screenshot(page, "settings")
    profile = profile_for(demo_user)
    assert (profile.work_start, profile.work_end) == (dt.time(13), dt.time(15))
    # New mail arrives; a sync places its task inside the new hours.
    folder = Path(demo_user.mailbox.location)
    (folder / "99-new-request.eml").write_bytes(
        make_email(
            subject="Vendor list",
            body="Could you please update the vendor list when you get a chance?",
            sender="Priya Shah <priya@example.com>",
            to="demo@example.com",
            date=timezone.now(),
        )
    )
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_role("button", name="Sync emails").click()
    page.wait_for_function(
        "document.getElementById('sync-progressbar').getAttribute('aria-valuenow') === '100'"
    )
    assert "found 1 new task" in page.locator("#sync-result").inner_text()

    task = Task.objects.get(user=demo_user, source__subject="Vendor list")
    assert task.event_start is not None and task.event_end is not None
    start = timezone.localtime(task.event_start, profile.zone)
    end = timezone.localtime(task.event_end, profile.zone)
    assert dt.time(13) <= start.time() and end.time() <= dt.time(15) and start.date() == end.date()
    page.goto(f"/tasks/{task.pk}/")
    assert f"{start:%H:%M}–{end:%H:%M}" in page.locator(".detail-main .facts").inner_text()


def test_creating_and_revoking_an_api_token(
    page: Any, password_demo_user: User, settings: Settings, screenshot: Callable
) -> None:
    sign_in_with_password(page, settings.DEMO_USERNAME, settings.DEMO_PASSWORD)
    page.goto("/accounts/settings/#tokens")

    page.get_by_label("Token name").fill("My laptop script")
    page.get_by_role("button", name="Create token").click()

    page.get_by_text("Copy it now: it is shown only once.").wait_for()
    raw = page.get_by_label("New API token").input_value()
    assert raw.startswith("isk_")
    headers = {"Authorization": f"Bearer {raw}"}
    assert page.request.get("/api/tasks/", headers=headers).status == 200
    screenshot(page, "api-token")
    page.reload()
    assert page.get_by_label("New API token").count() == 0  # shown once

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke token My laptop script").click()

    page.get_by_text("Token revoked.").wait_for()
    assert page.request.get("/api/tasks/", headers=headers).status == 401


def test_a_throwaway_demo_user_is_told_it_is_deleted_and_cannot_make_api_tokens(
    page: Any, demo_user: User, screenshot: Callable
) -> None:
    notice = page.locator("#demo-notice")
    assert "throwaway demo account" in notice.inner_text()
    assert "24 hours" in notice.inner_text()

    page.goto("/accounts/settings/#tokens")

    assert page.get_by_label("Token name").count() == 0
    assert page.get_by_role("button", name="Create token").count() == 0
    assert "A demo account cannot make API tokens" in page.locator("#tokens").inner_text()
    screenshot(page, "demo-settings-tokens")


def test_a_second_user_sees_none_of_the_first_users_data(
    page: Any, demo_user: User, screenshot: Callable
) -> None:
    sync_now(demo_user)
    demo_titles = list(Task.objects.filter(user=demo_user).values_list("title", flat=True))
    demo_task = Task.objects.filter(user=demo_user).first()
    assert demo_task is not None and demo_titles
    get_user_model().objects.create_user("charlie", "charlie@example.com", "charlie-password-123")

    page.goto("/accounts/login/")
    page.get_by_text("Sign in with a password").click()
    page.get_by_label("Username").fill("charlie")
    page.get_by_label("Password").fill("charlie-password-123")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/")

    pages = {
        path: page.goto(path) for path in ("/", "/week/", "/review/", "/sync/history/", "/accounts/settings/")
    }
    for path in pages:
        page.goto(path)
        text = page.locator("main").inner_text()
        assert not [title for title in demo_titles if title[:30] in text], path
    page.goto("/")
    assert "No mailbox is connected yet" in page.locator("main").inner_text()
    screenshot(page, "second-user")
    response = page.goto(f"/tasks/{demo_task.pk}/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert page.request.get("/api/tasks/").json()["results"] == []
    screenshot(page, "not-found")
