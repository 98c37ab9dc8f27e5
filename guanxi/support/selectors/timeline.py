"""Tickets on the customer's timeline (settings.GUANXI_TIMELINE_SOURCES["ticket"]); the customers app calls these
by their dotted path, so it never imports the service desk."""

from __future__ import annotations

from typing import Any

from ..models import Ticket


def ticket_timeline_items(*, user: Any, customer: Any, need: int) -> list[tuple[Any, Ticket]]:
    """The customer's tickets that the user sees (service staff: their queue), newest first: (opened at, ticket)."""
    rows = (Ticket.objects.visible_to(user).filter(customer=customer)
            .only("id", "number", "subject", "status", "priority", "type", "created_at", "customer_id")
            .order_by("-created_at", "-id")[:need])
    return [(t.created_at, t) for t in rows]


def ticket_timeline_entry(ticket: Ticket) -> tuple[str, dict[str, Any]]:
    """The API's title and data of a ticket on the timeline."""
    return f"{ticket.number} {ticket.subject}", {"number": ticket.number, "status": ticket.status,
                                                "type": ticket.type, "priority": ticket.priority}
