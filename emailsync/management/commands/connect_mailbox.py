from __future__ import annotations

import getpass
import os
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.lookup import user_by_id_or_email
from emailsync.mailbox_imap import ImapDetails, ImapError, ImapRefused, mailbox_connect_imap
from emailsync.services import mailbox_connect_local


class Command(BaseCommand):
    help = (
        "Connect a user's mailbox to any local folder of .eml files or a Maildir, or to an IMAP server "
        "(--imap-host …). For operators: through the web a user can only use their own area under "
        "LOCAL_MAIL_ROOT, or their own IMAP account. Keep folders given here outside that root. The IMAP "
        "password is read from the IMAP_PASSWORD environment variable, or asked for."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="User id, email or username")
        parser.add_argument(
            "folder", nargs="?", default="", help="Folder of .eml files (searched recursively) or a Maildir"
        )
        imap = parser.add_argument_group("IMAP")
        imap.add_argument("--imap-host", default="", help="IMAP server name, e.g. imap.fastmail.com")
        imap.add_argument("--imap-port", type=int, default=None, help="Default 993 (tls) or 143 (starttls)")
        imap.add_argument("--imap-security", choices=["tls", "starttls"], default="tls")
        imap.add_argument("--imap-username", default="", help="Usually the email address")
        imap.add_argument("--imap-folder", default="INBOX")
        imap.add_argument(
            "--imap-self-signed",
            action="store_true",
            help="Trust the server's self-signed certificate as seen now (and only that one)",
        )

    def handle(self, *args: object, **options: object) -> None:
        user = user_by_id_or_email(str(options["user"]))
        if options["imap_host"]:
            self._connect_imap(user, options)
            return
        if not options["folder"]:
            raise CommandError("Give a folder, or --imap-host and --imap-username for an IMAP server.")
        try:
            mailbox = mailbox_connect_local(user=user, folder=str(options["folder"]))
        except ValueError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(self.style.SUCCESS(f"Connected {user} to {mailbox.location}"))

    def _connect_imap(self, user: object, options: dict[str, object]) -> None:
        security = str(options["imap_security"])
        port = options["imap_port"] or (993 if security == "tls" else 143)
        password = os.environ.get("IMAP_PASSWORD", "")
        if not password:
            if not sys.stdin.isatty():
                raise CommandError("Set IMAP_PASSWORD (the password is never taken on the command line).")
            password = getpass.getpass("IMAP password: ")
        details = ImapDetails(
            host=str(options["imap_host"]),
            port=int(str(port)),
            security=security,
            username=str(options["imap_username"]),
            password=password,
            folder=str(options["imap_folder"]),
            allow_self_signed=bool(options["imap_self_signed"]),
        )
        try:
            mailbox = mailbox_connect_imap(user=user, details=details)  # type: ignore[arg-type]
        except ImapRefused as e:
            raise CommandError(str(e)) from e
        except ImapError as e:
            raise CommandError(f"{e.step}: {e}") from e
        self.stdout.write(self.style.SUCCESS(f"Connected {user} to IMAP {mailbox.location}"))
