from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Profile
from accounts.services import profile_for
from emailsync.selectors import latest_run, mailbox_for, run_as_dict
from tasks_app.forms import TaskEditForm
from tasks_app.ics import ics_feed
from tasks_app.models import Task
from tasks_app.selectors import dashboard_groups, task_for_user
from tasks_app.services import TaskChangeError, tasks_apply_and_sync

ACTIONS = {
    "approve": (Task.Status.SCHEDULED, "Approved: it goes on your calendar."),
    "done": (Task.Status.DONE, "Marked done and taken off your calendar."),
    "dismiss": (Task.Status.DISMISSED, "Dismissed and taken off your calendar."),
    "reopen": (Task.Status.SCHEDULED, "Back on your list and your calendar."),
}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    profile = profile_for(request.user)
    run = latest_run(user=request.user)
    with timezone.override(profile.zone):
        return render(
            request,
            "tasks_app/dashboard.html",
            {
                "profile": profile,
                "groups": dashboard_groups(user=request.user, zone=profile.zone),
                "mailbox": mailbox_for(user=request.user),
                "run": run,
                "run_data": run_as_dict(run) if run else None,
                "feed_url": request.build_absolute_uri(f"/calendar/{profile.feed_token}.ics"),
            },
        )


@login_required
@require_POST
def task_action(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    task = task_for_user(user=request.user, task_id=task_id)
    if task is None or action not in ACTIONS:
        raise Http404("No such task or action")
    new_status, message = ACTIONS[action]
    tasks_apply_and_sync(task=task, status=new_status)
    messages.success(request, f"“{task.title}”: {message}")
    return redirect("tasks:dashboard")


@login_required
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_for_user(user=request.user, task_id=task_id)
    if task is None:
        raise Http404("No such task")
    profile = profile_for(request.user)
    with timezone.override(profile.zone):
        if request.method == "POST":
            form = TaskEditForm(request.POST)
            if form.is_valid():
                try:
                    tasks_apply_and_sync(
                        task=task,
                        title=form.cleaned_data["title"],
                        due_at=form.cleaned_data["due_at"],
                        duration_minutes=form.cleaned_data["duration_minutes"],
                    )
                except TaskChangeError as e:
                    form.add_error(None, str(e))
                else:
                    messages.success(request, "Task updated; the calendar follows.")
                    return redirect("tasks:dashboard")
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


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    profile = Profile.objects.select_related("user").filter(feed_token=token, user__is_active=True).first()
    if profile is None:
        raise Http404("Unknown calendar feed")
    response = HttpResponse(
        ics_feed(user=profile.user, timezone_name=profile.timezone), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="intelligent-scheduler.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
