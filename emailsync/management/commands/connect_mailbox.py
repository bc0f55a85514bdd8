from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.lookup import user_by_id_or_email
from emailsync.services import mailbox_connect_local


class Command(BaseCommand):
    help = (
        "Connect a user's mailbox to any local folder of .eml files or a Maildir. For operators: through the "
        "web a user can only use their own area under LOCAL_MAIL_ROOT. Keep folders given here outside it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="User id, email or username")
        parser.add_argument("folder", help="Folder of .eml files (searched recursively) or a Maildir")

    def handle(self, *args: object, **options: object) -> None:
        user = user_by_id_or_email(str(options["user"]))
        try:
            mailbox = mailbox_connect_local(user=user, folder=str(options["folder"]))
        except ValueError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(self.style.SUCCESS(f"Connected {user} to {mailbox.location}"))
