"""How task fields read on the pages."""

from __future__ import annotations

import functools

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

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
    before, after = _task_url_around_id(action, get_script_prefix(), get_urlconf())
    return f"{before}{int(task_id)}{after}"


@functools.lru_cache(maxsize=32)
def _task_url_around_id(action: str, script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    # The script prefix and the URLconf are part of the key: reverse() reads both from the current thread.
    url = (
        reverse("tasks:action", args=[_ANY_ID, action]) if action else reverse("tasks:detail", args=[_ANY_ID])
    )
    before, _, after = url.rpartition(str(_ANY_ID))
    return before, after
