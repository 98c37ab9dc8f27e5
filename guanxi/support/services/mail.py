"""E-mail in and out of tickets (issue 4 §2). STUB: being built."""

from __future__ import annotations

from ..models import TicketMessage


def send_reply_later(message: TicketMessage) -> None:
    """After the transaction commits, e-mail a public reply to the ticket's requester."""
