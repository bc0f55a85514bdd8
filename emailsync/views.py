from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.throttling import sync_wait_seconds
from accounts.types import AuthenticatedHttpRequest
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.selectors import mailbox_for, problem_receipts, reconnect_url, runs_for_user
from emailsync.serializers import RECONNECT_TEXT, SyncRunSerializer
from emailsync.services import SyncUnavailable, receipt_retry, sync_trigger


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
