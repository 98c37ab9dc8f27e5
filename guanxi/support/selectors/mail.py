"""Reads of the service desk's mail area: attachments (through the ticket's visibility), the received e-mail
log (service managers), and the contact lookup that matches an e-mail's or web form's sender."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Contact
from guanxi.governance import permissions

from ..models import InboundEmail, Ticket, TicketAttachment
from .tickets import ticket_get


def attachment_list(*, user: Any, ticket: Ticket) -> QuerySet[TicketAttachment]:
    """The attachments of a ticket the user sees (fetch the ticket with `ticket_get` first)."""
    return TicketAttachment.objects.filter(ticket__in=Ticket.objects.visible_to(user).filter(pk=ticket.pk)) \
        .select_related("uploaded_by").order_by("created_at", "id")


def attachment_get(*, user: Any, ticket_pk: Any, pk: Any) -> TicketAttachment:
    """One attachment of a ticket the user sees; NotFoundError otherwise (also for another ticket's file)."""
    ticket = ticket_get(user=user, pk=ticket_pk)
    try:
        return TicketAttachment.objects.select_related("ticket").get(ticket=ticket, pk=pk)
    except (TicketAttachment.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def inbound_email_list(*, user: Any, outcome: str = "") -> QuerySet[InboundEmail]:
    """The log of received e-mails, newest first: for those who run the service desk (MANAGE_SERVICE)."""
    if not permissions.can(user, permissions.MANAGE_SERVICE):
        raise PermissionDeniedError()
    qs = InboundEmail.objects.select_related("ticket")
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-received_at", "-id")


def visible_ticket_ids(user: Any, ids: set[int]) -> set[int]:
    """Which of these tickets the user may open (one query): the log links only those."""
    if not ids:
        return set()
    return set(Ticket.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def contacts_matching(*, email: str = "", mobile: str = "") -> list[Contact]:
    """Contacts (of customers not deleted) with this e-mail address (any case) or mobile number (E.164), the
    primary and most recently changed first. A system lookup: the sender of an e-mail or a web form has no user
    whose visibility could apply."""
    q = Q()
    if email:
        q |= Q(email__iexact=email.strip())
    if mobile:
        q |= Q(mobile=mobile)
    if not q:
        return []
    return list(Contact.objects.filter(q, deleted_at__isnull=True, customer__deleted_at__isnull=True)
                .select_related("customer").order_by("-is_primary", "-updated_at", "-id")[:10])
