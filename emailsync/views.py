from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.services import demo_offered, demo_user_is_live
from accounts.throttling import demo_wait_seconds, sync_wait_seconds
from accounts.types import AuthenticatedHttpRequest
from emailsync.demo import demo_user_create
from emailsync.export import user_data_export_response
from emailsync.forms import ImapMailboxForm, LocalMailboxForm, MailUploadForm
from emailsync.mailbox_imap import (
    ImapDetails,
    ImapError,
    ImapRefused,
    mailbox_connect_imap,
    mailbox_test_imap,
)
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.selectors import mailbox_for, problem_receipts, reconnect_url, runs_for_user
from emailsync.serializers import RECONNECT_TEXT, SyncRunSerializer
from emailsync.services import (
    MailAreaError,
    SyncUnavailable,
    mailbox_connect_area,
    mailbox_upload,
    receipt_retry,
    sync_trigger,
)
from emailsync.sources.local import mailbox_location_label
from emailsync.uploads import size_label


@login_required
@require_POST
def sync_now(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The dashboard's "Sync emails" button. Answers JSON to the page's script, a redirect otherwise."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    wait = sync_wait_seconds(request)
    if wait is not None:
        return _sync_throttled(request, wait=wait, wants_json=wants_json)
    try:
        run, created = sync_trigger(user=request.user, trigger=SyncRun.Trigger.BUTTON)
    except SyncUnavailable as e:
        if wants_json:
            mailbox = mailbox_for(user=request.user)
            next_step = None
            if mailbox is not None and mailbox.state == Mailbox.State.NEEDS_RECONNECT:
                next_step = {"action": "reconnect", "text": RECONNECT_TEXT}
            return JsonResponse({"error": str(e), "next_step": next_step}, status=409)
        messages.error(request, str(e))
        return redirect("tasks:dashboard")
    if wants_json:
        return JsonResponse(SyncRunSerializer(run).data, status=202)
    messages.info(request, "Sync started." if created else "A sync is already running.")
    return redirect("tasks:dashboard")


def _sync_throttled(request: AuthenticatedHttpRequest, *, wait: int, wants_json: bool) -> HttpResponse:
    """Too many syncs started. The page's script (and any client asking for JSON) gets 429, so it can back
    off by Retry-After and show the message in place; a browser without the script is sent back to the
    dashboard with the message instead of to an error page, and gets the same header."""
    message = f"You started several syncs just now. Please wait {wait} seconds before starting another."
    response: HttpResponse
    if wants_json:
        response = JsonResponse({"error": message, "next_step": None}, status=429)
    else:
        messages.warning(request, message)
        response = redirect("tasks:dashboard")
    response["Retry-After"] = str(wait)
    return response


@login_required
def history(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = request.profile
    context = {
        "runs": runs_for_user(user=request.user),
        "problems": problem_receipts(user=request.user),
        "mailbox": mailbox_for(user=request.user),
        "reconnect_url": reconnect_url(),
        "profile": profile,
        "nav": "history",
        "max_attempts": settings.SYNC_MESSAGE_MAX_ATTEMPTS,
    }
    return render(request, "emailsync/history.html", context)


@login_required
@require_POST
def retry_message(request: AuthenticatedHttpRequest, receipt_id: int) -> HttpResponse:
    receipt = MessageReceipt.objects.filter(pk=receipt_id, mailbox__user=request.user).first()
    if receipt is None:
        raise Http404("No such message")
    receipt_retry(receipt=receipt)
    messages.success(request, "The message will be read again on the next sync.")
    return redirect("emailsync:history")


def settings_page_context(request: AuthenticatedHttpRequest) -> dict[str, object]:
    """The mail card of the settings page (named in ACCOUNT_SETTINGS_CONTEXT): the mailbox, its forms, and
    where to reconnect Google."""
    mailbox = mailbox_for(user=request.user)
    return {
        "mailbox": mailbox,
        "mailbox_label": mailbox_location_label(mailbox) if mailbox else "",
        "mailbox_form": LocalMailboxForm(),
        "upload_form": MailUploadForm(),
        # After a failed test or connect the form comes back filled in (never the password).
        "imap_form": ImapMailboxForm(
            initial=request.session.get(IMAP_FORM_SESSION_KEY) or _imap_initial(mailbox)
        ),
        "imap_open": bool(request.session.pop(IMAP_FORM_SESSION_KEY, None)),
        "upload_limit": size_label(settings.MAIL_UPLOAD_MAX_BYTES),
        "reconnect_url": reconnect_url(),
    }


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
    folder = form.cleaned_data["folder"].strip()
    try:
        mailbox_connect_area(user=request.user, folder=folder)
    except MailAreaError as e:
        messages.error(request, str(e))
    else:
        # An empty box connects the whole area: say so, so it does not read as nothing having happened.
        what = f"the folder “{folder}” of your mail area" if folder else "your mail area, where uploads go"
        messages.success(request, f"Connected {what}. Press “Sync emails” to read it.")
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


IMAP_FORM_SESSION_KEY = "imap_form"
# Where each step's failure points the user (the error itself says what happened).
IMAP_STEP_WORDS = {
    "dns": "The server name could not be found.",
    "address": "The server address was refused.",
    "connect": "The server could not be reached.",
    "tls": "The encrypted connection failed.",
    "login": "Signing in failed.",
    "folder": "The folder could not be opened.",
    "read": "Reading the folder failed.",
}


def _imap_initial(mailbox: Mailbox | None) -> dict[str, object]:
    account = getattr(mailbox, "imap", None) if mailbox and mailbox.source == Mailbox.Source.IMAP else None
    if account is None:
        return {}
    return {name: getattr(account, name) for name in ImapMailboxForm.REMEMBERED}


@login_required
@require_POST
def mailbox_imap(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Test connection" and "Connect" of the IMAP form on the settings page (the button says which)."""
    form = ImapMailboxForm(request.POST)
    request.session[IMAP_FORM_SESSION_KEY] = {
        name: request.POST.get(name, "") if name != "allow_self_signed" else bool(request.POST.get(name))
        for name in ImapMailboxForm.REMEMBERED
    }
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label}: {' '.join(str(e) for e in errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Nothing was changed. {problems}")
        return _to_mail_card()
    data = form.cleaned_data
    details = ImapDetails(
        host=data["host"],
        port=data["port"],
        security=data["security"],
        username=data["username"],
        password=data["password"],
        folder=data["folder"],
        allow_self_signed=data["allow_self_signed"],
    )
    try:
        if request.POST.get("action") == "test":
            words = mailbox_test_imap(details=details)
            messages.success(request, f"{words} Press “Connect” to use it.")
            return _to_mail_card()
        mailbox_connect_imap(user=request.user, details=details)
    except ImapRefused as e:
        messages.error(request, f"{e} Nothing was changed.")
        return _to_mail_card()
    except ImapError as e:
        messages.error(request, f"{IMAP_STEP_WORDS.get(e.step, '')} {e} Nothing was changed.")
        return _to_mail_card()
    request.session.pop(IMAP_FORM_SESSION_KEY, None)
    messages.success(
        request, f"Connected {details.username} at {details.host}. Press “Sync emails” to read it."
    )
    return _to_mail_card()


@login_required
@require_GET
def data_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    return user_data_export_response(user=request.user)
