"""The accounts part of the API."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from rest_framework.decorators import api_view
from rest_framework.request import Request

from accounts.export import user_data_export_response
from accounts.types import api_user


@api_view(["GET"])
def data_export(request: Request) -> StreamingHttpResponse:
    return user_data_export_response(user=api_user(request))
