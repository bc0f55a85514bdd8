from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accounts.services import demo_password_user_ensure
from emailsync.demo import DEMO_MAILBOX_FOLDER, demo_mailbox_install
from emailsync.services import mailbox_connect_local
from emailsync.sources.local import local_mail_area


class Command(BaseCommand):
    help = (
        "Create the named demo account (DEMO_USERNAME / DEMO_PASSWORD, for password sign-in) and connect it "
        "to a copy of the sample mailbox, moved to the present, in its own mail area under LOCAL_MAIL_ROOT. "
        "It is an ordinary account, not one of the throwaway users of “Try the demo account”."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--folder", default="", help="Put the copy here instead of in the account's own mail area."
        )

    def handle(self, *args: object, **options: object) -> None:
        user = demo_password_user_ensure()
        folder = str(options["folder"] or "")
        target = Path(folder) if folder else local_mail_area(user.pk) / DEMO_MAILBOX_FOLDER
        count = demo_mailbox_install(target=target, now=timezone.now())
        mailbox_connect_local(user=user, folder=str(target))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo user {settings.DEMO_USERNAME} connected to {count} sample emails in {target}"
            )
        )
