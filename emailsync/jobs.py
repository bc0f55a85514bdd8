"""django-q2 entry points: thin doors to the services."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from emailsync.models import SyncRun
from emailsync.services import (
    SyncUnavailable,
    extraction_batches_collect,
    mailbox_sync,
    message_bodies_purge,
    sync_runs_recover,
    sync_trigger,
)

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


def purge_message_bodies() -> str:
    """Daily (declared in EmailsyncConfig.ready): delete email text older than MESSAGE_BODY_RETENTION_DAYS."""
    older_than = timezone.now() - dt.timedelta(days=settings.MESSAGE_BODY_RETENTION_DAYS)
    purged = message_bodies_purge(older_than=older_than)
    logger.info("Deleted the stored text of %s messages read before %s", purged, older_than.isoformat())
    return f"purged {purged}"


def recover_lost_syncs() -> str:
    """Every minute (declared in EmailsyncConfig.ready): queue again the syncs whose worker was lost."""
    recovery = sync_runs_recover()
    return f"requeued {len(recovery.requeued)}, failed {len(recovery.failed)}"


def collect_extraction_batches() -> str:
    """Every minute (declared in EmailsyncConfig.ready): store the answers of the model's batches that have
    ended and start the syncs that turn them into tasks."""
    return f"collected {extraction_batches_collect()}"
