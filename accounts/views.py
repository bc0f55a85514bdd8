from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from accounts.forms import TIMEZONES, ApiTokenForm, ProfileForm
from accounts.google import grant as google_grant
from accounts.models import ApiToken
from accounts.services import (
    api_token_create,
    api_token_revoke,
    feed_token_regenerate,
    periodic_sync_apply,
    profile_update,
)
from accounts.types import AuthenticatedHttpRequest


@login_required
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = request.profile
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=profile)
        if form.is_valid():
            profile_update(user=request.user, **{name: form.cleaned_data[name] for name in form.Meta.fields})
            messages.success(request, "Settings saved.")
            return redirect("accounts:settings")
    else:
        form = ProfileForm(instance=profile, initial={"work_days": profile.working_days})
    new_token = request.session.pop("new_api_token", None)
    context: dict[str, object] = {
        "form": form,
        "profile": profile,
        "token_form": ApiTokenForm(),
        "tokens": ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at"),
        "new_token": new_token,
        "feed_url": request.build_absolute_uri(reverse("calendar-feed", args=[profile.feed_token])),
        "timezones": TIMEZONES,
        "nav": "settings",
    }
    # The apps above accounts add their part of the page (the mail card) through the functions named in
    # ACCOUNT_SETTINGS_CONTEXT, so accounts knows none of them.
    for path in settings.ACCOUNT_SETTINGS_CONTEXT:
        context.update(import_string(path)(request))
    return render(request, "accounts/settings.html", context)


@login_required
@require_POST
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            _, raw = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValueError as e:
            messages.error(request, str(e))
            return redirect("accounts:settings")
        # Shown once on the next page, then gone: only the hash is kept.
        request.session["new_api_token"] = raw
        messages.success(request, "Token created. Copy it now: it will not be shown again.")
    else:
        messages.error(request, "Give the token a name.")
    return redirect("accounts:settings")


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    if api_token_revoke(user=request.user, token_id=token_id):
        messages.success(request, "Token revoked.")
    else:
        messages.error(request, "No such active token.")
    return redirect("accounts:settings")


@login_required
@require_POST
def feed_regenerate(request: AuthenticatedHttpRequest) -> HttpResponse:
    feed_token_regenerate(user=request.user)
    messages.success(request, "New calendar feed address made; the old one no longer works.")
    return redirect("accounts:settings")


@login_required
@require_POST
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    periodic_sync_apply(user=user, minutes=None)
    # Revoke our Google access as well: nothing of the grant may outlive the account.
    google_grant.google_disconnect(user=user)
    get_user_model().objects.filter(pk=user.pk).delete()
    messages.success(request, "Your account and all its data were deleted.")
    return redirect("accounts:login")


@login_required
@require_POST
def google_disconnect(request: AuthenticatedHttpRequest) -> HttpResponse:
    if google_grant.google_disconnect(user=request.user):
        messages.success(request, "Google disconnected: our access is revoked and your tokens are deleted.")
    else:
        messages.warning(
            request,
            "Google disconnected and your tokens are deleted, but Google did not confirm the revocation. "
            "Remove Intelligent Scheduler at https://myaccount.google.com/permissions to be sure.",
        )
    return redirect("accounts:settings")
