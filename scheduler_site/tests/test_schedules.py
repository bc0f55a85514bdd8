from __future__ import annotations

import pytest
from django.utils import timezone
from django_q.models import Schedule

from scheduler_site import schedules


@pytest.fixture
def declared(monkeypatch: pytest.MonkeyPatch) -> dict[str, schedules.MaintenanceSchedule]:
    registry: dict[str, schedules.MaintenanceSchedule] = {}
    monkeypatch.setattr(schedules, "_SCHEDULES", registry)
    return registry


@pytest.mark.django_db
def test_it_creates_a_declared_schedule_in_the_future(declared: dict) -> None:
    schedules.maintenance_schedule(name="test-cleanup", func="emailsync.jobs.noop", minutes=60)
    schedules.maintenance_schedules_ensure()
    row = Schedule.objects.get(name="test-cleanup")
    assert (row.func, row.minutes, row.schedule_type, row.repeats) == (
        "emailsync.jobs.noop",
        60,
        Schedule.MINUTES,
        -1,
    )
    assert row.next_run > timezone.now()


@pytest.mark.django_db
def test_it_upserts_by_name_and_removes_extra_rows(declared: dict) -> None:
    for _ in range(2):
        Schedule.objects.create(name="test-cleanup", func="old.func", schedule_type=Schedule.HOURLY)
    schedules.maintenance_schedule(name="test-cleanup", func="emailsync.jobs.noop", minutes=1440)
    schedules.maintenance_schedules_ensure()
    schedules.maintenance_schedules_ensure()
    rows = list(Schedule.objects.filter(name="test-cleanup"))
    assert len(rows) == 1
    assert (rows[0].func, rows[0].minutes) == ("emailsync.jobs.noop", 1440)
