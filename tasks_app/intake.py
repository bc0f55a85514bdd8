"""Intake: an email's extraction becomes stored tasks.

The invitations the email carries go first (``tasks_with_invites``); then each task is saved keyed by
(message, position), or, when a later email of the same thread moves, repeats or cancels an open task,
changes that task instead (``tasks_store_extracted``, with ``tasks_app.threads``). The sync calls this once
per message, in the transaction that marks the message's receipt done.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from accounts.models import Profile
from emailsync.mime import CalendarInvite
from emailsync.models import MessageReceipt
from tasks_app.extractors import MAX_TASKS_PER_EMAIL, MAX_TITLE_LENGTH, ExtractedTask
from tasks_app.models import Task
from tasks_app.threads import cancellation_in, match_thread_task, thread_tasks_for_prompt


def tasks_with_invites(
    extracted: Sequence[ExtractedTask], *, invites: Sequence[CalendarInvite], subject: str
) -> list[ExtractedTask]:
    """A calendar invitation states its meeting exactly: it becomes the email's first task, and a meeting
    the extractor read from the text at the same time is dropped as the same thing said twice."""
    meetings: list[ExtractedTask] = []
    for invite in invites:
        if invite.method.upper() == "CANCEL" or invite.start is None or invite.all_day:
            continue
        minutes = None
        if invite.end is not None and invite.end > invite.start:
            minutes = int((invite.end - invite.start).total_seconds() // 60)
        summary = invite.summary or subject or "Meeting"
        meetings.append(
            ExtractedTask(
                title=summary[:MAX_TITLE_LENGTH],
                kind="meeting",
                evidence=f"Calendar invitation: {summary}",
                due=invite.start,
                due_phrase="calendar invitation",
                duration_minutes=minutes,
                confidence=0.95,
                notes=f"Location: {invite.location}" if invite.location else "",
            )
        )
    if not meetings:
        return list(extracted)
    starts = {m.due for m in meetings}
    rest = [t for t in extracted if not (t.kind == "meeting" and t.due in starts)]
    return meetings + rest


# No savepoint of its own: the sync calls it inside the transaction that also marks the receipt done.
@transaction.atomic(savepoint=False)
def tasks_store_extracted(
    *,
    receipt: MessageReceipt,
    extracted: Sequence[ExtractedTask],
    profile: Profile,
    extractor: str,
    thread_tasks: Sequence[Task],
    first_attempt: bool = False,
) -> int:
    """Save an email's tasks, keyed by (message, position) so that running extraction again updates the
    same rows instead of adding new ones. A task that moves, repeats or cancels an open task of the same
    thread changes that task instead (see ``tasks_app.threads``). Returns how many tasks were new.

    ``thread_tasks`` are the thread's open tasks as ``thread_open_tasks`` returned them (the sync reads
    them once per message, for the prompt and for this). ``first_attempt`` says the message has never been
    read before, so it has no tasks yet and none are looked up: a message's tasks are committed only
    together with its final receipt.
    """
    created_count = 0
    initial_status = Task.Status.PROPOSED if profile.approval_required else Task.Status.SCHEDULED
    candidates = list(thread_tasks)
    existing: dict[int, Task] = {}
    if not first_attempt:
        existing = {task.position: task for task in Task.objects.select_for_update().filter(source=receipt)}
    new_tasks: list[Task] = []
    refs = dict(zip((t.ref for t in thread_tasks_for_prompt(candidates)), candidates, strict=True))
    items = list(extracted[:MAX_TASKS_PER_EMAIL])
    for position, item in enumerate(items):
        match = match_thread_task(item, candidates, zone=profile.zone, refs=refs)
        if match is not None:
            _thread_task_change(match.task, item, match.action, receipt)
            candidates = [t for t in candidates if t.pk != match.task.pk or match.action == "update"]
            continue
        if item.thread_action == "cancel":
            continue  # a cancellation of something we can't find is not a task of its own
        status = Task.Status.PROPOSED if item.review_reason else initial_status
        fields = {
            "title": item.title[:MAX_TITLE_LENGTH] or "Follow up on email",
            "notes": item.notes[:2000],
            "kind": item.kind,
            "due_at": item.due,
            "due_phrase": item.due_phrase[:100],
            "duration_minutes": item.duration_minutes,
            "priority": item.priority,
            "confidence": item.confidence,
            "evidence": item.evidence[:2000],
            "extractor": extractor,
            "needs_review": bool(item.review_reason),
            "review_reason": item.review_reason[:1000],
        }
        task = existing.get(position)
        if task is None:
            new_tasks.append(
                Task(
                    user=profile.user,
                    source=receipt,
                    position=position,
                    status=status,
                    calendar_pending=status == Task.Status.SCHEDULED,
                    **fields,
                )
            )
            created_count += 1
        elif not task.edited_by_user:
            for name, value in fields.items():
                setattr(task, name, value)
            task.calendar_pending = task.status == Task.Status.SCHEDULED or task.event_written
            task.save()
    Task.objects.bulk_create(new_tasks)
    # An author who calls something off rarely phrases it as a task; read the body for it as well.
    evidence = [item.evidence for item in items]
    for task, sentence in cancellation_in(receipt.body_text, candidates, skip=evidence):
        _thread_task_change(task, None, "cancel", receipt, sentence=sentence)
    return created_count


def _thread_task_change(
    task: Task, item: ExtractedTask | None, action: str, receipt: MessageReceipt, *, sentence: str = ""
) -> None:
    """Apply a later email of the thread to an open task: move it, or cancel it (its event follows)."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    said = " ".join((sentence or (item.evidence if item else "")).split())[:300]
    subject = receipt.subject or "a later email"
    if task.edited_by_user:
        # The user's own edits win; tell them instead of overwriting.
        task.needs_review = True
        task.review_reason = (
            f"“{subject}” in the same thread says: “{said}”. Your edits were kept; check the task."
        )
        task.save(update_fields=["needs_review", "review_reason", "updated_at"])
        return
    if action == "cancel":
        task.status = Task.Status.DISMISSED
        task.calendar_pending = task.event_written
        task.notes = (f"{task.notes}\n" if task.notes else "") + f"Cancelled by “{subject}”: “{said}”"
        task.save()
        return
    assert item is not None
    moved = item.due is not None and item.due != task.due_at
    if moved:
        task.due_at = item.due
        task.due_phrase = item.due_phrase[:100]
        if item.duration_minutes:
            task.duration_minutes = item.duration_minutes
        # Planned afresh by calendar_sync: a meeting at its new time, other tasks before their new due.
        task.event_start = task.event_end = None
        task.calendar_pending = task.status == Task.Status.SCHEDULED or task.event_written
        task.notes = (f"{task.notes}\n" if task.notes else "") + f"Moved by “{subject}”: “{said}”"
    if item.priority == "high" and task.priority != "high":
        task.priority = item.priority
    if item.review_reason:
        task.needs_review = True
        task.review_reason = item.review_reason[:1000]
    task.save()
