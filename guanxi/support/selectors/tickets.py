"""Reads on tickets. Every read starts from `visible_to`: whoever may see the customer sees its tickets."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from guanxi.core.errors import NotFoundError, PermissionDeniedError

from ..filters import TicketFilter
from ..models import Ticket, TicketMessage


def ticket_list(*, user: Any, filters: TicketFilter | None = None) -> QuerySet[Ticket]:
    qs: QuerySet[Ticket] = Ticket.objects.visible_to(user).select_related("customer", "assignee", "team")
    if filters is not None:
        qs = filters.apply(qs, user)
    return qs


def ticket_get(*, user: Any, pk: Any, for_change: bool = False) -> Ticket:
    """Not visible -> NotFoundError; visible but read-only -> PermissionDeniedError."""
    try:
        ticket = Ticket.objects.visible_to(user).select_related(
            "customer", "contact", "order", "product", "assignee", "team").get(pk=pk)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if for_change and not Ticket.objects.editable_by(user).filter(pk=ticket.pk).exists():
        raise PermissionDeniedError()
    return ticket


def can_change_ticket(user: Any, ticket: Ticket) -> bool:
    return Ticket.objects.editable_by(user).filter(pk=ticket.pk).exists()


def ticket_messages(ticket: Ticket) -> QuerySet[TicketMessage]:
    return ticket.messages.select_related("author").order_by("created_at", "id")
