from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.middleware.csrf import get_token
from django.template import engines
from django.test import RequestFactory
from django.urls import clear_script_prefix, reverse, set_script_prefix

from conftest import client_for
from emailsync.models import Mailbox, MessageReceipt
from tasks_app.models import Task
from tasks_app.templatetags.task_format import duration, task_url


@pytest.mark.parametrize(
    ("minutes", "label"), [(None, ""), (0, ""), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min"), (120, "2 h")]
)
def test_it_writes_durations_in_hours_and_minutes(minutes: int | None, label: str) -> None:
    assert duration(minutes) == label


@pytest.mark.parametrize("task_id", [1, 7, 987654321, 10**12])
def test_task_url_writes_the_address_reverse_would(task_id: int) -> None:
    assert task_url(task_id) == reverse("tasks:detail", args=[task_id])
    for action in ("approve", "done", "dismiss", "reopen"):
        assert task_url(task_id, action) == reverse("tasks:action", args=[task_id, action])


def test_task_url_follows_the_script_prefix_of_a_site_served_below_the_root() -> None:
    task_url(3)  # remembered for the root first
    set_script_prefix("/scheduler/")
    try:
        assert task_url(3) == "/scheduler/tasks/3/"
        assert task_url(3, "done") == "/scheduler/tasks/3/done/"
    finally:
        clear_script_prefix()
    assert task_url(3) == "/tasks/3/"


@pytest.mark.parametrize(
    ("minutes", "shown"), [(90, "1 h 30 min"), (None, "Not stated (a default block is used)")]
)
def test_the_task_page_shows_the_duration(
    alice: User, mailbox_factory: Callable[[User], tuple[Mailbox, object]], minutes: int | None, shown: str
) -> None:
    mailbox, _ = mailbox_factory(alice)
    receipt = MessageReceipt.objects.create(
        mailbox=mailbox, message_id="a.eml", subject="Q3", sender="b@x.org"
    )
    task = Task.objects.create(
        user=alice, source=receipt, position=0, title="Budget review", duration_minutes=minutes
    )

    page = client_for(alice).get(f"/tasks/{task.pk}/").content.decode()

    assert f"<dd>{shown}</dd>" in page


def render_task_list(tasks: list[Task], *, past: bool = False, path: str = "/") -> str:
    request = RequestFactory().get(path)
    get_token(request)  # as CsrfViewMiddleware does for a page with a form
    template = engines["django"].from_string("{% load task_format %}{% task_list tasks past=past %}")
    return template.render({"tasks": tasks, "past": past}, request=request)


def listed_task(**fields: object) -> Task:
    task = Task(pk=41, title="Send the slides", kind=Task.Kind.DEADLINE, status=Task.Status.SCHEDULED)
    task.source = MessageReceipt(subject="Q3", sender="bob@partner.example", sender_name="Bob")
    for name, value in fields.items():
        setattr(task, name, value)
    return task


def test_a_task_list_escapes_what_came_from_an_email() -> None:
    task = listed_task(title='<script>alert("x")</script> & co', calendar_error="No <b>room</b>")
    task.source.subject = "<i>Q3</i>"

    html = render_task_list([task], path="/tasks/?group=overdue&page=2")

    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    title = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"
    assert f'<a class="task-title" href="/tasks/41/">{title}</a>' in html
    assert f'aria-label="Mark “{title}” done"' in html and f'aria-label="Open “{title}”"' in html
    assert "From “&lt;i&gt;Q3&lt;/i&gt;” · Bob" in html
    assert '<span class="warn">· No &lt;b&gt;room&lt;/b&gt;</span>' in html
    assert 'name="next" value="/tasks/?group=overdue&amp;page=2"' in html


def test_a_task_list_offers_the_actions_a_task_allows() -> None:
    due = dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC)
    proposed = listed_task(status=Task.Status.PROPOSED, due_at=due)

    html = render_task_list([proposed])

    assert html.startswith('<ul class="tasks"><li class="task priority-normal" id="task-41">')
    assert html.count('name="csrfmiddlewaretoken"') == 3
    for action in ("approve", "done", "dismiss"):
        assert f'<form method="post" action="/tasks/41/{action}/">' in html
    assert 'Due <time datetime="2026-12-01T15:30:00+00:00">Tue 1 Dec, 15:30</time>' in html
    assert "Waiting for approval" in html

    past = render_task_list([listed_task(kind=Task.Kind.MEETING, due_at=due)], past=True)

    assert "<form" not in past  # an ended meeting can only be opened
    assert 'Was at <time datetime="2026-12-01T15:30:00+00:00">' in past
