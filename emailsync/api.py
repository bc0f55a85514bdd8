from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import reverse
from rest_framework import status
from rest_framework.decorators import api_view, throttle_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.throttling import ApiRateThrottle, SyncRateThrottle
from accounts.types import api_user
from emailsync.export import user_data_export_response
from emailsync.models import SyncRun
from emailsync.selectors import run_for_user
from emailsync.serializers import SyncRunSerializer
from emailsync.services import SyncUnavailable, sync_trigger


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


@api_view(["GET"])
def sync_status(request: Request, task_id: str) -> Response:
    run = run_for_user(user=api_user(request), public_id=task_id)
    if run is None:
        return Response({"detail": "No such sync run."}, status=status.HTTP_404_NOT_FOUND)
    return Response(SyncRunSerializer(run).data)


@api_view(["GET"])
def data_export(request: Request) -> StreamingHttpResponse:
    """All the user's data, from every app, as one JSON document (``GET /api/export``)."""
    return user_data_export_response(user=api_user(request))
