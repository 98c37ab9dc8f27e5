"""Satisfaction surveys (issue 4 §8). STUB: being built."""

from __future__ import annotations

from ..models import Ticket


def on_ticket_closed(ticket: Ticket) -> None:
    """Invite the customer to the CSAT survey of closed tickets."""
