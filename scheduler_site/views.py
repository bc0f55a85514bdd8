from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token (usually a page left open across a sign-out or a new
    session): say so in the site's style instead of Django's bare debug page."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
