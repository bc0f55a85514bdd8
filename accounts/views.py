from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.export import user_data_export_response
from accounts.forms import TIMEZONES, ApiTokenForm, LocalMailboxForm, MailUploadForm, ProfileForm
from accounts.google import grant as google_grant
from accounts.models import ApiToken
from accounts.services import (
    api_token_create,
    api_token_revoke,
    demo_offered,
    demo_user_create,
    demo_user_is_live,
    feed_token_regenerate,
    profile_update,
)
from accounts.throttling import demo_wait_seconds
from accounts.types import AuthenticatedHttpRequest
from emailsync.selectors import mailbox_for, reconnect_url
from emailsync.services import MailAreaError, mailbox_connect_area, mailbox_upload
from emailsync.sources.local import mailbox_location_label
from emailsync.uploads import size_label


@require_POST
def demo_login(request: HttpRequest) -> HttpResponse:
    if not demo_offered():
        raise Http404("The demo account is not offered on this site.")
    # Pressing the button again keeps the visitor in their own demo user rather than making another.
    if isinstance(request.user, User) and demo_user_is_live(user=request.user):
        return redirect("tasks:dashboard")
    wait = demo_wait_seconds(request)
    if wait is not None:
        messages.error(
            request,
            f"Too many demo accounts were made from your network just now. Please try again in "
            f"{max(1, round(wait / 60))} minutes.",
        )
        response = redirect("accounts:login")
        response["Retry-After"] = str(wait)
        return response
    user = demo_user_create()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("tasks:dashboard")


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
    mailbox = mailbox_for(user=request.user)
    return render(
        request,
        "accounts/settings.html",
        {
            "form": form,
            "profile": profile,
            "token_form": ApiTokenForm(),
            "tokens": ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at"),
            "new_token": new_token,
            "mailbox": mailbox,
            "mailbox_label": mailbox_location_label(mailbox) if mailbox else "",
            "mailbox_form": LocalMailboxForm(),
            "upload_form": MailUploadForm(),
            "upload_limit": size_label(settings.MAIL_UPLOAD_MAX_BYTES),
            "feed_url": request.build_absolute_uri(reverse("calendar-feed", args=[profile.feed_token])),
            "timezones": TIMEZONES,
            "reconnect_url": reconnect_url(),
            "nav": "settings",
        },
    )


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


def _to_mail_card() -> HttpResponse:
    # Back to the top of the settings page, not to the card's anchor: the message is shown above the page,
    # and jumping to the card scrolled it out of view, so an upload seemed to do nothing.
    return redirect("accounts:settings")


@login_required
@require_POST
def mailbox_connect(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = LocalMailboxForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Name a folder in your mail area, or leave the box empty.")
        return _to_mail_card()
    try:
        mailbox_connect_area(user=request.user, folder=form.cleaned_data["folder"])
    except MailAreaError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Mail folder connected. Press “Sync emails” to read it.")
    return _to_mail_card()


@login_required
@require_POST
def mailbox_upload_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = MailUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose one or more .eml files, or one .mbox file.")
        return _to_mail_card()
    try:
        outcome = mailbox_upload(user=request.user, files=form.cleaned_data["mail"])
    except MailAreaError as e:
        messages.error(request, str(e))
        return _to_mail_card()
    notes = [f"{outcome.already_there} already uploaded"] if outcome.already_there else []
    notes += [f"{outcome.not_email} not emails, left out"] if outcome.not_email else []
    detail = f" ({', '.join(notes)})" if notes else ""
    if outcome.added:
        plural = "" if outcome.added == 1 else "s"
        messages.success(
            request,
            f"Added {outcome.added} new message{plural}{detail}. "
            f"Press “Sync emails” to read {'them' if plural else 'it'}.",
        )
    else:
        messages.info(request, f"No new messages{detail}.")
    return _to_mail_card()


@login_required
@require_GET
def data_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    return user_data_export_response(user=request.user)


@login_required
@require_POST
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    from accounts.services import periodic_sync_apply

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
