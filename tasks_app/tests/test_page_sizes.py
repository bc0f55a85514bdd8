"""The dashboard and the week view read what they show: capped groups counted in SQL, "Show all" pages, and a
query count that does not grow with the number of tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import client_for, sqlite_query_plan
from emailsync.models import Mailbox, MessageReceipt
from tasks_app.models import Task
from tasks_app.selectors import dashboard_groups

pytestmark = pytest.mark.django_db


def add_overdue(user: User, count: int, *, undated: int = 0) -> None:
    """``count`` overdue to-dos (one a minute back from an hour ago) and ``undated`` undated ones."""
    mailbox, _ = Mailbox.objects.get_or_create(user=user)
    base = timezone.now() - dt.timedelta(hours=1)
    existing = Task.objects.filter(user=user).count()
    receipts = MessageReceipt.objects.bulk_create(
        MessageReceipt(mailbox=mailbox, message_id=f"m{existing + i}", subject="s", sent_at=base)
        for i in range(count + undated)
    )
    Task.objects.bulk_create(
        Task(
            user=user,
            source=receipt,
            position=0,
            title=f"Task {existing + i:04d}",
            kind=Task.Kind.TODO,
            due_at=None if i >= count else base - dt.timedelta(minutes=i),
        )
        for i, receipt in enumerate(receipts)
    )


def queries(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", ["/", "/week/", "/tasks/?group=overdue&page=1"])
def test_the_query_count_does_not_grow_with_the_number_of_tasks(alice: User, url: str) -> None:
    client = client_for(alice)
    add_overdue(alice, 30, undated=5)
    client.get("/")
    at_30 = queries(client, url)
    add_overdue(alice, 270, undated=30)
    assert queries(client, url) == at_30


def test_the_dashboard_shows_at_most_the_group_size_with_the_full_count(alice: User) -> None:
    add_overdue(alice, 40, undated=3)

    response = client_for(alice).get("/")

    groups = response.context["groups"]
    assert len(groups.overdue) == 25 and groups.counts["overdue"] == 40
    assert groups.counts["undated"] == 3 and len(groups.undated) == 3
    html = response.content.decode()
    assert '<span class="count">40</span>' in html
    assert 'href="/tasks/?group=overdue">Show all 40</a>' in html
    assert "group=undated" not in html  # every undated task is already shown
    assert "Task 0039" in html and "Task 0000<" not in html  # soonest due first; the latest 15 wait


def test_the_group_size_follows_the_setting(alice: User, settings: object) -> None:
    settings.DASHBOARD_GROUP_SIZE = 3  # type: ignore[attr-defined]
    add_overdue(alice, 5)

    groups = client_for(alice).get("/").context["groups"]

    assert len(groups.overdue) == 3 and groups.counts["overdue"] == 5


def test_show_all_pages_list_every_task_of_the_group_in_order(alice: User) -> None:
    add_overdue(alice, 120, undated=2)
    client = client_for(alice)
    expected = [
        t.pk for t in Task.objects.filter(user=alice, due_at__isnull=False).order_by(*Task.LIST_ORDER)
    ]

    seen: list[int] = []
    pages = [client.get(f"/tasks/?group=overdue&page={n}") for n in (1, 2, 3)]
    for page in pages:
        seen += [t.pk for t in page.context["page"].object_list]

    assert seen == expected
    assert 'rel="next" href="?group=overdue&amp;page=2"' in pages[0].content.decode()
    assert 'rel="prev" href="?group=overdue&amp;page=2"' in pages[2].content.decode()
    assert 'rel="next"' not in pages[2].content.decode()


@pytest.mark.parametrize("query", ["group=nonsense", "", "group=overdue&page=9", "group=overdue&page=x"])
def test_an_unknown_group_or_page_is_not_found(alice: User, query: str) -> None:
    add_overdue(alice, 3)

    assert client_for(alice).get(f"/tasks/?{query}").status_code == 404


def test_the_week_reads_only_its_own_blocks(alice: User) -> None:
    add_overdue(alice, 2)
    [inside, outside] = Task.objects.filter(user=alice)
    monday = dt.date(2026, 11, 30)
    zone = dt.UTC
    start = dt.datetime.combine(monday, dt.time(10), zone)
    Task.objects.filter(pk=inside.pk).update(event_start=start, event_end=start + dt.timedelta(hours=1))
    later = start + dt.timedelta(days=14)
    Task.objects.filter(pk=outside.pk).update(event_start=later, event_end=later + dt.timedelta(hours=1))

    with CaptureQueriesContext(connection) as captured:
        week = client_for(alice).get("/week/?start=2026-11-30").context["week"]

    assert [b.task.pk for day in week.days for b in day.blocks] == [inside.pk]
    # The query that reads the week's tasks is bounded by the week's range.
    assert any("event_start" in q["sql"] and ">=" in q["sql"] for q in captured.captured_queries)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_the_dashboard_picks_the_first_tasks_of_each_group_from_the_index(alice: User) -> None:
    add_overdue(alice, 300, undated=30)
    client = client_for(alice)
    client.get("/")

    with CaptureQueriesContext(connection) as captured:
        client.get("/")

    reads = [q["sql"] for q in captured.captured_queries if 'FROM "tasks_app_task"' in q["sql"]]
    picks = [sql for sql in reads if sql.startswith('SELECT "tasks_app_task"."id" AS "pk"')]
    shown = [sql for sql in reads if sql.startswith('SELECT "tasks_app_task"."id", ')]
    assert len(picks) == 5 and len(shown) == 1  # the first ids of each group, then the tasks shown
    for sql in picks:
        plan = sqlite_query_plan(sql)
        # From the index alone: no row is read, and no task is read whole unless it is shown.
        assert "COVERING INDEX task_user_status_due_list" in plan, plan
        assert "SCAN" not in plan, plan
    plan = sqlite_query_plan(shown[0])
    assert "SEARCH tasks_app_task USING INTEGER PRIMARY KEY" in plan and "SCAN" not in plan, plan


def test_a_task_deleted_while_the_dashboard_reads_its_groups_is_left_out(alice: User) -> None:
    add_overdue(alice, 3)
    [first, *others] = Task.objects.filter(user=alice).order_by(*Task.LIST_ORDER)
    deleted = False

    def delete_before_the_rows_are_read(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # The first ids of each group are picked; then another request deletes one before its row is read.
        nonlocal deleted
        if not deleted and sql.startswith('SELECT "tasks_app_task"."id", '):
            deleted = True
            Task.objects.filter(pk=first.pk).delete()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(delete_before_the_rows_are_read):
        groups = dashboard_groups(user=alice, zone=dt.UTC)

    assert deleted
    assert [t.pk for t in groups.overdue] == [t.pk for t in others]


@pytest.mark.parametrize("url", ["/", "/tasks/?group=overdue&page=2"])
def test_task_lists_never_read_the_text_of_the_emails(alice: User, url: str) -> None:
    add_overdue(alice, 60, undated=5)
    MessageReceipt.objects.filter(mailbox__user=alice).update(body_text="A long email. " * 2000)
    client = client_for(alice)
    client.get("/")

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200

    assert not [q["sql"] for q in captured.captured_queries if "body_text" in q["sql"]]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_a_show_all_page_picks_its_tasks_from_the_index(alice: User) -> None:
    add_overdue(alice, 300)
    client = client_for(alice)
    client.get("/")

    with CaptureQueriesContext(connection) as captured:
        page = client.get("/tasks/?group=overdue&page=3")

    assert [t.title for t in page.context["page"].object_list][:1] == ["Task 0199"]
    [pick] = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "tasks_app_task"."id" AS')
    ]
    assert "LIMIT 50 OFFSET 100" in pick
    plan = sqlite_query_plan(pick)
    assert "COVERING INDEX task_user_status_due_list" in plan and "SCAN" not in plan, plan
