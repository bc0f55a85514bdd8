"""Django's system checks hold for the profile whatever the time of day the check runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import fields

from accounts.models import Profile


@pytest.mark.parametrize("clock", [dt.time(9, 0, 3), dt.time(17, 0, 3)])
def test_working_hour_defaults_pass_the_check_at_the_hour_they_name(
    clock: dt.time, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fixed time default is reported (fields.W161) when the check runs within ten seconds of it, so
    `check --deploy` failed at 17:00; the defaults are callables, which the check leaves alone."""
    monkeypatch.setattr(fields, "_get_naive_now", lambda: dt.datetime.combine(dt.date(2026, 12, 1), clock))
    checked = [Profile._meta.get_field(name) for name in ("work_start", "work_end")]
    warnings = [
        message
        for field in checked
        if isinstance(field, fields.Field)
        for message in field.check()
        if message.id == "fields.W161"
    ]
    assert len(checked) == 2 and all(isinstance(field, fields.TimeField) for field in checked)
    assert warnings == []
    assert Profile().work_start == dt.time(9, 0) and Profile().work_end == dt.time(17, 0)
