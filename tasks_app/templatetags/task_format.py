"""How task fields read on the pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(minutes: int | None) -> str:
    """45 → "45 min", 90 → "1 h 30 min", 120 → "2 h"; nothing for no duration."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"
