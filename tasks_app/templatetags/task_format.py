"""How task fields read on the pages."""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable, Iterable

from django import template
from django.template import Context
from django.template.defaultfilters import date as date_filter
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from tasks_app.models import Task

register = template.Library()

# Stands in for a task's id while an address is reversed; no real prefix or action contains it.
_ANY_ID = 987654321


@register.filter
def duration(minutes: int | None) -> str:
    """45 → "45 min", 90 → "1 h 30 min", 120 → "2 h"; nothing for no duration."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


@register.simple_tag
def task_url(task_id: int, action: str = "") -> str:
    """``{% url 'tasks:detail' task.id %}``, or ``{% url 'tasks:action' task.id action %}`` with an action,
    for pages that list many tasks. ``reverse()`` costs about 20 µs and a listed task has up to four
    addresses, so each kind of address is reversed once and only the id is written in for each task."""
    return _task_urls()(task_id, action)


def _task_urls() -> Callable[[int, str], str]:
    """``task_url`` for the current request, to call many times."""
    # The script prefix and the URLconf are part of the cache's key: reverse() reads both from the thread.
    script_prefix, urlconf = get_script_prefix(), get_urlconf()

    def url(task_id: int, action: str = "") -> str:
        before, after = _task_url_around_id(action, script_prefix, urlconf)
        return f"{before}{int(task_id)}{after}"

    return url


@functools.lru_cache(maxsize=32)
def _task_url_around_id(action: str, script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    url = (
        reverse("tasks:action", args=[_ANY_ID, action]) if action else reverse("tasks:detail", args=[_ANY_ID])
    )
    before, _, after = url.rpartition(str(_ANY_ID))
    return before, after


# A task in a list (the dashboard's groups, a group's "Show all" pages) is built in Python, as Django's admin
# builds the rows of its change lists: rendered by the template engine a row cost about 140 µs (some 60
# nodes), half of the dashboard's time; built here it costs about 35 µs. Every value is escaped where it is
# written (_e), as the template engine's autoescape would.
_PRIORITY_BADGES = {
    "high": '<span class="badge high">High priority</span>',
    "low": '<span class="badge low">Low priority</span>',
}


def _e(value: object) -> str:
    return html.escape(str(value))


@register.simple_tag(takes_context=True)
def task_list(context: Context, tasks: Iterable[Task], past: bool = False) -> SafeString:
    """``<ul class="tasks">`` with a row for each task: what it is, when, where it came from, and its
    actions (Approve, Open, Done, Dismiss; only Open for a meeting that is ``past``). Each form sends the
    user back to this page."""
    back_to = _e(context["request"].get_full_path())
    # What {% csrf_token %} writes: the page's one (masked) token.
    token = context.get("csrf_token")
    csrf_input = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(token)}">'
        if token and token != "NOTPROVIDED"
        else ""
    )
    url = _task_urls()
    rows = "".join(
        _task_row(task, past=past, back_to=back_to, csrf_input=csrf_input, url=url) for task in tasks
    )
    return mark_safe(f'<ul class="tasks">{rows}</ul>')


def _when(moment: dt.datetime | None, form: str) -> str:
    """As ``{{ moment|date:form }}`` writes it: in the page's time zone and language, escaped."""
    return _e(date_filter(localtime(moment), form)) if moment is not None else ""


def _iso(moment: dt.datetime) -> str:
    """As ``{{ moment|date:'c' }}`` writes it (Django's "c" is ``isoformat()``), without its formatter."""
    return _e(localtime(moment).isoformat())


def _task_row(
    task: Task, *, past: bool, back_to: str, csrf_input: str, url: Callable[[int, str], str]
) -> str:
    title = _e(task.title)
    detail_url = _e(url(task.pk, ""))
    proposed = task.status == Task.Status.PROPOSED

    def form(action: str, css: str, label: str, aria_label: str = "") -> str:
        aria = f' aria-label="{aria_label}"' if aria_label else ""
        return (
            f'<form method="post" action="{_e(url(task.pk, action))}">{csrf_input}'
            f'<input type="hidden" name="next" value="{back_to}">'
            f'<button type="submit" class="{css}"{aria}>{label}</button></form>'
        )

    anchor = f'<span id="event-{_e(task.event_id)}" class="anchor"></span>' if task.event_id else ""
    proposed_badge = '<span class="badge proposed">Waiting for approval</span>' if proposed else ""
    due = ""
    if task.due_at:
        word = "Was at" if past else "At" if task.kind == Task.Kind.MEETING else "Due"
        due = (
            f'<span>{word} <time datetime="{_iso(task.due_at)}">'
            f"{_when(task.due_at, 'D j M, H:i')}</time></span>"
        )
    on_calendar = (
        f"<span>· On calendar {_when(task.event_start, 'D j M H:i')}–{_when(task.event_end, 'H:i')}</span>"
        if task.event_written
        else ""
    )
    duration = f"<span>· {_e(task.duration_minutes)} min</span>" if task.duration_minutes else ""
    warning = task.calendar_error or task.placement_note
    warning_note = f'<span class="warn">· {_e(warning)}</span>' if warning else ""
    approve = f"\n    {form('approve', 'primary small', 'Approve')}\n    " if proposed and not past else ""
    done_and_dismiss = (
        ""
        if past
        else f"\n    {form('done', 'small', 'Done', f'Mark “{title}” done')}"
        f"\n    {form('dismiss', 'small quiet', 'Dismiss', f'Dismiss “{title}”')}\n    "
    )
    return f"""<li class="task priority-{_e(task.priority)}" id="task-{_e(task.pk)}">
  {anchor}
  <div class="task-main">
    <a class="task-title" href="{detail_url}">{title}</a>
    <span class="badge kind-{_e(task.kind)}">{_e(task.get_kind_display())}</span>
    {_PRIORITY_BADGES.get(task.priority, "")}
    {proposed_badge}
  </div>
  <div class="task-meta">
    {due}
    {on_calendar}
    {duration}
    {warning_note}
  </div>
  <div class="task-source">From “{_e(task.source.subject or "(no subject)")}” · {_e(task.source.sender_name or task.source.sender)}</div>
  <div class="task-actions">
    {approve}
    <a class="button small" href="{detail_url}" aria-label="Open “{title}”">Open</a>
    {done_and_dismiss}
  </div>
</li>
"""
