"""The SLA clock in business hours (issue 4 §4). STUB: being built."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import Ticket


def initial_fields(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """Policy, due times and state for a ticket being opened."""
    return {}


def fields_for_update(ticket: Ticket, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Due times again when the priority (or anything the policy depends on) changes."""
    return {}


def fields_for_first_response(ticket: Ticket, now: datetime) -> dict[str, Any]:
    return {}


def fields_for_status(ticket: Ticket, old: str, new: str, now: datetime) -> dict[str, Any]:
    """Pause while waiting on the customer, resume, stop at resolution, restart on reopening."""
    return {}
