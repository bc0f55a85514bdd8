"""What the OpenAPI schema (drf-spectacular, ``/api/schema/``) says about every API view: how to authenticate,
and the error answers each view can give besides its own.

The views' own answers are annotated next to them (``emailsync.api``, ``tasks_app.api``); a test runs
schemathesis against the live server, so a view that answers something its schema does not say fails it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <token>`` (accounts.authentication), for the schema's security section."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on the settings page (shown once).",
        }


ErrorDetail = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})

# {"field": ["message", ...]} for a field that was refused, or {"detail": "..."} for the request as a whole.
VALIDATION_ERRORS = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    },
    "example": {"due": ["Datetime has wrong format."]},
}

ERRORS: dict[int, OpenApiResponse] = {
    401: OpenApiResponse(ErrorDetail, description="No credentials, or a wrong or revoked token."),
    403: OpenApiResponse(
        ErrorDetail, description="A signed-in session without its CSRF token (unsafe methods)."
    ),
    429: OpenApiResponse(
        ErrorDetail, description="Too many requests (`API_RATE`, and `SYNC_RATE` for a sync)."
    ),
}
NOT_FOUND = OpenApiResponse(ErrorDetail, description="No such object among yours.")
BAD_REQUEST = OpenApiResponse(VALIDATION_ERRORS, description="The request was refused; the body says why.")


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The usual error answers (401, 403, 429) and those of ``codes`` (400, 404)."""
    extra = {400: BAD_REQUEST, 404: NOT_FOUND}
    return {**ERRORS, **{code: extra[code] for code in codes}}
