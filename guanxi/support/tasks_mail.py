"""Background jobs of the service desk's e-mail: thin, fetch by id and call a service, safe to retry."""

from __future__ import annotations

from django_tasks import task


@task()
def send_ticket_reply(message_id: int) -> bool:
    """E-mail one public reply to the ticket's requester (queued when the reply's transaction commits)."""
    from .services.mail import reply_email_send

    return reply_email_send(message_id)


@task()
def poll_support_mailbox() -> dict[str, int]:
    """Fetch the unread e-mails of the support mailbox (IMAP) and file them (every 5 minutes when
    GUANXI_IMAP_HOST is set)."""
    from .services.mail_imap import poll_mailbox

    return poll_mailbox()
