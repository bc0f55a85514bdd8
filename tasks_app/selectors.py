"""Reads of tasks for pages and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from tasks_app.models import Task


def tasks_for_user(*, user: AbstractBaseUser, include_closed: bool = False) -> QuerySet[Task]:
    qs = Task.objects.filter(user=user).select_related("source")
    if not include_closed:
        qs = qs.filter(status__in=Task.OPEN_STATUSES)
    return qs.order_by("due_at", "event_start", "id")


def task_for_user(*, user: AbstractBaseUser, task_id: int) -> Task | None:
    return Task.objects.filter(user=user, pk=task_id).select_related("source").first()


@dataclass
class TaskGroups:
    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)
    undated: list[Task] = field(default_factory=list)
    proposed: list[Task] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.upcoming) + len(self.undated)


def dashboard_groups(*, user: AbstractBaseUser, zone: dt.tzinfo, now: dt.datetime | None = None) -> TaskGroups:
    """Open tasks grouped as the dashboard shows them, by their due time (or, for undated tasks, their
    calendar block) in the user's zone. One query whatever the number of tasks."""
    now = now or timezone.now()
    today = timezone.localtime(now, zone).date()
    groups = TaskGroups()
    for task in tasks_for_user(user=user):
        if task.status == Task.Status.PROPOSED:
            groups.proposed.append(task)
        when = task.due_at
        if when is None:
            groups.undated.append(task)
        elif when < now:
            groups.overdue.append(task)
        elif timezone.localtime(when, zone).date() == today:
            groups.today.append(task)
        else:
            groups.upcoming.append(task)
    return groups
