"""django-q2 entry points: thin doors to the services."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model

from emailsync.models import SyncRun
from emailsync.services import SyncUnavailable, mailbox_sync, sync_trigger

logger = logging.getLogger(__name__)


def run_sync(run_id: int) -> str:
    run = SyncRun.objects.filter(pk=run_id).first()
    if run is None:
        return "gone"
    run = mailbox_sync(run=run)
    return run.state


def scheduled_sync(user_id: int) -> str:
    """The periodic sync of one user who opted in. Runs inline: it already is a job on a worker."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return "no such user"
    try:
        run, created = sync_trigger(user=user, trigger=SyncRun.Trigger.SCHEDULE, enqueue=False)
    except SyncUnavailable as e:
        logger.info("Scheduled sync of user %s skipped: %s", user_id, e)
        return f"skipped: {e}"
    if not created:
        return "already running"
    return mailbox_sync(run=run).state
