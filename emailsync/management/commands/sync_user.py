from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.lookup import user_by_id_or_email
from emailsync.models import SyncRun
from emailsync.serializers import run_summary
from emailsync.services import SyncUnavailable, mailbox_sync, sync_trigger


class Command(BaseCommand):
    help = "Sync one user's mailbox now, in the foreground with progress (or --enqueue it on the cluster)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="User id, email or username")
        parser.add_argument("--enqueue", action="store_true", help="Queue the sync for the django-q2 cluster")

    def handle(self, *args: object, **options: object) -> None:
        user = user_by_id_or_email(str(options["user"]))
        try:
            run, created = sync_trigger(
                user=user, trigger=SyncRun.Trigger.COMMAND, enqueue=bool(options["enqueue"])
            )
        except SyncUnavailable as e:
            raise CommandError(str(e)) from e
        if not created:
            self.stdout.write(f"A sync is already {run.state} for {user}: {run.public_id}")
            return
        if options["enqueue"]:
            self.stdout.write(f"Queued sync {run.public_id} for {user}.")
            return
        last_line = ""

        def progress(current: SyncRun) -> None:
            nonlocal last_line
            line = (
                f"[{current.get_phase_display()}] {current.messages_seen}/{current.messages_found} read, "
                f"{current.messages_skipped} bulk, {current.messages_failed} failed, "
                f"{current.tasks_created} tasks, {current.events_scheduled} events"
            )
            if line != last_line:
                self.stdout.write(line)
                last_line = line

        run = mailbox_sync(run=run, progress=progress)
        summary = run_summary(run)
        if run.state == SyncRun.State.FAILED:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
