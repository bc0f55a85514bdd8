from __future__ import annotations

from django.apps import AppConfig


class EmailsyncConfig(AppConfig):
    name = "emailsync"
    verbose_name = "Email sync"

    def ready(self) -> None:
        from emailsync import receivers
        from scheduler_site.schedules import maintenance_schedule

        receivers.connect()

        # Stored email text is kept MESSAGE_BODY_RETENTION_DAYS at most (docs/privacy.md).
        maintenance_schedule(
            name="purge-message-bodies", func="emailsync.jobs.purge_message_bodies", minutes=24 * 60
        )
        # Syncs whose worker died (the Redis broker never re-delivers them) are queued again: reliability.md.
        maintenance_schedule(name="sync-watchdog", func="emailsync.jobs.recover_lost_syncs", minutes=1)
        # Backfills sent to the model in batches (EXTRACTION_BATCH_THRESHOLD) are collected when they end.
        maintenance_schedule(
            name="collect-extraction-batches", func="emailsync.jobs.collect_extraction_batches", minutes=1
        )
