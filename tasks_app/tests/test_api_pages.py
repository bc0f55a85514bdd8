"""The task list in pages: a cursor that neither skips nor repeats a task, whatever happens between pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import count

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from emailsync.models import Mailbox, MessageReceipt
from tasks_app.models import Task

LIST_URL = "/api/tasks/"

_numbers = count()


@pytest.fixture
def make_tasks(mailbox_factory: Callable) -> Callable[..., list[Task]]:
    """``n`` open tasks for ``user``, each from an email of its own, made in bulk so hundreds stay cheap."""
    mailboxes: dict[int, Mailbox] = {}

    def make(user: User, n: int, *, status: str = Task.Status.SCHEDULED) -> list[Task]:
        if user.pk not in mailboxes:
            mailboxes[user.pk], _ = mailbox_factory(user)
        numbers = [next(_numbers) for _ in range(n)]
        receipts = MessageReceipt.objects.bulk_create(
            MessageReceipt(
                mailbox=mailboxes[user.pk],
                message_id=f"{i}.eml",
                subject=f"Subject {i}",
                sender="bob@example.com",
                header_message_id=f"<{i}@example.com>",
            )
            for i in numbers
        )
        base = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
        return Task.objects.bulk_create(
            Task(
                user=user,
                source=receipt,
                position=0,
                title=f"Task {i}",
                status=status,
                # Due times run against creation order, so the dashboard's order is not the API's.
                due_at=base + dt.timedelta(hours=n - k),
            )
            for k, (i, receipt) in enumerate(zip(numbers, receipts, strict=True))
        )

    return make


def all_pages(client: APIClient, url: str = LIST_URL, **params: str) -> list[list[dict]]:
    """Every page from ``url``, following ``next`` to the end."""
    pages = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body["results"])
        if body["next"] is None:
            return pages
        response = client.get(body["next"])


def bearer_client(user: User) -> APIClient:
    _, raw = api_token_create(user=user, name="pages")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.django_db
def test_pages_follow_each_other_with_no_task_missing_or_repeated(
    alice: User, auth_client: Callable[[User], APIClient], make_tasks: Callable[..., list[Task]]
) -> None:
    tasks = make_tasks(alice, 250)

    pages = all_pages(auth_client(alice))

    assert [len(page) for page in pages] == [100, 100, 50]
    ids = [row["id"] for page in pages for row in page]
    assert ids == sorted(task.pk for task in tasks)


@pytest.mark.django_db
def test_a_page_links_back_to_the_one_before(
    alice: User, auth_client: Callable[[User], APIClient], make_tasks: Callable[..., list[Task]]
) -> None:
    make_tasks(alice, 25)
    client = auth_client(alice)
    first = client.get(LIST_URL, {"page_size": "10"}).json()
    assert first["previous"] is None

    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()

    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]


@pytest.mark.django_db
def test_a_task_edited_or_added_between_pages_is_listed_once(
    alice: User, auth_client: Callable[[User], APIClient], make_tasks: Callable[..., list[Task]]
) -> None:
    tasks = make_tasks(alice, 30)
    client = auth_client(alice)
    first = client.get(LIST_URL, {"page_size": "10"}).json()
    seen = [row["id"] for row in first["results"]]

    # Between the pages the user edits a task already listed and one not yet listed (each moves to the
    # other end of the dashboard's order and becomes the most recently changed), and a sync adds one.
    listed, unlisted = Task.objects.get(pk=seen[0]), tasks[-1]
    listed.due_at, listed.priority = dt.datetime(2030, 1, 1, tzinfo=dt.UTC), Task.Priority.LOW
    listed.save()
    unlisted.due_at, unlisted.priority = dt.datetime(2020, 1, 1, tzinfo=dt.UTC), Task.Priority.HIGH
    unlisted.save()
    [added] = make_tasks(alice, 1)
    rest = all_pages(client, first["next"])

    ids = seen + [row["id"] for page in rest for row in page]
    assert len(ids) == len(set(ids))
    assert set(ids) == {task.pk for task in tasks} | {added.pk}


@pytest.mark.django_db
def test_the_page_size_is_honoured_and_capped(
    alice: User, auth_client: Callable[[User], APIClient], make_tasks: Callable[..., list[Task]]
) -> None:
    make_tasks(alice, 520)
    client = auth_client(alice)

    assert len(client.get(LIST_URL, {"page_size": "7"}).json()["results"]) == 7
    assert len(client.get(LIST_URL).json()["results"]) == 100
    capped = client.get(LIST_URL, {"page_size": "100000"}).json()
    assert len(capped["results"]) == 500
    assert len(client.get(capped["next"]).json()["results"]) == 20


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["0", "-5", "ten", "1.5", "²", ""])
def test_a_page_size_that_is_not_a_positive_whole_number_is_refused(
    alice: User, auth_client: Callable[[User], APIClient], make_tasks: Callable[..., list[Task]], size: str
) -> None:
    make_tasks(alice, 3)

    response = auth_client(alice).get(LIST_URL, {"page_size": size})

    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "closed_listed"), [("1", True), ("TRUE", True), ("no", False), (None, False)]
)
def test_all_reads_yes_and_no(
    alice: User,
    auth_client: Callable[[User], APIClient],
    make_tasks: Callable[..., list[Task]],
    value: str | None,
    closed_listed: bool,
) -> None:
    done = make_tasks(alice, 2)[0]
    Task.objects.filter(pk=done.pk).update(status=Task.Status.DONE)

    params = {} if value is None else {"all": value}
    ids = {row["id"] for row in auth_client(alice).get(LIST_URL, params).json()["results"]}

    assert (done.pk in ids) is closed_listed
    assert len(ids) == 1 + closed_listed


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2", "maybe", "ja", "true!", ""])
def test_an_all_that_is_neither_yes_nor_no_is_refused(
    alice: User, auth_client: Callable[[User], APIClient], value: str
) -> None:
    response = auth_client(alice).get(LIST_URL, {"all": value})

    assert response.status_code == 400
    assert "all" in response.json()


@pytest.mark.django_db
def test_a_cursor_that_was_not_given_out_is_refused(
    alice: User, auth_client: Callable[[User], APIClient], make_tasks: Callable[..., list[Task]]
) -> None:
    make_tasks(alice, 3)

    response = auth_client(alice).get(LIST_URL, {"cursor": "not-a-cursor"})

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid cursor"


@pytest.mark.django_db
@pytest.mark.parametrize("auth", ["session", "bearer"])
def test_another_users_tasks_never_appear_on_any_page(
    alice: User,
    charlie: User,
    auth_client: Callable[[User], APIClient],
    make_tasks: Callable[..., list[Task]],
    auth: str,
) -> None:
    # Interleaved, so each user's ids sit between the other's on every page.
    alice_ids: set[int] = set()
    charlie_ids: set[int] = set()
    for _ in range(5):
        alice_ids |= {task.pk for task in make_tasks(alice, 7)}
        charlie_ids |= {task.pk for task in make_tasks(charlie, 6)}
    client = auth_client(charlie) if auth == "session" else bearer_client(charlie)

    pages = all_pages(client, page_size="4")
    # A cursor holds only a position: Alice's own next link, followed by Charlie, still lists only his.
    alice_next = auth_client(alice).get(LIST_URL, {"page_size": "4"}).json()["next"]
    borrowed = client.get(alice_next).json()["results"]

    assert [row["id"] for page in pages for row in page] == sorted(charlie_ids)
    assert borrowed and {row["id"] for row in borrowed} <= charlie_ids


@pytest.mark.django_db
def test_all_includes_closed_tasks_on_every_page(
    alice: User, auth_client: Callable[[User], APIClient], make_tasks: Callable[..., list[Task]]
) -> None:
    open_ids = {task.pk for task in make_tasks(alice, 12)}
    done_ids = {task.pk for task in make_tasks(alice, 6, status=Task.Status.DONE)}
    dismissed_ids = {task.pk for task in make_tasks(alice, 6, status=Task.Status.DISMISSED)}
    client = auth_client(alice)

    open_pages = all_pages(client, page_size="5")
    all_task_pages = all_pages(client, page_size="5", all="1")

    assert {row["id"] for page in open_pages for row in page} == open_ids
    listed = [row["id"] for page in all_task_pages for row in page]
    assert len(all_task_pages) == 5
    assert sorted(listed) == sorted(open_ids | done_ids | dismissed_ids)


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"page_size": "500"}, {"all": "1", "page_size": "500"}])
def test_a_page_costs_the_same_queries_at_30_and_at_300_tasks(
    user_factory: Callable[..., User],
    auth_client: Callable[[User], APIClient],
    make_tasks: Callable[..., list[Task]],
    params: dict[str, str],
) -> None:
    def queries_for_first_page(n: int) -> int:
        user = user_factory()
        make_tasks(user, n)
        client = auth_client(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST_URL, params)
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(n, int(params.get("page_size", 100)))
        return len(queries)

    assert queries_for_first_page(30) == queries_for_first_page(300)
