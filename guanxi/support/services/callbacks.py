"""Callbacks (issue 4 §7). STUB: being built."""

from __future__ import annotations

from ..models import Ticket


def on_ticket_closed(ticket: Ticket) -> None:
    """Schedule the callbacks of the rules triggered by closing a ticket."""
