"""Writes for messages that come from the customer (an e-mail, the public web form): open a ticket with the
customer's text as its first message, or add the customer's message to a ticket and wake the ticket up.

Tickets are opened through `ticket_create` and moved through `ticket_set_status`, so numbering, routing, the
SLA clock and the complaint steps apply exactly as for a ticket an agent opens.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.customers.models import Contact
from guanxi.customers.services.records import record_update

from ..models import Ticket, TicketMessage
from . import tickets

BODY_MAX = 20000
# Where the quoted earlier mail starts in a reply: "On … wrote:", Outlook's separator, Chinese mail clients.
QUOTE_START = re.compile(
    r"^(On .{1,200} wrote:|-{2,} ?(Original Message|Forwarded message) ?-{2,}|From: .+|发件人[:：].*|"
    r"在 .{1,200}(写道|寫道)[:：]?|-{2,} ?原始邮件 ?-{2,})\s*$", re.MULTILINE)


def strip_quoted(text: str) -> str:
    """A reply without the earlier messages it quotes (when there is something new above them)."""
    match = QUOTE_START.search(text)
    head = text[:match.start()] if match else text
    lines = [line for line in head.splitlines() if not line.startswith(">")]
    new = "\n".join(lines).strip()
    return new or text.strip()


def fit_body(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        return _("(no text)")
    if len(text) > BODY_MAX:
        marker = "\n…" + _("(shortened)")
        text = text[:BODY_MAX - len(marker)] + marker
    return text


def _clean_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())[:200]
    return subject or _("(no subject)")


@transaction.atomic
def customer_message_add(*, actor: Any, ticket: Ticket, body: str, email_from: str = "",
                         message_id: str = "") -> TicketMessage:
    """Add the customer's message to the thread. A resolved ticket is reopened, one waiting on the customer is
    opened again (its SLA clock resumes)."""
    message = TicketMessage(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, body=fit_body(body),
                            email_from=email_from, message_id=message_id[:255])
    message.full_clean()
    message.save()
    status = Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).first()
    wake: dict[str, str] = {Ticket.Status.RESOLVED: Ticket.Status.REOPENED, Ticket.Status.WAITING: Ticket.Status.OPEN}
    if status in wake:
        tickets.ticket_set_status(actor=actor, ticket=ticket, status=wake[status])
    return message


@transaction.atomic
def customer_ticket_open(*, actor: Any, contact: Contact, subject: str, body: str, channel: str,
                         requester_email: str = "", email_from: str = "",
                         message_id: str = "") -> tuple[Ticket, TicketMessage]:
    """Open a ticket for the contact's customer with the customer's text as the first message."""
    if channel not in Ticket.Channel.values:
        raise ValidationError({"channel": [_("Choose a valid channel.")]})
    ticket = tickets.ticket_create(actor=actor, customer=contact.customer, data={
        "subject": _clean_subject(subject), "channel": channel, "contact": contact})
    if requester_email:
        ticket = record_update(actor=actor, instance=ticket, data={"requester_email": requester_email},
                               version=None)
    message = TicketMessage(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, body=fit_body(body),
                            email_from=email_from, message_id=message_id[:255])
    message.full_clean()
    message.save()
    return ticket, message
