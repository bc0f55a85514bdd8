"""The week view, task detail, review queue and moving a block; and that every page does a fixed number of
queries whatever the number of tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from accounts.services import api_token_create, profile_for
from conftest import client_for, sync_in_foreground
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from tasks_app.models import LocalCalendarEvent, Task
from tasks_app.selectors import evidence_in_text, week_start_for

pytestmark = pytest.mark.django_db

NY = dt.timezone(dt.timedelta(hours=-5))


def add_tasks(user: User, count: int, *, status: str = Task.Status.SCHEDULED) -> list[Task]:
    """Tasks with blocks every three hours from now, each from its own email, as a sync would leave them."""
    mailbox, _ = Mailbox.objects.get_or_create(user=user)
    base = timezone.now().replace(minute=0, second=0, microsecond=0)
    tasks = []
    for i in range(count):
        receipt = MessageReceipt.objects.create(
            mailbox=mailbox,
            message_id=f"m{i}",
            subject=f"Subject {i}",
            sender="bob@example.com",
            body_text=f"Hello. Please do thing {i} soon. Thanks.",
            sent_at=base,
        )
        start = base + dt.timedelta(hours=i * 3)
        tasks.append(
            Task.objects.create(
                user=user,
                source=receipt,
                position=0,
                title=f"Do thing {i}",
                evidence=f"Please do thing {i} soon.",
                status=status,
                due_at=None if i % 5 == 0 else start + dt.timedelta(days=1),
                event_id=f"ev{i}" if status == Task.Status.SCHEDULED else "",
                event_start=start if status == Task.Status.SCHEDULED else None,
                event_end=start + dt.timedelta(minutes=30) if status == Task.Status.SCHEDULED else None,
                event_written=status == Task.Status.SCHEDULED,
                kind=Task.Kind.MEETING if i % 4 == 1 else Task.Kind.DEADLINE,
            )
        )
    return tasks


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def seeded_client(user: User, count: int, status: str) -> Client:
    add_tasks(user, count, status=status)
    api_token_create(user=user, name="script")
    run = SyncRun.objects.create(user=user, trigger=SyncRun.Trigger.BUTTON)
    SyncRun.objects.filter(pk=run.pk).update(state=SyncRun.State.SUCCEEDED, finished_at=timezone.now())
    client = client_for(user)
    client.get("/")  # the first request creates the profile; later ones only read it
    return client


@pytest.mark.parametrize("status", [Task.Status.SCHEDULED, Task.Status.PROPOSED])
@pytest.mark.parametrize("url", ["/", "/week/", "/review/", "/sync/history/", "/accounts/settings/"])
def test_pages_do_a_fixed_number_of_queries_whatever_the_number_of_tasks(
    url: str,
    status: str,
    user_factory: Callable,
    django_assert_num_queries: Callable,
    django_assert_max_num_queries: Callable,
) -> None:
    one = seeded_client(user_factory("few"), 1, status)
    thirty = seeded_client(user_factory("many"), 30, status)

    with_one = count_queries(one, url)

    with django_assert_num_queries(with_one):
        response = thirty.get(url)
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        one.get(url)


def test_the_task_detail_does_a_fixed_number_of_queries(
    user_factory: Callable, django_assert_num_queries: Callable
) -> None:
    one = seeded_client(user_factory("few"), 1, Task.Status.SCHEDULED)
    thirty_user = user_factory("many")
    thirty = seeded_client(thirty_user, 30, Task.Status.SCHEDULED)
    few_task = Task.objects.filter(user__username="few").get()
    with_one = count_queries(one, f"/tasks/{few_task.pk}/")

    last_task = Task.objects.filter(user=thirty_user).last()
    assert last_task is not None

    with django_assert_num_queries(with_one):
        response = thirty.get(f"/tasks/{last_task.pk}/")
    assert response.status_code == 200


# The week view


def test_the_week_shows_blocks_on_their_day_and_hour_in_the_users_zone(alice: User, charlie: User) -> None:
    [task] = add_tasks(alice, 1)
    # 15:00 UTC is 10:00 in New York (Alice's zone) on Tuesday 1 December 2026.
    Task.objects.filter(pk=task.pk).update(
        event_start=dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC),
        event_end=dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC),
    )
    add_tasks(charlie, 1)

    response = client_for(alice).get("/week/?start=2026-12-02")

    week = response.context["week"]
    assert week.start == dt.date(2026, 11, 30)  # the Monday of the asked day's week
    tuesday = week.days[1]
    [block] = tuesday.blocks
    assert block.task.pk == task.pk
    assert (block.start.hour, block.end.hour) == (10, 11)
    assert (week.first_hour, week.last_hour) == (9, 17)
    assert block.top == pytest.approx(100 / 8)  # one hour into an eight-hour day
    assert block.height == pytest.approx(100 / 8)
    assert all(not day.blocks for day in week.days if day is not tuesday)
    html = response.content.decode()
    assert f'href="/tasks/{task.pk}/"' in html
    assert '10:00<span class="wk-end">–11:00</span>' in html
    assert 'href="?start=2026-11-23"' in html and 'href="?start=2026-12-07"' in html
    assert "Do thing 0" in html


def test_the_week_lists_undated_and_unscheduled_tasks_beside_it(alice: User) -> None:
    _, undated, waiting = add_tasks(alice, 3)
    Task.objects.filter(pk=undated.pk).update(due_at=None)
    Task.objects.filter(pk=waiting.pk).update(status=Task.Status.PROPOSED, event_start=None, event_end=None)

    week = client_for(alice).get("/week/").context["week"]

    assert [t.pk for t in week.unscheduled] == [waiting.pk]
    assert undated.pk in [t.pk for t in week.undated]
    assert week.proposed_count == 1


def test_an_empty_week_points_to_the_nearest_week_with_blocks(alice: User) -> None:
    [task] = add_tasks(alice, 1)
    start = timezone.localtime(task.event_start, profile_for(alice).zone).date()

    response = client_for(alice).get(f"/week/?start={(start + dt.timedelta(days=21)).isoformat()}")

    assert response.context["week"].nearest_week_with_blocks == week_start_for(start)
    assert f"?start={week_start_for(start).isoformat()}" in response.content.decode()


def test_overlapping_blocks_sit_side_by_side(alice: User) -> None:
    first, second = add_tasks(alice, 2)
    start = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
    Task.objects.filter(pk=first.pk).update(event_start=start, event_end=start + dt.timedelta(hours=1))
    Task.objects.filter(pk=second.pk).update(
        event_start=start + dt.timedelta(minutes=30), event_end=start + dt.timedelta(minutes=90)
    )

    [a, b] = client_for(alice).get("/week/?start=2026-12-01").context["week"].days[1].blocks

    assert (a.lane, a.lanes, b.lane, b.lanes) == (0, 2, 1, 2)
    assert (a.left, a.width, b.left) == (0, 50, 50)


def test_a_bad_week_parameter_falls_back_to_this_week(alice: User) -> None:
    response = client_for(alice).get("/week/?start=not-a-date")

    assert response.status_code == 200
    today = timezone.localtime(timezone.now(), profile_for(alice).zone).date()
    assert response.context["week"].start == week_start_for(today)


def test_a_new_user_sees_how_the_week_fills_up(alice: User) -> None:
    html = client_for(alice).get("/week/").content.decode()

    assert "No task blocks or meetings yet" in html
    assert "Sync emails" in html


# Task detail


def test_evidence_is_found_in_the_email_text_across_line_breaks_and_quote_marks() -> None:
    text = "Hi,\n\nCould you please send the Q3\nnumbers by Friday?\n\nThanks"

    exact = evidence_in_text(text, "Could you please send the Q3\nnumbers by Friday?")
    loose = evidence_in_text(text, "could you please send the Q3 numbers by Friday")
    quoted = evidence_in_text("> Please review\n> the contract.", "Please review the contract.")

    assert exact is not None and exact.before == "Hi,\n\n" and exact.after == "\n\nThanks"
    assert loose is not None and loose.match == "Could you please send the Q3\nnumbers by Friday"
    assert quoted is not None and quoted.match == "Please review\n> the contract"
    assert evidence_in_text(text, "Something never said") is None
    assert evidence_in_text("", "anything") is None


def test_the_detail_highlights_the_sentence_inside_the_email(alice: User) -> None:
    [task] = add_tasks(alice, 1)
    MessageReceipt.objects.filter(pk=task.source_id).update(
        sender_name="Bob Builder", body_text="Hello. Please do thing 0 soon. <b>Thanks</b>."
    )

    response = client_for(alice).get(f"/tasks/{task.pk}/")

    html = response.content.decode()
    assert 'Hello. <mark id="evidence">Please do thing 0 soon.</mark> &lt;b&gt;Thanks&lt;/b&gt;.' in html
    for text in ("Bob Builder", "bob@example.com", "Subject 0", "Received", "Duration", "Priority"):
        assert text in html
    for action in ("done", "dismiss"):
        assert f'action="/tasks/{task.pk}/{action}/"' in html
    assert f'action="/tasks/{task.pk}/move/"' in html
    assert f'action="/tasks/{task.pk}/edit/"' in html


def test_another_users_task_detail_is_404(alice: User, charlie: User) -> None:
    [task] = add_tasks(alice, 1)

    response = client_for(charlie).get(f"/tasks/{task.pk}/")

    assert response.status_code == 404
    assert "Do thing 0" not in response.content.decode()


def test_an_action_returns_to_the_page_it_came_from_but_never_off_site(wiki: Task, alice: User) -> None:
    client = client_for(alice)

    back = client.post(f"/tasks/{wiki.pk}/done/", {"next": "/week/?start=2026-11-30"})
    away = client.post(f"/tasks/{wiki.pk}/reopen/", {"next": "https://evil.example/"})

    assert back["Location"] == "/week/?start=2026-11-30"
    assert away["Location"] == "/"


# Review queue


@pytest.fixture
def careful(user_factory: Callable, mailbox_factory: Callable) -> User:
    """A user who approves tasks before they go on the calendar, with three proposed tasks."""
    user = user_factory("careful", approval_required=True)
    _, folder = mailbox_factory(user)
    folder.add(subject="Wiki", body="Please update the wiki page when you get a chance.")
    folder.add(subject="Deck", body="Could you review the launch deck by Friday?")
    folder.add(subject="Plants", body="Please water the office plants when you get a chance.")
    sync_in_foreground(user)
    assert Task.objects.filter(user=user, status=Task.Status.PROPOSED).count() == 3
    return user


def test_the_review_queue_lists_proposed_tasks_with_their_actions(careful: User) -> None:
    response = client_for(careful).get("/review/")

    queue = response.context["queue"]
    assert len(queue) == 3
    html = response.content.decode()
    for task in queue:
        assert f'action="/tasks/{task.pk}/approve/"' in html
        assert f'action="/tasks/{task.pk}/reject/"' in html
        assert f'href="/tasks/{task.pk}/#edit"' in html


def test_a_long_review_queue_is_shown_a_page_at_a_time(careful: User) -> None:
    proposed = Task.objects.filter(user=careful).first()
    assert proposed is not None
    Task.objects.bulk_create(
        Task(
            user=careful,
            title=f"Extra {n}",
            kind="todo",
            status=Task.Status.PROPOSED,
            source=proposed.source,
            position=10 + n,
        )
        for n in range(57)
    )
    client = client_for(careful)

    first = client.get("/review/")
    second = client.get("/review/?page=2")

    assert len(first.context["queue"]) == 50 and len(second.context["queue"]) == 10
    assert first.context["review_count"] == 60
    assert "60 tasks found in your mail" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    shown = {t.pk for t in first.context["queue"]} | {t.pk for t in second.context["queue"]}
    assert len(shown) == 60
    assert client.get("/review/?page=3").status_code == 404
    # Deciding works on the tasks asked about, wherever they are in the queue.
    last = second.context["queue"][-1]
    client.post("/review/decide/", {"decision": "reject", "task_ids": [last.pk]})
    assert Task.objects.get(pk=last.pk).status == Task.Status.DISMISSED


def test_rejecting_one_keeps_it_off_the_calendar(careful: User) -> None:
    task = Task.objects.filter(user=careful).first()
    assert task is not None

    response = client_for(careful).post(f"/tasks/{task.pk}/reject/", {"next": "/review/"}, follow=True)

    task.refresh_from_db()
    assert task.status == Task.Status.DISMISSED
    assert not LocalCalendarEvent.objects.filter(user=careful).exists()
    assert len(response.context["queue"]) == 2
    assert any("Rejected" in str(m) for m in response.context["messages"])


def test_approving_several_at_once_puts_them_on_the_calendar(careful: User) -> None:
    first, second, third = Task.objects.filter(user=careful).order_by("id")

    response = client_for(careful).post(
        "/review/decide/", {"decision": "approve", "task_ids": [first.pk, second.pk]}, follow=True
    )

    assert Task.objects.get(pk=first.pk).status == Task.Status.SCHEDULED
    assert Task.objects.get(pk=second.pk).status == Task.Status.SCHEDULED
    assert Task.objects.get(pk=third.pk).status == Task.Status.PROPOSED
    assert LocalCalendarEvent.objects.filter(user=careful).count() == 2
    assert "Approved 2 tasks: on your calendar now." in [str(m) for m in response.context["messages"]]


def test_rejecting_all_at_once_empties_the_queue(careful: User) -> None:
    ids = list(Task.objects.filter(user=careful).values_list("pk", flat=True))

    response = client_for(careful).post(
        "/review/decide/", {"decision": "reject", "task_ids": ids}, follow=True
    )

    assert response.context["queue"] == []
    assert set(Task.objects.filter(user=careful).values_list("status", flat=True)) == {Task.Status.DISMISSED}
    assert "Nothing to review" in response.content.decode()


def test_the_bulk_review_ignores_other_users_tasks(careful: User, charlie: User) -> None:
    [charlies] = add_tasks(charlie, 1, status=Task.Status.PROPOSED)

    response = client_for(careful).post(
        "/review/decide/", {"decision": "approve", "task_ids": [charlies.pk]}, follow=True
    )

    assert Task.objects.get(pk=charlies.pk).status == Task.Status.PROPOSED
    assert any("Select a valid choice" in str(m) for m in response.context["messages"])


# Moving a block


@pytest.fixture
def wiki(alice: User, mailbox_factory: Callable) -> Task:
    _, folder = mailbox_factory(alice)
    folder.add(subject="Wiki", body="Please update the wiki page when you get a chance.")
    sync_in_foreground(alice)
    task = Task.objects.get(user=alice)
    assert task.event_written
    return task


def test_moving_to_the_next_free_slot_moves_the_event(wiki: Task, alice: User) -> None:
    before = wiki.event_start
    assert before is not None

    response = client_for(alice).post(f"/tasks/{wiki.pk}/move/", {"next_free": "1"}, follow=True)

    wiki.refresh_from_db()
    assert wiki.event_start is not None and wiki.event_start != before
    [event] = LocalCalendarEvent.objects.filter(user=alice)
    assert (event.event_id, event.start, event.end) == (wiki.event_id, wiki.event_start, wiki.event_end)
    assert any(str(m).startswith("Moved to") for m in response.context["messages"])


def test_moving_to_a_chosen_time_reads_it_in_the_users_zone(wiki: Task, alice: User) -> None:
    target = timezone.localtime(timezone.now() + dt.timedelta(days=3), profile_for(alice).zone).replace(
        hour=14, minute=30, second=0, microsecond=0
    )
    # A working day, so that the move needs no confirmation.
    while target.isoweekday() > 5:
        target += dt.timedelta(days=1)

    client_for(alice).post(f"/tasks/{wiki.pk}/move/", {"start": target.strftime("%Y-%m-%dT%H:%M")})

    [event] = LocalCalendarEvent.objects.filter(user=alice)
    assert event.start == target
    assert event.end - event.start == dt.timedelta(minutes=wiki.duration_minutes or 30)


def test_moving_into_the_past_is_refused(wiki: Task, alice: User) -> None:
    before = wiki.event_start

    response = client_for(alice).post(f"/tasks/{wiki.pk}/move/", {"start": "2020-01-01T10:00"})

    wiki.refresh_from_db()
    assert wiki.event_start == before
    assert response.status_code == 400
    assert "Pick a time in the future" in response.content.decode()


def test_a_task_with_no_other_free_slot_keeps_its_block(wiki: Task, alice: User, settings: Settings) -> None:
    settings.SCHEDULING_HORIZON_DAYS = 1
    profile = profile_for(alice)
    # Working hours exactly as long as the block: there is nowhere else to go within the horizon.
    start = timezone.localtime(wiki.event_start, profile.zone)
    profile.work_start = start.time()
    profile.work_end = (start + dt.timedelta(minutes=30)).time()
    profile.work_days = [start.isoweekday()]
    profile.save()
    before = (wiki.event_start, wiki.event_end)

    response = client_for(alice).post(f"/tasks/{wiki.pk}/move/", {"next_free": "1"}, follow=True)

    wiki.refresh_from_db()
    assert (wiki.event_start, wiki.event_end) == before
    [event] = LocalCalendarEvent.objects.filter(user=alice)
    assert (event.start, event.end) == before
    assert any("kept its time" in str(m) for m in response.context["messages"])


def test_a_proposed_task_cannot_move(careful: User) -> None:
    task = Task.objects.filter(user=careful).first()
    assert task is not None

    response = client_for(careful).post(f"/tasks/{task.pk}/move/", {"next_free": "1"}, follow=True)

    assert "Only a task on your calendar can move; approve it first." in [
        str(m) for m in response.context["messages"]
    ]
    assert not LocalCalendarEvent.objects.filter(user=careful).exists()
