"""`manage.py mailpoll` (`guanxi mailpoll`): file the unread e-mails of the support mailbox (IMAP) now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from guanxi.support.services.mail_imap import is_configured, poll_mailbox


class Command(BaseCommand):
    help = ("Fetch the unread e-mails of the support mailbox over IMAP (GUANXI_IMAP_* settings), file each as a "
            "ticket or a reply (or log why it was rejected) and mark it read. The scheduler runs this every "
            "5 minutes when GUANXI_IMAP_HOST is set.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not is_configured():
            raise CommandError("GUANXI_IMAP_HOST is not set; there is no mailbox to poll.")
        counts = poll_mailbox()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} e-mail(s) could not be filed; see the log.")
