"""The week view in a real browser: a long title wraps inside its block, whole and readable, and the block is
a link that the keyboard reaches with the full title as its name."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.services import profile_for
from emailsync.models import Mailbox, MessageReceipt
from tasks_app.models import Task
from tasks_app.selectors import week_start_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "Send the signed November expense report with every receipt attached to Maria in accounting"


def long_title_task(user: User) -> tuple[Task, dt.date]:
    """A half-hour block (the shortest kind, once drawn on one line and cut) next Wednesday at 10:00."""
    zone = profile_for(user).zone
    monday = week_start_for(timezone.localtime(timezone.now(), zone).date()) + dt.timedelta(days=7)
    start = dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(10), zone)
    mailbox, _ = Mailbox.objects.get_or_create(user=user)
    receipt = MessageReceipt.objects.create(
        mailbox=mailbox, message_id="long-title", subject="Expenses", sender="maria@example.com"
    )
    task = Task.objects.create(
        user=user,
        source=receipt,
        position=0,
        title=LONG_TITLE,
        status=Task.Status.SCHEDULED,
        kind=Task.Kind.DEADLINE,
        due_at=start + dt.timedelta(days=1),
        duration_minutes=30,
        event_start=start,
        event_end=start + dt.timedelta(minutes=30),
    )
    return task, monday


def test_a_long_title_wraps_whole_inside_its_block_and_the_keyboard_reaches_it(
    page: Any, demo_user: User
) -> None:
    task, monday = long_title_task(demo_user)

    page.goto(f"/week/?start={monday.isoformat()}")

    link = page.locator(f'a[data-task-id="{task.pk}"]')
    title = link.locator(".wk-title")
    assert title.inner_text() == LONG_TITLE
    # Whole: nothing of the link's content is cut off, and the title runs over several lines.
    layout = link.evaluate(
        """a => {
            const title = a.querySelector('.wk-title');
            const lines = title.getClientRects();
            const last = lines[lines.length - 1];
            const box = a.getBoundingClientRect();
            const grid = a.closest('.week-grid').getBoundingClientRect();
            const seen = document.elementFromPoint(last.left + last.width / 2, last.top + last.height / 2);
            return {
                lines: lines.length,
                overflowX: a.scrollWidth - a.clientWidth,
                overflowY: a.scrollHeight - a.clientHeight,
                inside: last.bottom <= box.bottom + 1 && last.right <= box.right + 1,
                inGrid: box.bottom <= grid.bottom && box.right <= grid.right,
                lastLineOnTop: a.contains(seen),
            };
        }"""
    )
    assert layout["lines"] > 1, layout
    assert layout["overflowX"] <= 1 and layout["overflowY"] <= 1, layout
    assert layout["inside"] and layout["inGrid"] and layout["lastLineOnTop"], layout
    # Keyboard and screen readers: the block is a link named by its full title, not a hover-only tooltip.
    assert link.get_attribute("title") is None
    named = page.get_by_role("link", name=LONG_TITLE)
    assert named.count() == 1
    page.locator("body").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if link.evaluate("a => a === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the block")
    assert named.evaluate("a => a === document.activeElement")
