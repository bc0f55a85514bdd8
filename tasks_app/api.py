from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_schema import errors
from accounts.services import profile_for
from accounts.types import api_user
from tasks_app.extractors import MAX_TITLE_LENGTH
from tasks_app.models import Task
from tasks_app.selectors import task_for_user, tasks_for_user
from tasks_app.services import TaskChangeError, TaskEdit, calendar_sync, task_edit_fields


def _datetime(value: dt.datetime | None) -> str | None:
    """The API's form of an optional time (DRF's field also maps None to None; its stubs take no None)."""
    return serializers.DateTimeField().to_representation(value) if value is not None else None


_Event = inline_serializer(
    "TaskEvent",
    {
        "id": serializers.CharField(),
        "start": serializers.DateTimeField(allow_null=True),
        "end": serializers.DateTimeField(allow_null=True),
        "link": serializers.CharField(
            allow_blank=True, help_text="The event on Google Calendar; empty locally."
        ),
    },
    allow_null=True,
)
_SourceEmail = inline_serializer(
    "TaskSourceEmail",
    {
        "subject": serializers.CharField(allow_blank=True),
        "sender": serializers.CharField(allow_blank=True),
        "message_id": serializers.CharField(allow_blank=True, help_text="The Message-ID header."),
        "sent_at": serializers.DateTimeField(allow_null=True),
    },
)


class TaskOutSerializer(serializers.ModelSerializer):
    due = serializers.DateTimeField(source="due_at", allow_null=True)
    event = serializers.SerializerMethodField()
    source_email = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "notes",
            "due",
            "due_phrase",
            "kind",
            "duration_minutes",
            "priority",
            "confidence",
            "status",
            "evidence",
            "event",
            "source_email",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(_Event)
    def get_event(self, task: Task) -> dict[str, object] | None:
        if not task.event_written:
            return None
        return {
            "id": task.event_id,
            "start": _datetime(task.event_start),
            "end": _datetime(task.event_end),
            "link": task.event_link,
        }

    @extend_schema_field(_SourceEmail)
    def get_source_email(self, task: Task) -> dict[str, object]:
        receipt = task.source
        return {
            "subject": receipt.subject,
            "sender": receipt.sender,
            "message_id": receipt.header_message_id,
            "sent_at": serializers.DateTimeField().to_representation(receipt.sent_at)
            if receipt.sent_at
            else None,
        }


class WallClockDateTimeField(serializers.DateTimeField):
    """A date-time whose offset, when missing, is the user's zone; a wall-clock time the zone skips (the hour
    lost when clocks go forward) is refused rather than silently moved, as zoneinfo would."""

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            zone = self.timezone
            aware = value.replace(tzinfo=zone)
            try:
                round_trip = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
            except OverflowError:  # year 1 or 9999 on a wall clock can lie outside UTC's years
                self.fail("overflow")
            if round_trip != value:
                self.fail("make_aware", timezone=zone)
            return aware
        return super().enforce_timezone(value)


class TaskPatchSerializer(serializers.Serializer):
    """A change to a task. A ``due`` without an offset is a wall-clock time in ``zone``, the user's own, as
    on the web; the API activates no zone, so DRF would otherwise read it as UTC."""

    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    title = serializers.CharField(max_length=MAX_TITLE_LENGTH, required=False, allow_blank=False)
    duration_minutes = serializers.IntegerField(
        min_value=5, max_value=24 * 60, required=False, allow_null=True
    )

    def __init__(self, *args: Any, zone: dt.tzinfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due"] = WallClockDateTimeField(required=False, allow_null=True, default_timezone=zone)


def schema_require_a_change(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOK: every field of a PATCH is optional, but an empty one (or none at
    all) is refused ("Nothing to change."), so the schema asks for a body with at least one field."""
    result["components"]["schemas"]["PatchedTaskPatchRequest"]["minProperties"] = 1
    result["paths"]["/api/tasks/{task_id}/"]["patch"]["requestBody"]["required"] = True
    return result


class TaskCursorPagination(CursorPagination):
    """Pages of tasks in the order they were made (``id``). Not the dashboard's order (due, then priority):
    a cursor needs a unique order that editing a task does not change, or a task edited between two pages
    could be listed twice or never. DRF's cursor keeps only the first ordering field as its position, so
    the dashboard's order with a tie-breaker, and its null due times, cannot be paged this way. Tasks made
    while a client pages come on its last pages, so following ``next`` to the end misses none."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        # DRF quietly falls back to the default for a size it cannot read; a client that asked for one
        # should hear that it was not understood. Sizes over the cap are cut to it, as documented.
        raw = request.query_params.get(self.page_size_query_param or "page_size")
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise ValidationError({"page_size": f"A whole number from 1 to {self.max_page_size}."})
        return min(int(raw), self.max_page_size)


def _include_closed(request: Request) -> bool:
    """``?all=``: like a page size it cannot read, a value that is neither yes nor no is refused rather than
    quietly read as no (the client asked for something and would not learn it was not understood)."""
    raw = request.query_params.get("all")
    if raw is None or raw.lower() in ("0", "false", "no"):
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    raise ValidationError(
        {"all": "1, true or yes for closed tasks too; 0, false or no (the default) for open ones."}
    )


@extend_schema(
    operation_id="tasks_list",
    summary="Your tasks, a page at a time",
    description="Open tasks in the order they were made (by id); follow `next` until it is null.",
    parameters=[
        OpenApiParameter(
            "all",
            OpenApiTypes.BOOL,
            description="Closed tasks too: 1, true or yes (0, false or no: open only).",
        ),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1},
            description="100 by default; more than 500 is cut to 500.",
        ),
        OpenApiParameter("cursor", OpenApiTypes.STR, description="Taken from a `next` or `previous` link."),
    ],
    responses={
        200: inline_serializer(
            "TaskPage",
            {
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": TaskOutSerializer(many=True),
            },
        ),
        **errors(400, 404),
    },
)
@api_view(["GET"])
def task_list(request: Request) -> Response:
    tasks = tasks_for_user(user=api_user(request), include_closed=_include_closed(request))
    paginator = TaskCursorPagination()
    page = paginator.paginate_queryset(tasks, request)
    return paginator.get_paginated_response(TaskOutSerializer(page, many=True).data)


# The URL takes whole numbers only: anything else matches no API URL at all (the site's HTML 404 page).
_TASK_ID = OpenApiParameter("task_id", {"type": "integer", "minimum": 0}, OpenApiParameter.PATH)


@extend_schema(
    methods=["GET"],
    operation_id="task_get",
    parameters=[_TASK_ID],
    summary="One of your tasks",
    responses={200: TaskOutSerializer, **errors(404)},
)
@extend_schema(
    methods=["PATCH"],
    operation_id="task_change",
    parameters=[_TASK_ID],
    summary="Change one of your tasks",
    description="The calendar follows. A `due` without an offset is a time in your own zone (settings page).",
    # JSON, as the README shows: a form body cannot say null (a due or a duration taken away).
    request={"application/json": TaskPatchSerializer(zone=dt.UTC)},
    responses={200: TaskOutSerializer, **errors(400, 404)},
)
@api_view(["GET", "PATCH"])
def task_detail(request: Request, task_id: int) -> Response:
    task = task_for_user(user=api_user(request), task_id=task_id)
    if task is None:
        return Response({"detail": "No such task."}, status=status.HTTP_404_NOT_FOUND)
    if request.method == "GET":
        return Response(TaskOutSerializer(task).data)
    serializer = TaskPatchSerializer(data=request.data, zone=profile_for(api_user(request)).zone)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    changes = TaskEdit()
    if "status" in data:
        changes["status"] = data["status"]
    if "title" in data:
        changes["title"] = data["title"]
    if "due" in data:
        changes["due_at"] = data["due"]
    if "duration_minutes" in data:
        changes["duration_minutes"] = data["duration_minutes"]
    if not changes:
        return Response({"detail": "Nothing to change."}, status=status.HTTP_400_BAD_REQUEST)
    try:
        task = task_edit_fields(task=task, changes=changes)
    except TaskChangeError as e:
        return Response({"detail": str(e)}, status=status.HTTP_400_BAD_REQUEST)
    calendar_sync(user=api_user(request))
    return Response(TaskOutSerializer(task_for_user(user=api_user(request), task_id=task.pk)).data)
