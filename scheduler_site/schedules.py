"""Site-wide maintenance schedules (django-q2), kept in step with the code after every migrate.

An app lists its schedules with ``maintenance_schedule`` in its ``AppConfig.ready``; a ``post_migrate``
handler then creates or updates each one by name. django-q2's ``Schedule.name`` is not unique, so the upsert
is ours, and extra rows of the same name are removed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import post_migrate
from django.utils import timezone


@dataclass(frozen=True)
class MaintenanceSchedule:
    name: str
    func: str  # dotted path of the job
    minutes: int  # how often it runs


_SCHEDULES: dict[str, MaintenanceSchedule] = {}


def maintenance_schedule(*, name: str, func: str, minutes: int) -> None:
    """Declare a schedule (from an ``AppConfig.ready``); it is written to the database after each migrate."""
    from django.apps import apps

    _SCHEDULES[name] = MaintenanceSchedule(name=name, func=func, minutes=minutes)
    # After django_q's own migrations, whose table we write to; once, however many schedules are declared.
    post_migrate.connect(
        _after_migrate, sender=apps.get_app_config("django_q"), dispatch_uid="maintenance_schedules"
    )


def maintenance_schedules_ensure() -> None:
    """Create or update every declared schedule. The first run is one interval from now, so a migrate does
    not fire maintenance at once."""
    from django_q.models import Schedule

    for spec in _SCHEDULES.values():
        rows = list(Schedule.objects.filter(name=spec.name).order_by("id"))
        Schedule.objects.filter(pk__in=[row.pk for row in rows[1:]]).delete()
        schedule = rows[0] if rows else Schedule(name=spec.name)
        if rows and (schedule.func, schedule.minutes, schedule.schedule_type) == (
            spec.func,
            spec.minutes,
            Schedule.MINUTES,
        ):
            continue
        schedule.func = spec.func
        schedule.args = "()"
        schedule.schedule_type = Schedule.MINUTES
        schedule.minutes = spec.minutes
        schedule.repeats = -1
        schedule.next_run = timezone.now() + dt.timedelta(minutes=spec.minutes)
        schedule.save()


def _after_migrate(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("using", "default") != "default":
        return
    maintenance_schedules_ensure()
