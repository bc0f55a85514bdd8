"""Limits against guessing and flooding: password sign-in lockouts (django-axes) and per-user request rates
(DRF throttles, counted in Django's cache) for the API and the sync trigger."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

if TYPE_CHECKING:
    # Not at run time: rest_framework.views reads DEFAULT_THROTTLE_CLASSES, which names this module.
    from rest_framework.views import APIView


class PasswordLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for password sign-ins only.

    Axes exists to stop password guessing. Google sign-in and the demo account involve no password of ours,
    so a visitor whose address is locked out (a shared office NAT, say) can still use them.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if password is None:
            return None
        super().authenticate(request, username, password, **kwargs)
        return None


def client_ip(request: HttpRequest) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the client's address, by the rule DRF's throttles use (``NUM_PROXIES``).

    Each of the ``TRUSTED_PROXY_COUNT`` proxies appends the address it saw to X-Forwarded-For, so the
    client is that many entries from the right; whatever a client writes there itself sits further left
    and is ignored. (django-ipware's strict parsing falls back to the proxy's own address when a client
    sends its own X-Forwarded-For, which would put every visitor in one lockout.)
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count == 0 or not forwarded.strip():
        return remote_addr
    addresses = [part.strip() for part in forwarded.split(",")]
    return addresses[-min(count, len(addresses))] or remote_addr


def cool_off_minutes(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the sign-in page again, saying how long to wait, with 429 and Retry-After.

    Every attempt during a lockout restarts the cool-off (axes' default), so the wait is the whole cool-off
    counted from now.
    """
    minutes = cool_off_minutes(request)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "locked_out_minutes": minutes,
        "next": request.POST.get("next", request.GET.get("next", "")),
    }
    response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class _ScopedUserThrottle(UserRateThrottle):
    """Counts per user (per client address when nobody is signed in) in Django's cache."""

    def get_rate(self) -> str | None:
        # DRF reads the rates once, at import; reading them per request lets settings (and tests) change them.
        rate = api_settings.DEFAULT_THROTTLE_RATES[str(self.scope)]
        return str(rate) if rate is not None else None


class ApiRateThrottle(_ScopedUserThrottle):
    """Every API call: ``API_RATE``."""

    scope = "api"


class SyncRateThrottle(_ScopedUserThrottle):
    """Starting a sync, from the API or the dashboard's button: ``SYNC_RATE``. One count for both doors,
    so a script cannot add the button's allowance to its own."""

    scope = "sync"


class DemoRateThrottle(_ScopedUserThrottle):
    """Making throwaway demo users: ``DEMO_RATE`` per client address, signed in or not, so one script
    cannot fill the database and the mail root with sample mailboxes before the daily clean-up."""

    scope = "demo"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _wait_seconds(throttle: _ScopedUserThrottle, request: HttpRequest) -> int | None:
    # A DRF throttle reads only .user and .META of the request, and nothing of the view.
    if throttle.allow_request(cast(Request, request), cast("APIView", None)):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def sync_wait_seconds(request: HttpRequest) -> int | None:
    """For the dashboard's (plain Django) view: None when this user may start a sync now, and the attempt
    is counted; else the whole seconds until they may."""
    return _wait_seconds(SyncRateThrottle(), request)


def demo_wait_seconds(request: HttpRequest) -> int | None:
    """None when this address may make a demo user now (the attempt is counted); else seconds to wait."""
    return _wait_seconds(DemoRateThrottle(), request)
