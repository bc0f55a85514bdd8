from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accounts.demo import demo_mailbox_install
from accounts.services import demo_user_ensure
from emailsync.services import mailbox_connect_local


class Command(BaseCommand):
    help = "Create the demo user and connect it to a copy of the sample mailbox, moved to the present."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--folder", default=str(settings.VAR_DIR / "demo-mailbox"))

    def handle(self, *args: object, **options: object) -> None:
        user = demo_user_ensure()
        folder = settings.VAR_DIR / "demo-mailbox" if not options["folder"] else options["folder"]
        from pathlib import Path

        target = Path(str(folder))
        count = demo_mailbox_install(target=target, today=timezone.localdate())
        mailbox_connect_local(user=user, folder=str(target))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo user {settings.DEMO_USERNAME} connected to {count} sample emails in {target}"
            )
        )
