from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Value, When

from emailsync.models import MessageReceipt
from tasks_app.extractors import MAX_TITLE_LENGTH

# How tasks are listed everywhere: soonest due first with undated ones last (SQLite puts NULLs first and
# PostgreSQL last unless told), then high priority first, then the block's time and the id so that ties never
# reorder between page loads. Outside the class so that Task.Meta can use it.
TASK_LIST_ORDER = (
    F("due_at").asc(nulls_last=True),
    Case(
        When(priority="high", then=Value(0)),
        When(priority="normal", then=Value(1)),
        default=Value(2),
        output_field=models.IntegerField(),
    ).asc(),
    F("event_start").asc(nulls_last=True),
    F("id").asc(),
)


class Task(models.Model):
    """Something the user was asked to do or promised to do, found in one email."""

    class Kind(models.TextChoices):
        DEADLINE = "deadline", "Deadline"
        MEETING = "meeting", "Meeting"
        TODO = "todo", "To do"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for approval"
        SCHEDULED = "scheduled", "Scheduled"
        DONE = "done", "Done"
        DISMISSED = "dismissed", "Dismissed"

    OPEN_STATUSES = (Status.PROPOSED, Status.SCHEDULED)
    LIST_ORDER = TASK_LIST_ORDER

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks")
    source = models.ForeignKey(MessageReceipt, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField(help_text="Order of the task within its email.")
    # One limit for every way a title arrives: extractors, the edit form and the API.
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    notes = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TODO)
    due_at = models.DateTimeField(null=True, blank=True)
    due_phrase = models.CharField(max_length=100, blank=True, default="")
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    confidence = models.FloatField(default=0.5)
    evidence = models.TextField(blank=True, default="")
    extractor = models.CharField(max_length=30, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    # The calendar event. event_id is chosen by us from the task's stable key and saved before the
    # calendar is called, so a crash in between is reconciled on the next run instead of duplicating.
    event_id = models.CharField(max_length=64, blank=True, default="")
    event_start = models.DateTimeField(null=True, blank=True)
    event_end = models.DateTimeField(null=True, blank=True)
    event_link = models.URLField(max_length=500, blank=True, default="")
    event_written = models.BooleanField(default=False, help_text="The calendar holds the event as planned.")
    # True while the calendar has to be brought in line with this task (insert, move or remove).
    calendar_pending = models.BooleanField(default=False)
    calendar_error = models.TextField(blank=True, default="")
    # Set when the user edits the task, so a re-extraction never overwrites their changes.
    edited_by_user = models.BooleanField(default=False)
    # Set when our checks disagree with the extractor (e.g. its date reading) or a later email in the thread
    # could not be applied; such a task waits for approval instead of being trusted silently.
    needs_review = models.BooleanField(default=False)
    review_reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = TASK_LIST_ORDER
        constraints = [
            models.UniqueConstraint(fields=["source", "position"], name="one_task_per_source_position"),
            models.UniqueConstraint(
                fields=["user", "event_id"], condition=~models.Q(event_id=""), name="one_task_per_event_id"
            ),
            models.CheckConstraint(
                condition=models.Q(event_end__isnull=True) | models.Q(event_end__gt=models.F("event_start")),
                name="event_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status"]),
            # The dashboard's groups and the API read open tasks of one user by due time. The index also holds
            # every other column that sorts a list or decides a group, so that the dashboard counts its groups
            # and picks the first tasks of each from the index alone, without reading thousands of rows.
            models.Index(
                fields=[
                    "user",
                    "status",
                    "due_at",
                    "kind",
                    "priority",
                    "event_start",
                    "event_end",
                    "duration_minutes",
                ],
                name="task_user_status_due_list",
            ),
            # Each calendar pass, and every status poll of a finished sync, read the few tasks still to be
            # written to the calendar.
            models.Index(fields=["user", "calendar_pending"], name="task_user_calendar_pending"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def placement_note(self) -> str:
        """Why the task's block is not where one would expect; derived, so it never goes stale."""
        if (
            self.kind == self.Kind.DEADLINE
            and self.due_at
            and self.event_end
            and self.event_end > self.due_at
        ):
            return "No free working time was left before the deadline."
        return ""


class LocalCalendarEvent(models.Model):
    """An event on the built-in calendar, published to the user as an ICS feed.

    It behaves like a remote calendar: the event id is chosen by the client and unique per calendar.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="local_events")
    event_id = models.CharField(max_length=64)
    summary = models.CharField(max_length=250)
    description = models.TextField(blank=True, default="")
    start = models.DateTimeField()
    end = models.DateTimeField()
    task_key = models.CharField(max_length=64, blank=True, default="")
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event_id"], name="one_local_event_per_id"),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="local_event_order"),
        ]

    def __str__(self) -> str:
        return self.summary
