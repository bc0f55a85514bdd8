from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from conftest import client_for
from emailsync.models import Mailbox, MessageReceipt
from tasks_app.models import Task
from tasks_app.templatetags.task_format import duration


@pytest.mark.parametrize(
    ("minutes", "label"), [(None, ""), (0, ""), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min"), (120, "2 h")]
)
def test_it_writes_durations_in_hours_and_minutes(minutes: int | None, label: str) -> None:
    assert duration(minutes) == label


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
