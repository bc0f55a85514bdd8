from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import Profile
from accounts.types import AuthenticatedHttpRequest
from emailsync.selectors import latest_run, mailbox_for, reconnect_url
from emailsync.serializers import SyncRunSerializer
from tasks_app.forms import ReviewForm, TaskEditForm, TaskMoveForm
from tasks_app.ics import ics_feed
from tasks_app.models import Task
from tasks_app.selectors import (
    GROUP_TITLES,
    dashboard_groups,
    evidence_in_text,
    group_page,
    review_queue,
    task_for_user,
    week_start_for,
    week_view,
)
from tasks_app.services import (
    TaskChangeError,
    TaskMoveNeedsConfirmation,
    TaskMoveRefused,
    calendar_sync,
    task_approve,
    task_dismiss,
    task_edit_fields,
    task_mark_done,
    task_move_to,
    task_move_to_next_free_slot,
    task_reopen,
)

ACTIONS: dict[str, tuple[Callable[..., Task], str]] = {
    "approve": (task_approve, "Approved: it goes on your calendar."),
    "done": (task_mark_done, "Marked done and taken off your calendar."),
    "dismiss": (task_dismiss, "Dismissed and taken off your calendar."),
    "reject": (task_dismiss, "Rejected: it stays off your calendar."),
    "reopen": (task_reopen, "Back on your list and your calendar."),
}


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Return to the page the action came from (a local address only), else to ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _feed_url(request: HttpRequest, profile: Profile) -> str:
    return request.build_absolute_uri(reverse("calendar-feed", args=[profile.feed_token]))


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = request.profile
    run = latest_run(user=request.user)
    groups = dashboard_groups(user=request.user, zone=profile.zone)
    return render(
        request,
        "tasks_app/dashboard.html",
        {
            "profile": profile,
            "groups": groups,
            "mailbox": mailbox_for(user=request.user),
            "run": run,
            "run_data": SyncRunSerializer(run).data if run else None,
            "feed_url": _feed_url(request, profile),
            "reconnect_url": reconnect_url(),
            "review_count": groups.proposed_count,
            "nav": "dashboard",
        },
    )


GROUP_PAGE_SIZE = 50


@login_required
def task_group(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every open task of one dashboard group (``?group=overdue&page=2``), 50 a page; 404 for an unknown
    group or page."""
    group = request.GET.get("group", "")
    if group not in GROUP_TITLES:
        raise Http404("No such group of tasks.")
    try:
        page = group_page(
            user=request.user,
            group=group,
            zone=request.profile.zone,
            number=request.GET.get("page") or 1,
            per_page=GROUP_PAGE_SIZE,
        )
    except InvalidPage as e:
        raise Http404("No such page.") from e
    return render(
        request,
        "tasks_app/group.html",
        {
            "profile": request.profile,
            "group": group,
            "title": GROUP_TITLES[group],
            "page": page,
            "past": group == "past",
            "nav": "dashboard",
        },
    )


@login_required
def week(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = request.profile
    today = timezone.localtime(timezone.now(), profile.zone).date()
    try:
        asked = dt.date.fromisoformat(request.GET["start"]) if request.GET.get("start") else today
    except ValueError:
        asked = today
    data = week_view(
        user=request.user,
        zone=profile.zone,
        week_start=week_start_for(asked),
        work_start=profile.work_start,
        work_end=profile.work_end,
        work_days=profile.working_days,
    )
    return render(
        request,
        "tasks_app/week.html",
        {
            "profile": profile,
            "week": data,
            "this_week": week_start_for(today),
            "review_count": data.proposed_count,
            "nav": "week",
        },
    )


REVIEW_PAGE_SIZE = 50


@login_required
def review(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tasks waiting for approval, ``REVIEW_PAGE_SIZE`` a page (``?page=2``); 404 for a page past the end."""
    try:
        page = Paginator(review_queue(user=request.user), REVIEW_PAGE_SIZE).page(request.GET.get("page") or 1)
    except InvalidPage as e:
        raise Http404("No such page.") from e
    return render(
        request,
        "tasks_app/review.html",
        {
            "profile": request.profile,
            "page": page,
            "queue": list(page.object_list),
            "review_count": page.paginator.count,
            "nav": "review",
        },
    )


@login_required
@require_POST
def review_decide(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Only the tasks asked about are read: a queue of thousands is decided a page at a time.
    asked = [int(value) for value in request.POST.getlist("task_ids") if value.isdigit()]
    queue = {task.pk: task for task in review_queue(user=request.user).filter(pk__in=asked)}
    form = ReviewForm(request.POST, task_ids=list(queue))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("tasks:review")
    approve = form.cleaned_data["decision"] == "approve"
    decide = task_approve if approve else task_dismiss
    for task_id in form.cleaned_data["task_ids"]:
        decide(task=queue[task_id])
    calendar_sync(user=request.user)
    count = len(form.cleaned_data["task_ids"])
    noun = f"{count} task{'s' if count != 1 else ''}"
    messages.success(
        request,
        f"Approved {noun}: on your calendar now." if approve else f"Rejected {noun}: kept off your calendar.",
    )
    return redirect("tasks:review")


def _detail_page(
    request: AuthenticatedHttpRequest,
    task: Task,
    *,
    move_form: TaskMoveForm | None = None,
    move_concerns: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    profile = request.profile
    due_local = timezone.localtime(task.due_at) if task.due_at else None
    start_local = timezone.localtime(task.event_start) if task.event_start else None
    return render(
        request,
        "tasks_app/task_detail.html",
        {
            "task": task,
            "profile": profile,
            "evidence": evidence_in_text(task.source.body_text, task.evidence),
            # Email text is deleted after this many days; the page then says so under the evidence.
            "body_retention_days": settings.MESSAGE_BODY_RETENTION_DAYS,
            "edit_form": TaskEditForm(
                initial={
                    "title": task.title,
                    "due_at": due_local.strftime("%Y-%m-%dT%H:%M") if due_local else "",
                    "duration_minutes": task.duration_minutes,
                }
            ),
            "move_form": move_form
            or TaskMoveForm(initial={"start": start_local.strftime("%Y-%m-%dT%H:%M") if start_local else ""}),
            # Why the asked time may be a bad idea; the page asks to confirm with a second submit.
            "move_concerns": move_concerns or [],
            "block_week": week_start_for(start_local.date()) if start_local else None,
            "on_local_calendar": profile.calendar_provider == Profile.CalendarProvider.LOCAL,
        },
        status=status,
    )


@login_required
def task_detail(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    task = task_for_user(user=request.user, task_id=task_id)
    if task is None:
        raise Http404("No such task")
    return _detail_page(request, task)


@login_required
@require_POST
def task_action(request: AuthenticatedHttpRequest, task_id: int, action: str) -> HttpResponse:
    task = task_for_user(user=request.user, task_id=task_id)
    if task is None or action not in ACTIONS:
        raise Http404("No such task or action")
    change, message = ACTIONS[action]
    change(task=task)
    calendar_sync(user=request.user)
    messages.success(request, f"“{task.title}”: {message}")
    return _back(request, "tasks:dashboard")


@login_required
def task_edit(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    task = task_for_user(user=request.user, task_id=task_id)
    if task is None:
        raise Http404("No such task")
    profile = request.profile
    if request.method == "POST":
        form = TaskEditForm(request.POST)
        if form.is_valid():
            try:
                task_edit_fields(
                    task=task,
                    changes={
                        "title": form.cleaned_data["title"],
                        "due_at": form.cleaned_data["due_at"],
                        "duration_minutes": form.cleaned_data["duration_minutes"],
                    },
                )
            except TaskChangeError as e:
                form.add_error(None, str(e))
            else:
                calendar_sync(user=request.user)
                messages.success(request, "Task updated; the calendar follows.")
                return _back(request, reverse("tasks:detail", args=[task.pk]))
    else:
        due_local = timezone.localtime(task.due_at) if task.due_at else None
        form = TaskEditForm(
            initial={
                "title": task.title,
                "due_at": due_local.strftime("%Y-%m-%dT%H:%M") if due_local else "",
                "duration_minutes": task.duration_minutes,
            }
        )
    return render(request, "tasks_app/task_edit.html", {"task": task, "form": form, "profile": profile})


@login_required
@require_POST
def task_move(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    task = task_for_user(user=request.user, task_id=task_id)
    if task is None:
        raise Http404("No such task")
    detail = reverse("tasks:detail", args=[task.pk])
    if task.status != Task.Status.SCHEDULED:
        messages.error(request, "Only a task on your calendar can move; approve it first.")
        return redirect(detail)
    form = TaskMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(detail)
    if form.cleaned_data["next_free"]:
        if task_move_to_next_free_slot(task=task):
            task.refresh_from_db()
            start = timezone.localtime(task.event_start)
            messages.success(request, f"Moved to {start:%a %d %b, %H:%M}.")
        else:
            messages.error(request, "No other free block in your working hours; the task kept its time.")
        return _back(request, detail)
    start = form.cleaned_data["start"]
    try:
        task_move_to(task=task, start=start, confirmed=form.cleaned_data["confirm"])
    except TaskMoveRefused as e:
        form.add_error("start", str(e))
        return _detail_page(request, task, move_form=form, status=400)
    except TaskMoveNeedsConfirmation as e:
        return _detail_page(request, task, move_form=form, move_concerns=e.reasons)
    calendar_sync(user=request.user)
    messages.success(request, f"Moved to {timezone.localtime(start):%a %d %b, %H:%M}.")
    return _back(request, detail)


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    profile = Profile.objects.select_related("user").filter(feed_token=token, user__is_active=True).first()
    if profile is None:
        raise Http404("Unknown calendar feed")
    response = HttpResponse(
        ics_feed(user=profile.user, timezone_name=profile.timezone),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="intelligent-scheduler.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
