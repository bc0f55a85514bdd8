from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
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
