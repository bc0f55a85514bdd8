from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, throttle_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_schema import errors
from accounts.throttling import ApiRateThrottle, SyncRateThrottle
from accounts.types import api_user
from emailsync.export import EXPORT_SCHEMA_VERSION, user_data_export_response
from emailsync.models import SyncRun
from emailsync.selectors import WaitingReason, run_for_user
from emailsync.serializers import SyncRunSerializer
from emailsync.services import SyncUnavailable, sync_trigger

# What the API's answers look like, for the OpenAPI schema only. SyncRunSerializer computes most of its
# fields in methods; SyncRunStatusSerializer says what each one holds. A test keeps their field names
# equal, and the schemathesis test (scheduler_site/tests/test_api_schema.py) fails on any answer that does
# not match.


class _Counters(serializers.Serializer):
    messages_found = serializers.IntegerField()
    messages_seen = serializers.IntegerField()
    messages_skipped = serializers.IntegerField()
    messages_processed = serializers.IntegerField()
    messages_failed = serializers.IntegerField()
    tasks_created = serializers.IntegerField()
    events_scheduled = serializers.IntegerField()


class _Tokens(serializers.Serializer):
    input = serializers.IntegerField()
    output = serializers.IntegerField()
    cache_read = serializers.IntegerField()


class _NextStep(serializers.Serializer):
    action = serializers.ChoiceField(choices=["reconnect", "settings", "wait", "retry", "history"])
    text = serializers.CharField()


class _Waiting(serializers.Serializer):
    messages = serializers.IntegerField(help_text="Messages left for a later sync.")
    messages_reason = serializers.ChoiceField(
        choices=[
            WaitingReason.EXTRACTOR_UNAVAILABLE,
            WaitingReason.BUDGET_SPENT,
            WaitingReason.SYNC_FAILED,
            WaitingReason.IN_BATCH,
        ],
        allow_blank=True,
    )
    tasks = serializers.IntegerField(help_text="Tasks waiting to be placed on the calendar.")
    tasks_reason = serializers.CharField(allow_blank=True, help_text="The calendar's last error.")
    sentences = serializers.ListField(child=serializers.CharField(), help_text="The same, for people.")


class _Backlog(serializers.Serializer):
    read = serializers.IntegerField(
        help_text="Messages of the backlog read so far, by this run and those before it."
    )
    total = serializers.IntegerField(help_text="Messages in the backlog when its first run listed them.")


class _FollowUp(serializers.Serializer):
    task_id = serializers.UUIDField(help_text="The id of the run that goes on reading the backlog.")
    status_url = serializers.CharField(help_text="Where to poll it.")


class SyncRunStatusSerializer(serializers.Serializer):
    task_id = serializers.UUIDField(help_text="The run's id.")
    user_id = serializers.IntegerField()
    trigger = serializers.ChoiceField(choices=SyncRun.Trigger.choices)
    state = serializers.ChoiceField(choices=SyncRun.State.choices)
    phase = serializers.ChoiceField(choices=SyncRun.Phase.choices)
    phase_label = serializers.CharField()
    finished = serializers.BooleanField(help_text="True once the run has succeeded or failed.")
    counters = _Counters()
    summary = serializers.CharField(help_text="One sentence saying what the run did, for people.")
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    tokens = _Tokens(help_text="Model tokens this run used.")
    next_step = _NextStep(allow_null=True, help_text="What to do after a run that did not go well.")
    waiting = _Waiting(allow_null=True, help_text="What the finished run left for later; null while it runs.")
    backlog = _Backlog(
        allow_null=True,
        help_text="For a first sync larger than one run may read: the whole chain's progress; null otherwise.",
    )
    follow_up = _FollowUp(
        allow_null=True, help_text="The run started to read the rest of this one's backlog; null when none."
    )


_SyncStarted = inline_serializer(
    "SyncStarted",
    {
        "status": serializers.ChoiceField(choices=SyncRun.ACTIVE_STATES),
        "message": serializers.CharField(),
        "task_id": serializers.UUIDField(help_text="The run's id, for its status."),
        "user_id": serializers.IntegerField(),
        "status_url": serializers.URLField(),
    },
)
_SyncUnavailable = inline_serializer(
    "SyncUnavailable",
    {"status": serializers.ChoiceField(choices=["unavailable"]), "message": serializers.CharField()},
)
_Export = inline_serializer(
    "DataExport",
    {
        "schema_version": serializers.IntegerField(help_text=f"{EXPORT_SCHEMA_VERSION} today."),
        "generated_at": serializers.DateTimeField(),
        "profile": serializers.DictField(),
        "mailbox": serializers.DictField(allow_null=True),
        "google": serializers.DictField(allow_null=True),
        "api_tokens": serializers.ListField(child=serializers.DictField()),
        "tasks": serializers.ListField(child=serializers.DictField()),
        "sync_runs": serializers.ListField(child=serializers.DictField()),
        "messages": serializers.ListField(
            child=serializers.DictField(), help_text="Metadata, never the text."
        ),
    },
)


@extend_schema(
    operation_id="sync_start",
    summary="Start a sync of your mailbox",
    description="Queues a sync, or returns the one already queued or running (one per mailbox at a time).",
    request=None,
    responses={
        202: _SyncStarted,
        409: OpenApiResponse(
            _SyncUnavailable, description="No mailbox, or it cannot be synced now; says why."
        ),
        **errors(),
    },
)
@api_view(["POST"])
@throttle_classes([ApiRateThrottle, SyncRateThrottle])
def sync_start(request: Request) -> Response:
    try:
        run, created = sync_trigger(user=api_user(request), trigger=SyncRun.Trigger.API)
    except SyncUnavailable as e:
        return Response({"status": "unavailable", "message": str(e)}, status=status.HTTP_409_CONFLICT)
    status_url = request.build_absolute_uri(reverse("api:sync-status", args=[run.public_id]))
    return Response(
        {
            "status": run.state,
            "message": "Sync started." if created else "A sync is already in progress; returning it.",
            "task_id": str(run.public_id),
            "user_id": run.user_id,
            "status_url": status_url,
        },
        status=status.HTTP_202_ACCEPTED,
    )


@extend_schema(
    operation_id="sync_status",
    summary="The progress or outcome of a sync",
    parameters=[
        OpenApiParameter("task_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="From the start.")
    ],
    responses={200: SyncRunStatusSerializer, **errors(404)},
)
@api_view(["GET"])
def sync_status(request: Request, task_id: str) -> Response:
    run = run_for_user(user=api_user(request), public_id=task_id)
    if run is None:
        return Response({"detail": "No such sync run."}, status=status.HTTP_404_NOT_FOUND)
    return Response(SyncRunSerializer(run).data)


@extend_schema(
    operation_id="export",
    summary="All your data as one JSON document",
    description="A download (`Content-Disposition: attachment`); email text and secrets are never part of it.",
    responses={200: _Export, **errors()},
)
@api_view(["GET"])
def data_export(request: Request) -> StreamingHttpResponse:
    """All the user's data, from every app, as one JSON document (``GET /api/export``)."""
    return user_data_export_response(user=api_user(request))
