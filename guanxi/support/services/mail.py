"""E-mail in and out of tickets (issue 4 §2).

Out: a public reply is e-mailed to the requester after the transaction commits, by a background task (a slow
SMTP server never holds up the agent), through Django's e-mail backend. The subject carries the ticket's
number as a tag, "[T202611230001] …", and the Message-ID is kept on the TicketMessage, so the customer's answer
threads back onto the ticket (services/mail_inbound.py) by its In-Reply-To, or by the tag.

In: `receive_email(raw)` (mail_inbound.py), fed by the inbound endpoint (api_mail.py) or the IMAP poller
(mail_imap.py).
"""

from __future__ import annotations

import logging
from email.utils import make_msgid, parseaddr
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import InboundEmail, Ticket, TicketMessage

log = logging.getLogger(__name__)


class SystemActor:
    """Who opens tickets from e-mail and the web form when GUANXI_MAIL_ACTOR_USERNAME is not set: the system.

    It passes the ticket services' permission checks as an administrator would (so the very same service path
    runs: numbering, routing, the SLA clock, complaint steps), and, having no primary key, is recorded as
    nobody — "System" — in the audit trail, `created_by` and `author`, like the other background jobs. Only
    the mail and web-form services use it; it never reaches a request.
    """

    pk = None
    id = None
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = True
    is_staff = False
    username = "system"

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def mail_actor() -> Any:
    """The account that files e-mails and web-form requests: the active user GUANXI_MAIL_ACTOR_USERNAME names
    (their rights apply), else the system."""
    username = getattr(settings, "GUANXI_MAIL_ACTOR_USERNAME", "")
    if username:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is not None:
            return user
        log.warning("GUANXI_MAIL_ACTOR_USERNAME=%r is not an active user; filing e-mail as the system.", username)
    return SYSTEM


def support_address() -> str:
    """From and Reply-To of reply e-mails: GUANXI_SUPPORT_EMAIL, else DEFAULT_FROM_EMAIL."""
    return getattr(settings, "GUANXI_SUPPORT_EMAIL", "") or settings.DEFAULT_FROM_EMAIL


def _domain() -> str | None:
    address = parseaddr(support_address())[1]
    return address.rsplit("@", 1)[1] if "@" in address else None


def recipient_of(ticket: Ticket) -> str:
    """Where replies go: the requester's address, else the ticket contact's."""
    if ticket.requester_email:
        return ticket.requester_email
    contact = ticket.contact
    return contact.email if contact is not None and contact.deleted_at is None and contact.email else ""


def subject_for(ticket: Ticket) -> str:
    return f"[{ticket.number}] {ticket.subject}"


def send_reply_later(message: TicketMessage) -> None:
    """After the transaction commits, e-mail a public reply to the ticket's requester. The Message-ID is set now,
    in the caller's transaction, so the thread is known even before the e-mail leaves."""
    if message.kind != TicketMessage.Kind.REPLY or not recipient_of(message.ticket):
        return
    message.message_id = make_msgid(domain=_domain())
    TicketMessage.objects.filter(pk=message.pk).update(message_id=message.message_id)
    transaction.on_commit(partial(_enqueue, message.pk))


def _enqueue(message_pk: int) -> None:
    from ..tasks_mail import send_ticket_reply

    try:
        send_ticket_reply.enqueue(message_pk)
    except Exception:  # the reply is saved; a queue outage must not turn it into an error page
        log.exception("Could not queue the reply e-mail of ticket message %s", message_pk)


def mail_language() -> str:
    """The language of the reply e-mails' footer and of the received e-mail log's reasons."""
    return getattr(settings, "GUANXI_MAIL_LANGUAGE", "") or settings.LANGUAGE_CODE


def _body(message: TicketMessage) -> str:
    ticket = message.ticket
    with translation.override(mail_language()):
        footer = _("Reply to this e-mail to add to ticket %(number)s; please keep [%(number)s] in the subject.") % {
            "number": ticket.number}
    return f"{message.body}\n\n-- \n{footer}\n"


def reply_email(message: TicketMessage) -> EmailMessage | None:
    """The e-mail for a public reply, or None when there is no one to send it to."""
    ticket = message.ticket
    to = recipient_of(ticket)
    if not to or not message.message_id:
        return None
    headers = {"Message-ID": message.message_id, "X-Guanxi-Ticket": ticket.number}
    previous = (ticket.messages.filter(kind=TicketMessage.Kind.CUSTOMER, id__lt=message.pk).exclude(message_id="")
                .order_by("-id").values_list("message_id", flat=True).first())
    if previous:
        headers.update({"In-Reply-To": previous, "References": previous})
    return EmailMessage(subject=subject_for(ticket), body=_body(message), from_email=support_address(), to=[to],
                        reply_to=[support_address()], headers=headers)


def reply_email_send(message_pk: int) -> bool:
    """Send one reply's e-mail (the background task). Failures are logged, never raised: True when sent."""
    message = (TicketMessage.objects.select_related("ticket", "ticket__contact")
               .filter(pk=message_pk, kind=TicketMessage.Kind.REPLY).first())
    if message is None:
        return False
    email = reply_email(message)
    if email is None:
        return False
    try:
        email.send(fail_silently=False)
    except Exception:
        log.exception("Could not e-mail the reply %s of ticket %s to %s", message.pk, message.ticket.number,
                      email.to[0])
        return False
    log.info("E-mailed the reply %s of ticket %s to %s", message.pk, message.ticket.number, email.to[0])
    return True


def receive_email(raw: bytes) -> InboundEmail:
    """File one raw RFC 822 e-mail received at the support address (see mail_inbound.receive)."""
    from .mail_inbound import receive

    return receive(raw)
